"""Writes on generation jobs. Every state change goes through job_transition."""

import logging
import threading

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from accounts.roles import Permission, require_permission
from accounts.selectors import quota_for_user, quota_used_today
from accounts.services import strike_record
from config.errors import Conflict, DomainError
from review.events import audit_event_record
from review.models import ReviewKind
from review.services import review_item_open

from .models import CANCELLABLE_STATES, TRANSITIONS, GenerationJob, JobState
from .moderation import InvalidPrompt, prompt_moderator
from .params import params_validate
from .pipeline import PipelineCancelled, PipelineContext, PipelineError, pipeline_function

logger = logging.getLogger(__name__)


class IllegalTransition(Conflict):
    code = "illegal_transition"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    status_code = 429


def job_transition(job: GenerationJob, to: str, *, expect: str | None = None, **fields) -> GenerationJob:
    """Move a job to `to` if it is still in the state we read (a conditional update), else raise."""
    source = expect or job.state
    if to not in TRANSITIONS[source]:
        raise IllegalTransition(f"a job cannot go from {source} to {to}")
    fields.setdefault("updated_at", timezone.now())
    if to in (JobState.PUBLISHED, JobState.FAILED, JobState.CANCELLED, JobState.REJECTED):
        fields.setdefault("finished_at", timezone.now())
    updated = GenerationJob.objects.filter(pk=job.pk, state=source).update(state=to, **fields)
    if not updated:
        current = GenerationJob.objects.filter(pk=job.pk).values_list("state", flat=True).first()
        raise IllegalTransition(f"job {job.pk} is {current}, not {source}; it cannot go to {to}")
    job.refresh_from_db()
    return job


def _enqueue(job: GenerationJob) -> None:
    # The task row is written in the caller's transaction: no job without its task, no task without its job.
    from .tasks import run_generation_job

    run_generation_job.enqueue(str(job.pk))


def job_submit(*, user, prompt: str, negative_prompt: str = "", params: dict | None = None) -> GenerationJob:
    """Moderate the prompt, create the job and queue it (or hold it for review, or refuse it)."""
    require_permission(user, Permission.SUBMIT_JOBS)
    prompt = (prompt or "").strip()
    max_length = settings.CLEARFRAME["MAX_PROMPT_LENGTH"]
    if not prompt:
        raise InvalidPrompt("the prompt is empty")
    if len(prompt) > max_length:
        raise InvalidPrompt(f"the prompt is {len(prompt)} characters; the limit is {max_length}")
    if len(negative_prompt) > max_length:
        raise InvalidPrompt(f"the negative prompt is over {max_length} characters")
    checked = params_validate(params)
    if quota_used_today(user) >= quota_for_user(user):
        raise QuotaExceeded(f"daily quota of {quota_for_user(user)} jobs reached; it resets at midnight UTC")

    verdict = prompt_moderator()(prompt)
    with transaction.atomic():
        job = GenerationJob.objects.create(user=user, prompt=prompt, negative_prompt=negative_prompt,
                                           params=checked.as_dict(), moderation=verdict.as_dict())
        audit_event_record(actor=user, action="moderation.prompt", target=job, data=verdict.as_dict())
        if verdict.decision == "allow":
            job_transition(job, JobState.QUEUED, stage="queued")
            _enqueue(job)
        elif verdict.decision == "review":
            job_transition(job, JobState.IN_REVIEW, stage="waiting for a reviewer")
            review_item_open(job=job, kind=ReviewKind.PROMPT, verdict=verdict.as_dict())
        else:
            job_transition(job, JobState.REJECTED, stage="blocked by moderation",
                           failure_reason="; ".join(verdict.reasons) or "blocked by the prompt policy")
            strike_record(user=user, reason="blocked prompt", categories=verdict.flagged_categories(), job=job)
    return job


def job_approve_prompt(*, actor, job: GenerationJob) -> GenerationJob:
    """A reviewer lets a prompt in review go on to the queue (review.services records the decision)."""
    require_permission(actor, Permission.REVIEW)
    with transaction.atomic():
        job = job_transition(job, JobState.QUEUED, expect=JobState.IN_REVIEW, stage="queued")
        _enqueue(job)
    return job


