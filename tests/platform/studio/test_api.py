import pytest

from studio.models import GenerationJob

pytestmark = pytest.mark.django_db

URL = "/api/v1/generations"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"]
    return body["error"]


def test_create_list_detail_cancel(client_for, creator):
    client = client_for(creator)
    created = client.post(URL, {"prompt": "a blue square drifting left", "num_frames": 16, "seed": 3}, format="json")
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["state"] == "queued" and job["params"]["seed"] == 3
    listing = client.get(URL).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == job["id"]
    assert client.get(f"{URL}?state=queued").json()["count"] == 1
    assert client.get(f"{URL}/{job['id']}").json()["prompt"] == "a blue square drifting left"
    cancelled = client.post(f"{URL}/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert error_of(client.post(f"{URL}/{job['id']}/cancel"))["code"] == "illegal_transition"


def test_blocked_prompt_answers_with_the_rejection(client_for, creator):
    response = client_for(creator).post(URL, {"prompt": "nasty [block]"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "rejected"
    assert body["moderation"]["decision"] == "block" and body["moderation"]["reasons"]


def test_malformed_json_is_400(client_for, creator):
    response = client_for(creator).post(URL, data='{"prompt": "unterminated', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


def test_non_object_json_is_400(client_for, creator):
    response = client_for(creator).post(URL, data='["a", "list"]', content_type="application/json")
    assert response.status_code == 400


def test_unknown_fields_are_refused(client_for, creator):
    response = client_for(creator).post(URL, {"prompt": "a lake", "fps": 60}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"fps": ["unknown field"]}
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prompt": "a lake", "num_frames": 10_000}, "num_frames"),
        ({"prompt": "a lake", "guidance": -1}, "guidance"),
        ({"prompt": "a lake", "steps": "many"}, "steps"),
        ({"prompt": ""}, "prompt"),
        ({}, "prompt"),
    ],
)
def test_out_of_range_parameters_are_400(client_for, creator, payload, field):
    response = client_for(creator).post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_width_not_multiple_of_16_is_400_with_message(client_for, creator):
    response = client_for(creator).post(URL, {"prompt": "a lake", "width": 250}, format="json")
    assert response.status_code == 400
    assert "multiple of 16" in error_of(response)["message"]


def test_over_long_prompt_is_400(client_for, creator):
    response = client_for(creator).post(URL, {"prompt": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert "limit is 2000" in error_of(response)["message"]


def test_suspended_user_gets_403(client_for, admin_user, creator):
    from accounts.services import user_suspend

    user_suspend(actor=admin_user, user=creator, reason="spam")
    response = client_for(creator).post(URL, {"prompt": "a lake"}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "account_suspended"


def test_over_quota_gets_429(client_for, creator, clearframe_settings):
    clearframe_settings(DAILY_JOB_QUOTA=1)
    client = client_for(creator)
    assert client.post(URL, {"prompt": "a lake"}, format="json").status_code == 201
    response = client.post(URL, {"prompt": "another lake"}, format="json")
    assert response.status_code == 429
    assert error_of(response)["code"] == "quota_exceeded"


def test_foreign_job_is_404_and_never_listed(client_for, creator, creator_b):
    job = client_for(creator).post(URL, {"prompt": "my private lake"}, format="json").json()
    other = client_for(creator_b)
    assert other.get(f"{URL}/{job['id']}").status_code == 404
    assert other.post(f"{URL}/{job['id']}/cancel").status_code == 404
    listing = other.get(URL)
    assert listing.json()["count"] == 0
    assert b"my private lake" not in listing.content


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {"prompt": "a lake"}, format="json").status_code == 401


def test_auditor_cannot_submit(client_for, auditor):
    assert client_for(auditor).post(URL, {"prompt": "a lake"}, format="json").status_code == 403


def test_unknown_state_filter_is_400(client_for, creator):
    assert client_for(creator).get(f"{URL}?state=bogus").status_code == 400


def test_submit_throttle(client_for, creator, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "submit": "2/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = client_for(creator)
        codes = [client.post(URL, {"prompt": f"lake {i}"}, format="json").status_code for i in range(3)]
        assert codes == [201, 201, 429]
        assert client.get(URL).status_code == 200
    finally:
        cache.clear()


def test_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/generations" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
