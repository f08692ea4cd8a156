from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CREATOR = "creator", "Creator"
    REVIEWER = "reviewer", "Reviewer"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CREATOR)
    daily_job_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Jobs per UTC day; empty means the platform default.",
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class Strike(models.Model):
    """A refused prompt (or a rejected review) counted against an account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="strikes")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField()
    categories = models.JSONField(default=list, blank=True)
    job = models.ForeignKey("studio.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"strike on {self.user} at {self.created_at:%Y-%m-%d %H:%M}"
