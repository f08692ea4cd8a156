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


def job_video_for_user(*, user, job_id):
    """The sealed file of a published job, for its owner and for auditors; a 404 for anyone else."""
    from pathlib import Path

    from django.conf import settings

    from accounts.roles import Permission, has_permission

    from .models import JobState

    if has_permission(user, Permission.VIEW_AUDIT):
        job = GenerationJob.objects.filter(pk=job_id).first()
    else:
        job = job_for_user(user=user, job_id=job_id)
    if job is None or job.state != JobState.PUBLISHED or not job.result.get("media_path"):
        raise NotFound("no published video for this job")
    path = Path(settings.MEDIA_ROOT) / job.result["media_path"]
    if not path.is_file():
        raise NotFound("the video file is missing from media storage; ask an operator")
    return job, path

