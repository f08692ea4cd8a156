"""Review media: the sampled frames of a held clip, for reviewers only."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from config.errors import DomainError

from .selectors import review_item_for_reviewer


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