def job_approve_output(*, actor, job: GenerationJob) -> GenerationJob:
    """A reviewer lets a held clip through: it is sealed and published by a worker."""
    from .tasks import seal_held_job

    require_permission(actor, Permission.REVIEW)
    with transaction.atomic():
        job = job_transition(job, JobState.SEALING, expect=JobState.OUTPUT_REVIEW, stage="approved, sealing")
        seal_held_job.enqueue(str(job.pk))
    return job


def job_reject(*, actor, job: GenerationJob, reason: str) -> GenerationJob:
    """A reviewer rejects a prompt in review or a held clip."""
    require_permission(actor, Permission.REVIEW)
    return job_transition(job, JobState.REJECTED, stage="rejected by a reviewer", failure_reason=reason[:2000])


def job_requeue_after_appeal(*, actor, job: GenerationJob) -> GenerationJob:
    """An upheld appeal sends the job through the whole pipeline again (the frames are still checked)."""
    require_permission(actor, Permission.REVIEW)
    with transaction.atomic():
        job = job_transition(job, JobState.QUEUED, expect=JobState.REJECTED, stage="queued after an appeal",
                             failure_reason="", finished_at=None)
        _enqueue(job)
    return job


def job_seal_held(*, job_id) -> str:
    """Seal and publish a clip a reviewer approved; any failure fails the job and publishes nothing."""
    from pathlib import Path

    import numpy as np

    from .pipeline import PipelineError, PipelineResult, seal_clip

    job = GenerationJob.objects.get(pk=job_id)
    if job.state != JobState.SEALING:
        return f"skipped:{job.state}"
    held_path = Path((job.result or {}).get("held_clip", ""))
    try:
        if not held_path.is_file():
            raise PipelineError("the held clip is gone; it cannot be sealed")
        with np.load(held_path) as held:
            frames, fps = held["frames"], float(held["fps"])
        metadata = dict(job.result.get("metadata", {}))
        media_path, seal = seal_clip(job_id=str(job.pk), prompt=job.prompt, params=job.params,
                                     model=metadata.get("model", "unknown"), frames=frames, fps=fps)
    except Exception as exc:  # fail closed: whatever went wrong, nothing is published
        reason = str(exc) if isinstance(exc, PipelineError) else f"sealing failed ({type(exc).__name__})"
        if not isinstance(exc, PipelineError):
            logger.exception("sealing a held clip crashed for job %s", job.pk)
        with transaction.atomic():
            job_transition(job, JobState.FAILED, expect=JobState.SEALING, stage="failed", failure_reason=reason)
            audit_event_record(actor=None, action="job.failed", target=job, data={"reason": reason})
        return JobState.FAILED
    state = _job_publish(job, None, PipelineResult(media_path=media_path, metadata=metadata, seal=seal))
    held_path.unlink(missing_ok=True)
    return state


def job_cancel(*, user, job: GenerationJob) -> GenerationJob:
    """The owner cancels a job that has not finished; a running worker notices and stops."""
    if job.user_id != user.pk:
        from config.errors import NotFound

        raise NotFound("no such job")
    if job.state not in CANCELLABLE_STATES:
        raise IllegalTransition(f"a {job.state} job cannot be cancelled")
    with transaction.atomic():
        job = job_transition(job, JobState.CANCELLED, stage="cancelled", worker_id="", lease_expires_at=None)
        audit_event_record(actor=user, action="job.cancelled", target=job)
    return job


# --- the worker side ---------------------------------------------------------------------------

def job_claim(*, job_id, worker_id: str) -> GenerationJob | None:
    """Take a queued job for this worker with a lease; None if another worker has it or it left the queue."""
    now = timezone.now()
    lease = settings.CLEARFRAME["JOB_LEASE"]
    claimed = GenerationJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, worker_id=worker_id, attempts=F("attempts") + 1, lease_expires_at=now + lease,
        heartbeat_at=now, started_at=now, updated_at=now, stage="starting", progress=0.0,
    )
    return GenerationJob.objects.get(pk=job_id) if claimed else None


def job_heartbeat(*, job_id, worker_id: str, progress: float | None = None, stage: str | None = None) -> bool:
    """Renew the lease (and record progress); False if this worker no longer holds the job."""
    now = timezone.now()
    fields = {"heartbeat_at": now, "lease_expires_at": now + settings.CLEARFRAME["JOB_LEASE"], "updated_at": now}
    if progress is not None:
        fields["progress"] = max(0.0, min(1.0, float(progress)))
    if stage is not None:
        fields["stage"] = stage[:120]
    return bool(GenerationJob.objects.filter(pk=job_id, worker_id=worker_id, state__in=[JobState.RUNNING,
                                                                                        JobState.SEALING])
                 .update(**fields))


