"""Review pages (the queue, decisions, history), the dashboard, and the sampled frames of held clips."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError, NotAllowed, NotFound

from . import dashboard as charts
from .selectors import (
    dashboard_metrics,
    review_history_for_reviewer,
    review_item_for_reviewer,
    review_items_for_reviewer,
)
from .services import review_decide


def _page_error(exc: NotFound | NotAllowed) -> Exception:
    """A refusal on a page: 404 for what the user may not know exists, 403 for what they may not do."""
    return Http404(exc.message) if isinstance(exc, NotFound) else PermissionDenied(exc.message)


def _scores(verdict: dict) -> list[dict]:
    categories = (verdict or {}).get("categories", {})
    return [{"name": n, "score": s} for n, s in sorted(categories.items(), key=lambda kv: -kv[1])]


@login_required
def review_queue(request):
    try:
        items = list(review_items_for_reviewer(user=request.user)[:50])
    except (NotFound, NotAllowed) as exc:
        raise _page_error(exc) from exc
    for item in items:
        item.scores = _scores(item.verdict)
        item.frame_urls = [reverse("review-frame", args=[item.pk, n]) for n in range(len(item.frames))]
    return render(request, "review/queue.html", {"items": items})


@login_required
@require_POST
def review_item_decide(request, item_id: int):
    try:
        item = review_item_for_reviewer(user=request.user, item_id=item_id)
        review_decide(actor=request.user, item=item, decision=request.POST.get("decision", ""),
                      reason=request.POST.get("reason", ""))
    except (NotFound, NotAllowed) as exc:
        raise _page_error(exc) from exc
    except DomainError as exc:
        messages.error(request, f"Item {item_id}: {exc.message}")
    else:
        verb = "approved" if item.state == "approved" else "rejected"
        messages.success(request, f"{item.get_kind_display()} {item_id} {verb}.")
    return redirect("review-queue")


@login_required
def review_history(request):
    try:
        items = review_history_for_reviewer(user=request.user)
    except (NotFound, NotAllowed) as exc:
        raise _page_error(exc) from exc
    return render(request, "review/history.html", {"items": items})


@login_required
def review_frame(request, item_id: int, index: int):
    try:
        item = review_item_for_reviewer(user=request.user, item_id=item_id)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    if not 0 <= index < len(item.frames):
        raise Http404("no such frame")
    path = Path(settings.MEDIA_ROOT) / item.frames[index]
    if not path.is_file():
        raise Http404("the frame file is gone")
    return FileResponse(path.open("rb"), content_type="image/png")


@login_required
def dashboard(request):
    from verification.services import ledger_verify

    try:
        metrics = dashboard_metrics(user=request.user)
    except (NotFound, NotAllowed) as exc:
        raise _page_error(exc) from exc
    labels = [day.strftime("%d %b") for day in metrics["days"]]
    ledger = ledger_verify()
    return render(request, "review/dashboard.html", {
        "m": metrics,
        "submissions": charts.column_chart(labels, metrics["submissions"]),
        "blocks_per_day": charts.column_chart(labels, metrics["blocks_per_day"]),
        "reviews": charts.column_chart(labels, metrics["reviews_per_day"]),
        "blocks": charts.bar_list(metrics["blocks_by_category"]),
        "backlog": charts.bar_list(list(metrics["backlog"].items())),
        "queue": charts.bar_list(list(metrics["queue"].items())),
        "verifications": charts.share_bar(metrics["verifications"]),
        "oldest_open": charts.duration(metrics["oldest_open_seconds"]),
        "median_decision": charts.duration(metrics["decision_seconds_median"]),
        "max_decision": charts.duration(metrics["decision_seconds_max"]),
        "ledger": ledger,
    })
