"""Every URL against every role: the expected status, and no response that leaks another user's work.

Roles: anonymous, creator A (owns the objects), creator B, reviewer, auditor, admin, and a suspended creator.
Objects: A's published job (with a sealed file and a ledger row), A's job in review, A's blocked job.
"""

from pathlib import Path

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import user_suspend
from review.models import ReviewItem, ReviewKind
from studio.models import GenerationJob, JobState
from verification.services import ledger_append

ROLES = ["anonymous", "creator_a", "creator_b", "reviewer", "auditor", "admin", "suspended"]
SECRET_PROMPT = "creator alpha private prompt 7f3a"  # no characters that HTML escaping would change


@pytest.fixture
def world(make_user, settings):
    users = {
        "creator_a": make_user("creator", "alice"),
        "creator_b": make_user("creator", "bob"),
        "reviewer": make_user("reviewer", "rita"),
        "auditor": make_user("auditor", "audrey"),
        "admin": make_user("admin", "ada"),
        "suspended": make_user("creator", "sam"),
    }
    user_suspend(actor=users["admin"], user=users["suspended"], reason="test")
    alice = users["creator_a"]
    published = GenerationJob.objects.create(user=alice, prompt=SECRET_PROMPT, state=JobState.PUBLISHED,
                                             result={"media_path": "videos/a.mp4"}, finished_at=timezone.now())
    video = Path(settings.MEDIA_ROOT) / "videos" / "a.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypisom sealed bytes")
    ledger_append(job=published, payload="ab" * 8, manifest_id="urn:uuid:a", sha256="0" * 64, fingerprint={},
                  manifest={}, media_path="videos/a.mp4")
    in_review = GenerationJob.objects.create(user=alice, prompt=SECRET_PROMPT + " [review]", state=JobState.IN_REVIEW)
    item = ReviewItem.objects.create(kind=ReviewKind.PROMPT, job=in_review, verdict={"categories": {}})
    blocked = GenerationJob.objects.create(user=alice, prompt=SECRET_PROMPT + " [block]", state=JobState.REJECTED,
                                           moderation={"decision": "block", "reasons": []})
    return users, {"published": published, "in_review": in_review, "blocked": blocked, "item": item}


def _api(user):
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _page(client, user):
    if user is not None:
        client.force_login(user)
    return client


# (method, url template, body, expected status per role). Statuses: 401 no credentials, 403 role, 404 not yours.
API = [
    ("get", "/api/v1/me", None, dict(anonymous=401, creator_a=200, creator_b=200, reviewer=200, auditor=200,
                                     admin=200, suspended=200)),
    ("get", "/api/v1/generations", None, dict(anonymous=401, creator_a=200, creator_b=200, reviewer=200,
                                              auditor=200, admin=200, suspended=200)),
    ("post", "/api/v1/generations", {"prompt": "a lake [review]"},
     dict(anonymous=401, creator_a=201, creator_b=201, reviewer=201, auditor=403, admin=201, suspended=403)),
    ("get", "/api/v1/generations/{published}", None,
     dict(anonymous=401, creator_a=200, creator_b=404, reviewer=404, auditor=404, admin=404, suspended=404)),
    ("get", "/api/v1/generations/{published}/video", None,
     dict(anonymous=401, creator_a=200, creator_b=404, reviewer=404, auditor=200, admin=200, suspended=404)),
    ("post", "/api/v1/generations/{in_review}/cancel", None,
     dict(anonymous=401, creator_a=200, creator_b=404, reviewer=404, auditor=404, admin=404, suspended=404)),
    ("post", "/api/v1/generations/{blocked}/appeal", {"message": "it was fine"},
     dict(anonymous=401, creator_a=201, creator_b=404, reviewer=404, auditor=404, admin=404, suspended=404)),
    ("get", "/api/v1/reviews", None,
     dict(anonymous=401, creator_a=403, creator_b=403, reviewer=200, auditor=403, admin=200, suspended=403)),
    ("post", "/api/v1/reviews/{item}/decide", {"decision": "approve"},
     dict(anonymous=401, creator_a=403, creator_b=403, reviewer=200, auditor=403, admin=200, suspended=403)),
    ("get", "/api/v1/ledger/export", None,
     dict(anonymous=401, creator_a=403, creator_b=403, reviewer=403, auditor=200, admin=200, suspended=403)),
    ("post", "/api/v1/verify", {}, dict.fromkeys(ROLES, 400)),
    ("get", "/api/schema/", None, dict.fromkeys(ROLES, 200)),
]

