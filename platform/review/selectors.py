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
