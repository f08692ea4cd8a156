import pytest

from accounts.models import Role
from accounts.roles import AccountSuspended, Permission, has_permission, require_permission
from accounts.services import strike_record, user_lift_suspension, user_role_change, user_suspend
from config.errors import NotAllowed
from review.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.CREATOR, {Permission.SUBMIT_JOBS}, {Permission.REVIEW, Permission.VIEW_AUDIT, Permission.MANAGE_USERS}),
        (Role.REVIEWER, {Permission.SUBMIT_JOBS, Permission.REVIEW},
         {Permission.EXPORT_LEDGER, Permission.MANAGE_USERS}),
        (Role.AUDITOR, {Permission.VIEW_AUDIT, Permission.EXPORT_LEDGER}, {Permission.SUBMIT_JOBS, Permission.REVIEW}),
        (Role.ADMIN, set(Permission), set()),
    ],
)
def test_role_permissions(make_user, role, allowed, refused):
    user = make_user(role)
    assert all(has_permission(user, p) for p in allowed)
    assert not any(has_permission(user, p) for p in refused)


def test_role_change_is_an_audit_event_and_needs_an_admin(admin_user, creator, reviewer):
    with pytest.raises(NotAllowed):
        user_role_change(actor=reviewer, user=creator, role=Role.ADMIN)
    user_role_change(actor=admin_user, user=creator, role=Role.REVIEWER)
    creator.refresh_from_db()
    assert creator.role == Role.REVIEWER
    event = AuditEvent.objects.get(action="account.role_changed")
    assert (event.actor, event.data) == (admin_user, {"from": "creator", "to": "reviewer"})


def test_strikes_suspend_at_the_limit_within_the_window(creator, clearframe_settings):
    clearframe_settings(STRIKE_LIMIT=2)
    strike_record(user=creator, reason="blocked prompt", categories=["violence"])
    creator.refresh_from_db()
    assert not creator.is_suspended
    strike_record(user=creator, reason="blocked prompt", categories=["hate"])
    creator.refresh_from_db()
    assert creator.is_suspended
    assert "2 blocked prompts" in creator.suspension_reason
    with pytest.raises(AccountSuspended, match="suspended"):
        require_permission(creator, Permission.SUBMIT_JOBS)
    assert AuditEvent.objects.filter(action="account.strike").count() == 2
    assert AuditEvent.objects.filter(action="account.suspended", actor=None).count() == 1


def test_old_strikes_outside_the_window_do_not_count(creator, clearframe_settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Strike

    clearframe_settings(STRIKE_LIMIT=2)
    old = strike_record(user=creator, reason="blocked prompt", categories=[])
    Strike.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    strike_record(user=creator, reason="blocked prompt", categories=[])
    creator.refresh_from_db()
    assert not creator.is_suspended


def test_admin_suspends_and_lifts_with_audit_events(admin_user, creator):
    user_suspend(actor=admin_user, user=creator, reason="spam")
    creator.refresh_from_db()
    assert creator.is_suspended
    user_lift_suspension(actor=admin_user, user=creator, note="appeal accepted")
    creator.refresh_from_db()
    assert not creator.is_suspended
    assert has_permission(creator, Permission.SUBMIT_JOBS)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["account.suspended", "account.suspension_lifted"]


def test_only_admins_lift_suspensions(reviewer, creator, admin_user):
    user_suspend(actor=admin_user, user=creator, reason="spam")
    with pytest.raises(NotAllowed):
        user_lift_suspension(actor=reviewer, user=creator)