PAGES = [
    ("get", "/", dict.fromkeys(ROLES, 200)),
    ("get", "/verify", dict.fromkeys(ROLES, 200)),
    ("get", "/studio/jobs/", dict(anonymous=302, creator_a=200, creator_b=200, reviewer=200, auditor=200, admin=200,
                                  suspended=200)),
    ("get", "/studio/jobs/{published}/", dict(anonymous=302, creator_a=200, creator_b=404, reviewer=404,
                                              auditor=404, admin=404, suspended=404)),
    ("get", "/studio/jobs/{published}/video.mp4", dict(anonymous=302, creator_a=200, creator_b=404, reviewer=404,
                                                       auditor=200, admin=200, suspended=404)),
    ("get", "/review/", dict(anonymous=302, creator_a=403, creator_b=403, reviewer=200, auditor=403, admin=200,
                             suspended=403)),
    ("get", "/review/history/", dict(anonymous=302, creator_a=403, creator_b=403, reviewer=200, auditor=403,
                                     admin=200, suspended=403)),
    ("get", "/review/dashboard/", dict(anonymous=302, creator_a=403, creator_b=403, reviewer=403, auditor=200,
                                       admin=200, suspended=403)),
    ("get", "/studio/jobs/{published}/progress", dict(anonymous=302, creator_a=200, creator_b=404, reviewer=404,
                                                      auditor=404, admin=404, suspended=404)),
    ("get", "/accounts/", dict(anonymous=302, creator_a=200, creator_b=200, reviewer=200, auditor=200, admin=200,
                               suspended=200)),
    ("get", "/admin/", dict(anonymous=302, creator_a=302, creator_b=302, reviewer=302, auditor=302, admin=200,
                            suspended=302)),
]


def _fill(template: str, objects) -> str:
    return template.format(**{k: (v.pk if hasattr(v, "pk") else v) for k, v in objects.items()})


def _leaks(response, role) -> bool:
    path = response.request["PATH_INFO"]
    if role == "creator_a" or role in ("reviewer", "admin") and path.startswith(("/review/", "/api/v1/reviews")):
        return False  # the owner, and reviewers reading the queue, may see the prompt
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return SECRET_PROMPT.encode() in content or b"alice" in content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "body", "expected"), API, ids=[f"{m} {u}" for m, u, _, _ in API])
def test_api_permissions(world, role, method, template, body, expected):
    users, objects = world
    client = _api(users.get(role))
    kwargs = {"format": "json"} if method == "post" and body is not None else {}
    if template == "/api/v1/verify":
        kwargs = {"format": "multipart"}
    response = getattr(client, method)(_fill(template, objects), body or {}, **kwargs) if method == "post" \
        else client.get(_fill(template, objects))
    assert response.status_code == expected[role], (role, template, response.content[:200])
    assert not _leaks(response, role), (role, template)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "expected"), PAGES, ids=[u for _, u, _ in PAGES])
def test_page_permissions(world, role, method, template, expected, client):
    users, objects = world
    response = _page(client, users.get(role)).get(_fill(template, objects))
    assert response.status_code == expected[role], (role, template)
    assert not _leaks(response, role), (role, template)


def test_the_leak_check_sees_the_prompt_where_it_is_allowed(world, client):
    """A positive control: the owner's job page and the reviewer's queue do show the prompt the check looks for."""
    users, objects = world
    client.force_login(users["creator_a"])
    assert SECRET_PROMPT in client.get(f"/studio/jobs/{objects['published'].pk}/").content.decode()
    client.force_login(users["reviewer"])
    assert SECRET_PROMPT in client.get("/review/").content.decode()
