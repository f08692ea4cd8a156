"""Platform fixtures: a prompt moderator double whose decision each test chooses."""

import pytest

from studio.moderation import PromptVerdict

DECISIONS = {
    "allow": PromptVerdict("allow", {"violence": 0.01}, []),
    "review": PromptVerdict("review", {"violence": 0.6}, ["classifier: violence 0.60"]),
    "block": PromptVerdict("block", {"violence": 0.97}, ["rules: violence term 'behead'"]),
}


def keyword_moderator(text: str) -> PromptVerdict:
    """Decides by a marker word in the prompt, so tests can steer the gate without a model."""
    lowered = text.lower()
    if "[block]" in lowered:
        return DECISIONS["block"]
    if "[review]" in lowered:
        return DECISIONS["review"]
    return DECISIONS["allow"]


@pytest.fixture(autouse=True)
def _moderation_double(settings):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "PROMPT_MODERATOR": "tests.platform.conftest.keyword_moderator"}


@pytest.fixture
def clearframe_settings(settings):
    """Change one Clearframe setting for a test: clearframe_settings(STRIKE_LIMIT=2)."""

    def change(**values):
        settings.CLEARFRAME = {**settings.CLEARFRAME, **values}

    return change


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle history lives in the cache; each test starts with none (user ids repeat between tests)."""
    from django.core.cache import cache

    cache.clear()
