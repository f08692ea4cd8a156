"""Review decisions: prompts in review, clips the frame check held, and appeals of blocks."""

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import Strike
from accounts.roles import Permission, require_permission
from accounts.services import strike_record
from config.errors import Conflict, DomainError, NotAllowed, NotFound

from .events import audit_event_record
from .models import ReviewItem, ReviewKind, ReviewState


class InvalidDecision(DomainError):
    code = "invalid_decision"


class AppealNotAllowed(Conflict):
    code = "appeal_not_allowed"


def review_item_open(*, job, kind: str, verdict: dict | None = None, frames=None, message: str = "") -> ReviewItem:
    """Put a job in front of reviewers (called by the service that held it, in its transaction)."""
    return ReviewItem.objects.create(job=job, kind=kind, verdict=verdict or {}, frames=list(frames or []),
                                     message=message)


def appeal_submit(*, user, job, message: str) -> ReviewItem:
    """The owner of a rejected job asks, once, for a person to look again."""
    from studio.models import JobState

    if job.user_id != user.pk:
        raise NotFound("no such job")
    message = (message or "").strip()
    if not message:
        raise InvalidDecision("say why the decision was wrong: the appeal message is empty")
    if len(message) > 2000:
        raise InvalidDecision("the appeal message is over 2,000 characters")
    if job.state != JobState.REJECTED:
        raise AppealNotAllowed(f"only a rejected job can be appealed; this one is {job.state}")
    if any(reason.startswith("severe:") for reason in job.moderation.get("reasons", [])):
        raise AppealNotAllowed("prompts in a severe category are blocked outright and cannot be appealed")
    if ReviewItem.objects.filter(job=job, kind=ReviewKind.APPEAL).exists():
        raise AppealNotAllowed("this job was already appealed; a job can be appealed once")
    with transaction.atomic():
        item = review_item_open(job=job, kind=ReviewKind.APPEAL, verdict=job.moderation, message=message)
        audit_event_record(actor=user, action="review.appeal_submitted", target=job, data={"item": item.pk})
    return item


def review_decide(*, actor, item: ReviewItem, decision: str, reason: str = "") -> ReviewItem:
    """Approve (the job goes on) or reject with a reason (the job is rejected and counts as a strike)."""
    from studio.services import job_approve_output, job_approve_prompt, job_reject, job_requeue_after_appeal

    require_permission(actor, Permission.REVIEW)
    if decision not in ("approve", "reject"):
        raise InvalidDecision("decision must be approve or reject")
    reason = (reason or "").strip()
    if decision == "reject" and not reason:
        raise InvalidDecision("a rejection needs a reason the creator can read")
    if item.job.user_id == actor.pk:
        raise NotAllowed("reviewers do not decide on their own jobs")
    with transaction.atomic():
        claimed = ReviewItem.objects.filter(pk=item.pk, state=ReviewState.OPEN).update(
            state=ReviewState.APPROVED if decision == "approve" else ReviewState.REJECTED,
            decided_by=actor, decided_at=timezone.now(), reason=reason[:2000])
        if not claimed:
            raise Conflict("this item was already decided")
        item.refresh_from_db()
        job = item.job
        if decision == "approve":
            if item.kind == ReviewKind.PROMPT:
                job_approve_prompt(actor=actor, job=job)
            elif item.kind == ReviewKind.OUTPUT:
                job_approve_output(actor=actor, job=job)
            else:
                job_requeue_after_appeal(actor=actor, job=job)
                for strike in Strike.objects.filter(job=job):
                    audit_event_record(actor=actor, action="account.strike_withdrawn", target=job.user,
                                       data={"job": str(job.pk), "reason": strike.reason})
                Strike.objects.filter(job=job).delete()
        elif item.kind != ReviewKind.APPEAL:
            job_reject(actor=actor, job=job, reason=reason)
            strike_record(user=job.user, reason=f"rejected by a reviewer: {reason}",
                          categories=sorted(c for c, s in item.verdict.get("categories", {}).items() if s >= 0.45),
                          job=job)
        audit_event_record(actor=actor, action=f"review.{item.kind}_{decision}d", target=job,
                           data={"item": item.pk, "reason": reason})
    if item.kind == ReviewKind.OUTPUT and decision == "reject":
        held = (item.job.result or {}).get("held_clip")
        if held:
            Path(held).unlink(missing_ok=True)
    return item
