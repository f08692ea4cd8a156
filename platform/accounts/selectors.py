"""Reads on accounts."""

from django.conf import settings
from django.utils import timezone

from .models import User


def quota_for_user(user: User) -> int:
    return user.daily_job_quota if user.daily_job_quota is not None else settings.CLEARFRAME["DAILY_JOB_QUOTA"]


def quota_used_today(user: User) -> int:
    from studio.models import GenerationJob

    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)  # the UTC day
    return GenerationJob.objects.filter(user=user, created_at__gte=start).count()


def quota_left(user: User) -> int:
    return max(0, quota_for_user(user) - quota_used_today(user))


def strikes_recent(user: User):
    window = settings.CLEARFRAME["STRIKE_WINDOW"]
    return user.strikes.filter(created_at__gte=timezone.now() - window)
