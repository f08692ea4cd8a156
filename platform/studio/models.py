import uuid

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "Prompt in review"
    REJECTED = "rejected", "Rejected"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    OUTPUT_REVIEW = "output_review", "Output in review"
    SEALING = "sealing", "Sealing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The only moves a job can make; studio.services.job_transition enforces them.
TRANSITIONS: dict[str, frozenset[str]] = {
    JobState.SUBMITTED: frozenset({JobState.QUEUED, JobState.IN_REVIEW, JobState.REJECTED, JobState.CANCELLED}),
    JobState.IN_REVIEW: frozenset({JobState.QUEUED, JobState.REJECTED, JobState.CANCELLED}),
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}),
    JobState.RUNNING: frozenset({JobState.OUTPUT_REVIEW, JobState.SEALING, JobState.PUBLISHED, JobState.FAILED,
                                 JobState.CANCELLED, JobState.QUEUED, JobState.REJECTED}),
    JobState.OUTPUT_REVIEW: frozenset({JobState.SEALING, JobState.REJECTED, JobState.CANCELLED}),
    JobState.SEALING: frozenset({JobState.PUBLISHED, JobState.FAILED, JobState.QUEUED}),
    JobState.REJECTED: frozenset({JobState.QUEUED}),  # only when a reviewer upholds an appeal
    JobState.PUBLISHED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}
TERMINAL_STATES = frozenset({JobState.REJECTED, JobState.PUBLISHED, JobState.FAILED, JobState.CANCELLED})
ACTIVE_STATES = frozenset({JobState.RUNNING, JobState.SEALING})
CANCELLABLE_STATES = frozenset({JobState.SUBMITTED, JobState.IN_REVIEW, JobState.QUEUED, JobState.RUNNING})


class GenerationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs")
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.SUBMITTED, db_index=True)

    moderation = models.JSONField(default=dict, blank=True, help_text="The prompt verdict at submission.")
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=120, blank=True)
    failure_reason = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    # The worker lease: who holds the job, until when; the reaper re-queues expired leases.
    attempts = models.PositiveSmallIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES
