"""Fixtures shared by the whole suite: one account per role, API clients, a moderation double."""

import pytest


@pytest.fixture
def make_user(db):
    from accounts.services import user_create

    counter = {"n": 0}

    def make(role: str = "creator", username: str | None = None, **extra):
        counter["n"] += 1
        user = user_create(username=username or f"{role}-{counter['n']}", password="correct horse battery",
                           email=f"{role}{counter['n']}@example.test", role=role)
        for key, value in extra.items():
            setattr(user, key, value)
        if extra:
            user.save()
        return user

    return make


@pytest.fixture
def creator(make_user):
    return make_user("creator", "creator-a")


@pytest.fixture
def creator_b(make_user):
    return make_user("creator", "creator-b")


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", "reviewer")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", "auditor")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", "admin")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(api_client):
    """An API client authenticated with a real knox token for the given user."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path):
    """Each test writes media into its own folder."""
    if "settings" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory):
    """Development signing credentials (a private root CA and a leaf), made once per test run."""
    import provenance

    folder = tmp_path_factory.mktemp("keys")
    provenance.init_dev_keys(folder)
    return folder


@pytest.fixture
def real_pipeline(settings, signing_keys, tmp_path):
    """The real prompt gate (not the platform tests' double), development signing keys, private held clips."""
    settings.CLEARFRAME = {
        **settings.CLEARFRAME,
        "PROMPT_MODERATOR": "studio.moderation.moderate_prompt",
        "SIGNING": {"CERT_CHAIN": str(signing_keys / "signing-chain.pem"),
                    "KEY": str(signing_keys / "signing-key.pem"),
                    "TRUST_ANCHORS": str(signing_keys / "trust-anchors.pem")},
        "HELD_CLIP_DIR": str(tmp_path / "held"),
    }
