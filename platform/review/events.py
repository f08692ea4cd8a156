"""Appending audit events: the service that makes a decision records it here."""

from typing import Any

from django.db import models

from .models import AuditEvent


def audit_event_record(*, actor, action: str, target: models.Model | None,
                       data: dict[str, Any] | None = None) -> AuditEvent:
    """Append one audit event; `actor` is None when the system acted, `target` None when nothing was matched."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )
