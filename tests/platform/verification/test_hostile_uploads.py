"""The verify endpoint against hundreds of hostile files: a 4xx with a clear message, never a 5xx."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from .hostile_files import build_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("hostile"))


def test_the_corpus_is_large_and_varied(corpus):
    kinds = {kind for _, _, kind in corpus}
    assert len(corpus) >= 500 and kinds == {"not_video", "damaged", "over_limits"}


def test_every_hostile_upload_is_answered_without_a_server_error(corpus, api_client, settings, db):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "VERIFY_MAX_SECONDS": 30.0}
    outcomes = {}
    for name, data, kind in corpus:
        response = api_client.post("/api/v1/verify", {"file": SimpleUploadedFile(name, data, "video/mp4")},
                                   format="multipart")
        assert response.status_code < 500, (name, response.content[:300])
        body = response.json()
        if response.status_code >= 400:
            message = body["error"]["message"]
            assert message and "Traceback" not in message, name
        else:
            assert kind == "damaged", (name, body)  # only a damaged real video may still decode
            assert body["verdict"] == "unknown", (name, body)
        outcomes[name] = response.status_code
    refused = [name for name, _, kind in corpus if kind in ("not_video", "over_limits")]
    assert all(400 <= outcomes[name] < 500 for name in refused), {n: outcomes[n] for n in refused}
    assert outcomes["too-long.mp4"] == outcomes["thousands-of-frames.mp4"] == outcomes["too-many-pixels.mp4"] == 422
