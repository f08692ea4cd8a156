"""Writes on accounts: creation, roles, strikes, suspensions. Each decision is an audit event."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from review.events import audit_event_record

from .models import Role, Strike, User
from .roles import Permission, require_permission


def user_create(*, username: str, password: str, email: str = "", role: str = Role.CREATOR) -> User:
    user = User(username=username, email=email, role=role)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save()
    return user


@transaction.atomic
def user_role_change(*, actor: User, user: User, role: str) -> User:
    require_permission(actor, Permission.MANAGE_USERS)
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    previous = user.role
    if previous == role:
        return user
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    audit_event_record(actor=actor, action="account.role_changed", target=user,
                       data={"from": previous, "to": role})
    return user


@transaction.atomic
def user_suspend(*, actor: User | None, user: User, reason: str) -> User:
    """Suspend an account; `actor` is None when the strike rule suspended it."""
    if actor is not None:
        require_permission(actor, Permission.MANAGE_USERS)
    if user.is_suspended:
        return user
    user.suspended_at = timezone.now()
    user.suspension_reason = reason
    user.save(update_fields=["suspended_at", "suspension_reason"])
    audit_event_record(actor=actor, action="account.suspended", target=user, data={"reason": reason})
    return user


@transaction.atomic
def user_lift_suspension(*, actor: User, user: User, note: str = "") -> User:
    require_permission(actor, Permission.MANAGE_USERS)
    if not user.is_suspended:
        return user
    reason = user.suspension_reason
    user.suspended_at = None
    user.suspension_reason = ""
    user.save(update_fields=["suspended_at", "suspension_reason"])
    audit_event_record(actor=actor, action="account.suspension_lifted", target=user,
                       data={"previous_reason": reason, "note": note})
    return user


@transaction.atomic
def strike_record(*, user: User, reason: str, categories: list[str], job=None) -> Strike:
    """Count a strike; at the configured number within the window, suspend the account."""
    strike = Strike.objects.create(user=user, reason=reason, categories=categories, job=job)
    limit = settings.CLEARFRAME["STRIKE_LIMIT"]
    window = settings.CLEARFRAME["STRIKE_WINDOW"]
    recent = Strike.objects.filter(user=user, created_at__gte=timezone.now() - window).count()
    audit_event_record(actor=None, action="account.strike", target=user,
                       data={"reason": reason, "categories": categories, "recent": recent, "limit": limit,
                             "job": str(job.pk) if job is not None else None})
    if recent >= limit:
        user_suspend(actor=None, user=user,
                     reason=f"{recent} blocked prompts within {window}; an administrator can lift this")
    return strike
