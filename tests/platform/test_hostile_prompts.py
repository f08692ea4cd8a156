"""Hostile prompts through the real gate: the longest allowed, every Unicode plane, control characters and
injection strings are refused with a clear 400 or stored exactly and shown escaped; never a 500."""

import pytest
from rest_framework.throttling import ScopedRateThrottle

from studio.models import GenerationJob

PROMPTS = {
    "longest allowed": "a red ball bouncing " * 100,  # 2,000 characters
    "basic multilingual plane": "un círculo rojo 🔴 über dem Kreis, 赤いボール, كرة حمراء, красный мяч",
    "supplementary planes": "a ball 𝒶 𝔟 𝕔 😀 🀄 𐍈 𠀋 𪚲 shining",  # math letters, emoji, Gothic, CJK extension B
    "tags and variation selectors": "a flag 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f waving︎",
    "right-to-left override": "a ball \u202emoves left\u202c on a dark background",
    "sql injection": "a ball'); DROP TABLE studio_generationjob; --",
    "html injection": "<script>alert('x')</script><img src=x onerror=alert(1)> a red ball",
    "template injection": "{{ settings.SECRET_KEY }} {% debug %} ${7*7} a red ball",
    "format string": "%s%s%s%n a red ball {0.__class__}",
    "newlines and tabs": "a red ball\n\tbouncing\r\non a dark background",
}

REFUSED = {
    "over the limit": "a" * 2001,
    "control characters": "a red ball \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12",
    "only whitespace": " \t\n ",
    "private use planes": "\U000f0000\U000f0001\U00100000\U00100001\U000f0002\U000f0003\U000f0004 ab",
    "only symbols": "!!! ??? ### ***",
}


@pytest.fixture(autouse=True)
def _real_gate(settings):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "PROMPT_MODERATOR": "studio.moderation.moderate_prompt"}


@pytest.mark.parametrize("name", PROMPTS)
def test_hostile_prompts_are_stored_exactly_and_shown_escaped(name, creator, client_for, client):
    prompt = PROMPTS[name]
    response = client_for(creator).post("/api/v1/generations", {"prompt": prompt}, format="json")
    assert response.status_code == 201, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.prompt == prompt.strip()
    assert client_for(creator).get(f"/api/v1/generations/{job.pk}").json()["prompt"] == prompt.strip()
    client.force_login(creator)
    page = client.get(f"/studio/jobs/{job.pk}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    if name == "html injection":
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    if name == "template injection":
        assert "clearframe-test-key" not in page


@pytest.mark.parametrize("name", REFUSED)
def test_unusable_prompts_get_a_clear_400(name, creator, client_for):
    response = client_for(creator).post("/api/v1/generations", {"prompt": REFUSED[name]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert not GenerationJob.objects.exists()


def test_submit_and_verify_are_throttled(creator, client_for, api_client, monkeypatch):
    from django.core.cache import cache

    cache.clear()  # throttle history of earlier tests
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES,
                                                               "submit": "3/min", "verify": "2/min"})
    statuses = [client_for(creator).post("/api/v1/generations", {"prompt": "a red ball"}, format="json").status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    statuses = [api_client.post("/api/v1/verify", {}, format="multipart").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
