"""Permission-checked reads of the review queue."""

from accounts.roles import Permission, require_permission
from config.errors import NotFound

from .models import ReviewItem, ReviewState


def review_items_for_reviewer(*, user, kind: str | None = None, state: str | None = ReviewState.OPEN):
    """The queue a reviewer works through, oldest first; never their own jobs."""
    require_permission(user, Permission.REVIEW)
    items = ReviewItem.objects.select_related("job").exclude(job__user=user)
    if kind:
        items = items.filter(kind=kind)
    if state:
        items = items.filter(state=state)
    return items.order_by("created_at", "id")


def review_item_for_reviewer(*, user, item_id) -> ReviewItem:
    require_permission(user, Permission.REVIEW)
    try:
        return ReviewItem.objects.select_related("job").exclude(job__user=user).get(pk=int(item_id))
    except (ReviewItem.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("no such review item") from exc


def review_history_for_reviewer(*, user, limit: int = 100):
    """Decided items, newest decision first, for reviewers (their own jobs excluded as in the queue)."""
    require_permission(user, Permission.REVIEW)
    return (ReviewItem.objects.select_related("job", "decided_by").exclude(job__user=user)
            .exclude(state=ReviewState.OPEN).order_by("-decided_at", "-id")[:limit])


def dashboard_metrics(*, user, days: int = 14) -> dict:
    """The numbers behind the admin and auditor dashboard, per UTC day over the last `days` days."""
    from collections import Counter
    from datetime import timedelta
    from statistics import median

    from django.conf import settings
    from django.db.models import Count, Max
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from accounts.roles import Permission as P
    from studio.models import GenerationJob, JobState

    from .models import AuditEvent

    require_permission(user, P.VIEW_DASHBOARD)
    now = timezone.now()
    first_day = (now - timedelta(days=days - 1)).date()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    day_list = [first_day + timedelta(days=n) for n in range(days)]

    def per_day(queryset, field: str) -> list[int]:
        rows = (queryset.filter(**{f"{field}__gte": since}).annotate(day=TruncDate(field)).values("day")
                .annotate(n=Count("id")))
        counts = {row["day"]: row["n"] for row in rows}
        return [counts.get(day, 0) for day in day_list]

    prompt_verdicts = AuditEvent.objects.filter(action="moderation.prompt", created_at__gte=since)
    blocks = Counter()
    for data in prompt_verdicts.filter(data__decision="block").values_list("data", flat=True).iterator():
        flagged = [name for name, score in (data.get("categories") or {}).items() if score >= 0.5]
        for name in flagged or ["other rule"]:
            blocks[name] += 1

    decided = ReviewItem.objects.filter(decided_at__gte=since).exclude(state=ReviewState.OPEN)
    waits = [(d - c).total_seconds() for c, d in decided.values_list("created_at", "decided_at")]
    open_items = ReviewItem.objects.filter(state=ReviewState.OPEN)
    oldest = open_items.order_by("created_at").values_list("created_at", flat=True).first()

    verdicts = Counter(AuditEvent.objects.filter(action="verification.performed", created_at__gte=since)
                       .values_list("data__verdict", flat=True))
    heartbeat_window = now - timedelta(hours=24)
    workers = list(GenerationJob.objects.filter(heartbeat_at__gte=heartbeat_window).exclude(worker_id="")
                   .values("worker_id").annotate(last=Max("heartbeat_at"), jobs=Count("id")).order_by("-last")[:20])
    lease = settings.CLEARFRAME["JOB_LEASE"]
    for worker in workers:
        worker["age_seconds"] = (now - worker["last"]).total_seconds()
        worker["alive"] = worker["age_seconds"] <= lease.total_seconds()
    return {
        "days": day_list,
        "submissions": per_day(GenerationJob.objects.all(), "created_at"),
        "blocks_per_day": per_day(GenerationJob.objects.filter(moderation__decision="block"), "created_at"),
        "blocks_by_category": blocks.most_common(),
        "reviews_per_day": per_day(ReviewItem.objects.exclude(state=ReviewState.OPEN), "decided_at"),
        "backlog": {kind: open_items.filter(kind=kind).count() for kind in ("prompt", "output", "appeal")},
        "oldest_open_seconds": (now - oldest).total_seconds() if oldest else None,
        "decision_seconds_median": median(waits) if waits else None,
        "decision_seconds_max": max(waits) if waits else None,
        "decisions": len(waits),
        "queue": {state.label: GenerationJob.objects.filter(state=state).count()
                  for state in (JobState.QUEUED, JobState.RUNNING, JobState.SEALING, JobState.IN_REVIEW,
                                JobState.OUTPUT_REVIEW)},
        "workers": workers,
        "verifications": {verdict: verdicts.get(verdict, 0) for verdict in ("authentic", "altered", "unknown")},
    }