class _LeaseKeeper(threading.Thread):
    """Renews the lease while the pipeline works between progress reports."""

    def __init__(self, job_id, worker_id: str):
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.job_id, self.worker_id = job_id, worker_id
        self.stop = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        interval = max(0.2, settings.CLEARFRAME["JOB_LEASE"].total_seconds() / 3)
        try:
            while not self.stop.wait(interval):
                try:
                    held = job_heartbeat(job_id=self.job_id, worker_id=self.worker_id)
                except (OperationalError, InterfaceError):
                    # The database is away: keep trying; if the lease runs out meanwhile, the reaper decides.
                    logger.warning("heartbeat for job %s failed: database unavailable", self.job_id)
                    close_old_connections()
                    continue
                if not held:
                    self.lost.set()
                    return
        finally:
            close_old_connections()


def job_execute(*, job_id, worker_id: str) -> str:
    """Claim the job, run the pipeline under a lease, publish exactly once. Returns the final state."""
    job = job_claim(job_id=job_id, worker_id=worker_id)
    if job is None:
        state = GenerationJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
        logger.info("job %s not claimed by %s (state %s)", job_id, worker_id, state)
        return f"skipped:{state}"
    keeper = _LeaseKeeper(job.pk, worker_id)
    keeper.start()

    def progress(fraction: float, stage: str) -> None:
        if not job_heartbeat(job_id=job.pk, worker_id=worker_id, progress=fraction, stage=stage):
            keeper.lost.set()

    def cancelled() -> bool:
        return keeper.lost.is_set() or not GenerationJob.objects.filter(
            pk=job.pk, worker_id=worker_id, state__in=[JobState.RUNNING, JobState.SEALING]).exists()

    context = PipelineContext(job_id=str(job.pk), user_id=job.user_id, prompt=job.prompt,
                              negative_prompt=job.negative_prompt, params=dict(job.params),
                              attempt=job.attempts, progress=progress, cancelled=cancelled)
    try:
        result = pipeline_function()(context)
    except PipelineCancelled:
        return _job_stop(job, worker_id, JobState.CANCELLED, reason="")
    except PipelineError as exc:
        return _job_stop(job, worker_id, JobState.FAILED, reason=str(exc))
    except Exception as exc:
        logger.exception("pipeline crashed for job %s", job.pk)
        return _job_stop(job, worker_id, JobState.FAILED, reason=f"internal error ({type(exc).__name__}); "
                                                                 "an operator can find it in the worker log")
    finally:
        keeper.stop.set()
        keeper.join(timeout=5)

    if result.held is not None:
        return _job_hold(job, worker_id, result)
    if result.seal is None or not result.media_path:
        return _job_stop(job, worker_id, JobState.FAILED, reason="the pipeline returned no sealed video")
    return _job_publish(job, worker_id, result)


def _job_publish(job: GenerationJob, worker_id: str | None, result) -> str:
    """Publish and write the ledger row in one transaction; a job that is no longer ours publishes nothing."""
    from verification.services import ledger_append

    holder = {"worker_id": worker_id} if worker_id else {}
    states = [JobState.RUNNING, JobState.SEALING] if worker_id else [JobState.SEALING]
    with transaction.atomic():
        published = GenerationJob.objects.filter(pk=job.pk, state__in=states, **holder).update(
            state=JobState.PUBLISHED, result=result.as_dict(), progress=1.0, stage="published",
            finished_at=timezone.now(), updated_at=timezone.now(), lease_expires_at=None)
        if published:
            seal = result.seal
            ledger_append(job=job, payload=seal.payload, manifest_id=seal.manifest_id, sha256=seal.sha256,
                          fingerprint=seal.fingerprint, manifest=seal.manifest, media_path=result.media_path)
            audit_event_record(actor=None, action="job.published", target=job,
                               data={"worker": worker_id, "attempt": job.attempts, "payload": seal.payload,
                                     "manifest_id": seal.manifest_id, "sha256": seal.sha256})
    if not published:
        from pathlib import Path

        logger.warning("job %s finished on %s after it lost the job; result discarded", job.pk, worker_id)
        (Path(settings.MEDIA_ROOT) / result.media_path).unlink(missing_ok=True)
        return "discarded"
    return JobState.PUBLISHED


