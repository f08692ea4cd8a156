"""Permission-checked reads of jobs: the one place that decides who may see a job."""

from config.errors import NotFound

from .models import GenerationJob


def jobs_for_user(*, user, state: str | None = None):
    jobs = GenerationJob.objects.filter(user=user)
    if state:
        jobs = jobs.filter(state=state)
    return jobs


def job_for_user(*, user, job_id) -> GenerationJob:
    """The job if this user owns it; otherwise a 404, never a hint that it exists."""
    try:
        return GenerationJob.objects.get(pk=job_id, user=user)
    except (GenerationJob.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("no such job") from exc
    except Exception as exc:  # a malformed UUID raises ValidationError on some backends
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise NotFound("no such job") from exc
        raise
