from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Audit events are never changed or removed once written."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only: they cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events are append-only: they cannot be deleted")


class AuditEvent(models.Model):
    """One decision that matters: who did what to which object, and with which data."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty when the system acted (a worker, the reaper, the moderation gate).",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only: they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only: they cannot be deleted")


class ReviewKind(models.TextChoices):
    PROMPT = "prompt", "Prompt"
    OUTPUT = "output", "Generated clip"
    APPEAL = "appeal", "Appeal of a block"


class ReviewState(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ReviewItem(models.Model):
    """Something a person must decide: a prompt in review, a clip the frame check held, or an appeal."""

    kind = models.CharField(max_length=8, choices=ReviewKind.choices, db_index=True)
    state = models.CharField(max_length=8, choices=ReviewState.choices, default=ReviewState.OPEN, db_index=True)
    job = models.ForeignKey("studio.GenerationJob", on_delete=models.PROTECT, related_name="review_items")
    verdict = models.JSONField(default=dict, blank=True, help_text="The moderation verdict that raised it.")
    frames = models.JSONField(default=list, blank=True, help_text="Sampled frames (paths under MEDIA_ROOT).")
    message = models.TextField(blank=True, help_text="The creator's appeal message.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A job may be appealed once; prompts and clips can come back after an upheld appeal re-runs the job.
            models.UniqueConstraint(fields=["job"], condition=models.Q(kind="appeal"), name="one_appeal_per_job"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} review of job {self.job_id} ({self.state})"