def _job_hold(job: GenerationJob, worker_id: str, result) -> str:
    """The frame check did not allow the clip: a reviewer decides (review), or the job is rejected (block)."""
    held = result.held
    with transaction.atomic():
        if held.decision == "review":
            updated = GenerationJob.objects.filter(
                pk=job.pk, worker_id=worker_id, state=JobState.RUNNING,
            ).update(state=JobState.OUTPUT_REVIEW, result={**result.as_dict(), "held_clip": held.clip_path},
                     stage="output waiting for a reviewer", progress=0.85, lease_expires_at=None,
                     updated_at=timezone.now())
            if updated:
                review_item_open(job=job, kind=ReviewKind.OUTPUT, verdict=held.verdict, frames=held.frames)
                audit_event_record(actor=None, action="moderation.frames", target=job, data=held.verdict)
            return JobState.OUTPUT_REVIEW if updated else GenerationJob.objects.get(pk=job.pk).state
        updated = GenerationJob.objects.filter(pk=job.pk, worker_id=worker_id, state=JobState.RUNNING).update(
            state=JobState.REJECTED, result=result.as_dict(), stage="output blocked by the frame check",
            failure_reason="; ".join(held.verdict.get("reasons", [])) or "the generated clip was blocked",
            finished_at=timezone.now(), updated_at=timezone.now(), lease_expires_at=None)
        if updated:
            audit_event_record(actor=None, action="moderation.frames", target=job, data=held.verdict)
    from pathlib import Path

    Path(held.clip_path).unlink(missing_ok=True)  # a blocked clip is not kept
    return JobState.REJECTED if updated else GenerationJob.objects.get(pk=job.pk).state


def _job_stop(job: GenerationJob, worker_id: str, state: str, *, reason: str) -> str:
    with transaction.atomic():
        updated = GenerationJob.objects.filter(
            pk=job.pk, worker_id=worker_id, state__in=[JobState.RUNNING, JobState.SEALING],
        ).update(state=state, failure_reason=reason, stage=state, finished_at=timezone.now(),
                 updated_at=timezone.now(), lease_expires_at=None)
        if updated and state == JobState.FAILED:
            audit_event_record(actor=None, action="job.failed", target=job,
                               data={"reason": reason, "worker": worker_id, "attempt": job.attempts})
    return state if updated else GenerationJob.objects.get(pk=job.pk).state


def jobs_reap(*, now=None) -> dict[str, int]:
    """Re-queue jobs whose worker stopped renewing its lease; fail them after the last attempt."""
    now = now or timezone.now()
    max_attempts = settings.CLEARFRAME["JOB_MAX_ATTEMPTS"]
    counts = {"requeued": 0, "failed": 0}
    stale = GenerationJob.objects.filter(state__in=[JobState.RUNNING, JobState.SEALING], lease_expires_at__lt=now)
    for job in stale.only("pk", "state", "attempts", "worker_id"):
        with transaction.atomic():
            lost_worker = job.worker_id
            if job.attempts < max_attempts:
                updated = GenerationJob.objects.filter(pk=job.pk, state=job.state, worker_id=lost_worker,
                                                       lease_expires_at__lt=now).update(
                    state=JobState.QUEUED, worker_id="", lease_expires_at=None, stage="re-queued after a lost worker",
                    progress=0.0, updated_at=now)
                if updated:
                    _enqueue(job)
                    counts["requeued"] += 1
                    audit_event_record(actor=None, action="job.requeued", target=job,
                                       data={"lost_worker": lost_worker, "attempt": job.attempts})
            else:
                reason = f"the worker was lost {job.attempts} times; giving up after {max_attempts} attempts"
                updated = GenerationJob.objects.filter(pk=job.pk, state=job.state, worker_id=lost_worker,
                                                       lease_expires_at__lt=now).update(
                    state=JobState.FAILED, worker_id="", lease_expires_at=None, failure_reason=reason,
                    stage="failed", finished_at=now, updated_at=now)
                if updated:
                    counts["failed"] += 1
                    audit_event_record(actor=None, action="job.failed", target=job,
                                       data={"reason": reason, "lost_worker": lost_worker})
    return counts
