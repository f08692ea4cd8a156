import pytest

from review.events import audit_event_record
from review.models import AppendOnlyError, AuditEvent


@pytest.mark.django_db
def test_audit_events_refuse_update_and_delete(creator):
    event = audit_event_record(actor=creator, action="account.created", target=creator, data={"role": "creator"})
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.target_id, stored.actor) == ("account.created", str(creator.pk), creator)


@pytest.mark.django_db
def test_audit_admin_is_read_only(admin_user, client):
    audit_event_record(actor=None, action="job.published", target=admin_user)
    client.force_login(admin_user)
    event = AuditEvent.objects.get()
    assert client.get("/admin/review/auditevent/").status_code == 200
    assert client.get("/admin/review/auditevent/add/").status_code == 403
    assert client.post(f"/admin/review/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
