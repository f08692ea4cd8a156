"""Health endpoints, a database outage answered with 503, and brute-force protection on login."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

import provenance
from studio.models import GenerationJob, JobState


@pytest.fixture
def signing(settings, tmp_path, db):
    provenance.init_dev_keys(tmp_path / "keys")
    settings.CLEARFRAME = {**settings.CLEARFRAME, "SIGNING": {
        "CERT_CHAIN": str(tmp_path / "keys" / "signing-chain.pem"), "KEY": str(tmp_path / "keys" / "signing-key.pem"),
        "TRUST_ANCHORS": str(tmp_path / "keys" / "trust-anchors.pem")}}
    return tmp_path / "keys"


def test_liveness_answers_without_the_database(client, db):
    assert client.get("/health/live").json() == {"status": "ok"}


def test_ready_when_database_queue_and_signing_are_fine(client, signing):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["signing"]["signer"]
    assert body["checks"]["queue"]["stale_leases"] == 0


def test_not_ready_without_signing_credentials(client, settings, db, tmp_path):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "SIGNING": {
        "CERT_CHAIN": str(tmp_path / "nope.pem"), "KEY": str(tmp_path / "nope.key"), "TRUST_ANCHORS": ""}}
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "nope.pem" in response.json()["checks"]["signing"]["error"]


def test_not_ready_with_a_dead_workers_lease(client, signing, creator):
    GenerationJob.objects.create(user=creator, prompt="x", state=JobState.RUNNING, worker_id="gone",
                                 lease_expires_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "worker died" in response.json()["checks"]["queue"]["error"]


def test_a_database_outage_is_a_503_with_a_clear_body(client_for, creator, client, monkeypatch):
    api = client_for(creator)

    def unavailable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    from studio import selectors

    monkeypatch.setattr(selectors.GenerationJob.objects, "filter", unavailable)
    response = api.get("/api/v1/generations")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"
    client.force_login(creator)
    page = client.get("/studio/jobs/")
    assert page.status_code == 503
    assert b"Clearframe is unavailable" in page.content and b"Traceback" not in page.content


def test_repeated_failed_logins_lock_the_account_out(api_client, creator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [api_client.post("/api/v1/auth/token", {"username": creator.username, "password": "wrong"},
                                format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # the attempt that reaches the limit is already refused
    locked = api_client.post("/api/v1/auth/token", {"username": creator.username,
                                                     "password": "correct horse battery"}, format="json")
    assert locked.status_code == 429
    assert "too many failed logins" in locked.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/", "/verify", "/accounts/login/", "/api/v1/me", "/health/live"])
def test_security_headers_on_pages_and_api(client, db, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "script-src" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
