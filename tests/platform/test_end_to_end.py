"""End to end on CPU with the real parts: the safety gate, the built-in generator, NudeNet, the watermark, C2PA
signing, the ledger and the verify endpoint. Only the worker loop is run in-process (batch mode)."""

from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import provenance
from accounts.models import Strike
from review.models import ReviewItem, ReviewKind
from studio.models import GenerationJob, JobState
from verification.models import LedgerEntry

# The worker closes its database connections between tasks, as a real one does: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"steps": 4, "seed": 7}  # a few denoising steps: the test checks the trust path, not the picture


@pytest.fixture(autouse=True)
def _real_pipeline(real_pipeline):
    """The real prompt gate, development signing keys, private held clips (tests/conftest.py)."""


def run_worker():
    call_command("worker", batch=True, no_startup_delay=True)


def submit(client, prompt, **params):
    response = client.post("/api/v1/generations", {"prompt": prompt, **FAST, **params}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def verify(client, data: bytes, name="upload.mp4"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/verify", {"file": SimpleUploadedFile(name, data, "video/mp4")}, format="multipart")


@pytest.fixture
def published(creator, client_for):
    """One job submitted through the API, run by a worker and published; with its sealed bytes."""
    job = submit(client_for(creator), "a red ball moves right on a dark background")
    assert job["state"] == JobState.QUEUED, job
    run_worker()
    detail = client_for(creator).get(f"/api/v1/generations/{job['id']}").json()
    assert detail["state"] == JobState.PUBLISHED, detail["failure_reason"]
    video = client_for(creator).get(detail["video_url"])
    assert video.status_code == 200 and video["Content-Type"] == "video/mp4"
    return detail, b"".join(video.streaming_content)


def test_a_published_video_verifies_as_authentic(published, auditor, api_client, client_for, creator):
    job, data = published
    entry = LedgerEntry.objects.get(job_id=job["id"])
    assert entry.sha256 == __import__("hashlib").sha256(data).hexdigest()

    anonymous = verify(api_client, data)
    assert anonymous.status_code == 200, anonymous.content
    body = anonymous.json()
    assert body["verdict"] == "authentic"
    assert body["created_at"] == entry.created_at.isoformat()
    assert body["c2pa"]["valid"] and body["c2pa"]["trusted"]
    assert body["watermark"]["detected"] and all(s["detected"] for s in body["watermark"]["seconds"])
    assert "audit" not in body  # anonymous callers never learn the job or the account

    audited = verify(client_for(auditor), data).json()
    assert audited["audit"]["job"] == job["id"]
    assert audited["audit"]["account"] == creator.username
    assert audited["audit"]["manifest"]["active_manifest"] == entry.manifest_id


def test_a_stripped_reencoded_copy_is_altered_and_gets_its_credentials_back(published, api_client, tmp_path):
    _, data = published
    original = tmp_path / "sealed.mp4"
    original.write_bytes(data)
    decoded = provenance.decode_video(original)
    copy = tmp_path / "copy.mp4"
    provenance.encode_video(decoded.frames, decoded.fps, copy, crf=28)  # a fresh file: no manifest, new pixels
    body = verify(api_client, copy.read_bytes()).json()
    assert body["verdict"] == "altered", body
    assert not body["c2pa"]["present"]
    # the copy is tied back to its record by the watermark or, where compression erased it, the fingerprint
    assert {"the watermark matches a ledger record",
            "the frames match the fingerprint of a ledger record, but no watermark was read"} & set(body["reasons"])
    assert "the C2PA manifest was removed" in body["reasons"]
    credentials = body["content_credentials"]
    assert credentials is not None and "c2pa.created" in credentials["actions"]


def test_an_unrelated_clip_is_unknown(published, api_client, tmp_path):
    rng = np.random.default_rng(3)
    frames = np.repeat(rng.integers(0, 255, (1, 128, 128, 3), dtype=np.uint8), 16, axis=0)
    frames = np.stack([np.roll(f, 4 * t, axis=1) for t, f in enumerate(frames)])
    path = tmp_path / "other.mp4"
    provenance.encode_video(frames, 8, path)
    body = verify(api_client, path.read_bytes()).json()
    assert body["verdict"] == "unknown", body
    assert body["created_at"] is None and body["content_credentials"] is None


def test_a_blocked_prompt_never_reaches_the_worker_and_adds_a_strike(creator, client_for):
    job = submit(client_for(creator), "an explicit porn scene with two naked people")
    assert job["state"] == JobState.REJECTED
    assert Strike.objects.filter(user=creator).count() == 1
    run_worker()
    assert GenerationJob.objects.get(pk=job["id"]).attempts == 0
    assert not LedgerEntry.objects.exists()


def test_a_prompt_in_review_waits_until_a_reviewer_approves_it(creator, reviewer, client_for, settings):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "PROMPT_MODERATOR": "tests.platform.conftest.keyword_moderator"}
    job = submit(client_for(creator), "a blue square moves up [review]")
    assert job["state"] == JobState.IN_REVIEW
    run_worker()
    assert GenerationJob.objects.get(pk=job["id"]).state == JobState.IN_REVIEW
    item = ReviewItem.objects.get(job_id=job["id"], kind=ReviewKind.PROMPT)
    client_for(reviewer).post(f"/api/v1/reviews/{item.pk}/decide", {"decision": "approve"}, format="json")
    run_worker()
    assert GenerationJob.objects.get(pk=job["id"]).state == JobState.PUBLISHED
    assert LedgerEntry.objects.filter(job_id=job["id"]).exists()


def test_missing_signing_credentials_fail_the_job_and_publish_nothing(creator, client_for, settings, tmp_path):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "SIGNING": {"CERT_CHAIN": str(tmp_path / "absent.pem"),
                                                              "KEY": str(tmp_path / "absent-key.pem"),
                                                              "TRUST_ANCHORS": str(tmp_path / "absent-ca.pem")}}
    job = submit(client_for(creator), "a green triangle grows on a light background")
    run_worker()
    failed = GenerationJob.objects.get(pk=job["id"])
    assert failed.state == JobState.FAILED
    assert "cannot seal" in failed.failure_reason and "absent.pem" in failed.failure_reason
    assert not LedgerEntry.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.mp4"))
    assert not list(Path(settings.CLEARFRAME["HELD_CLIP_DIR"]).glob("*.mp4"))
    assert client_for(creator).get(f"/api/v1/generations/{job['id']}/video").status_code == 404


def test_an_approved_held_clip_is_sealed_and_a_rejected_one_is_deleted(creator, reviewer, client_for, settings,
                                                                        client):
    """The frame check holds a clip (its verdict is forced to review here); approval seals it for real."""
    settings.CLEARFRAME = {**settings.CLEARFRAME, "FRAME_MODERATOR": "tests.platform.test_end_to_end.held_for_review",
                           "PROMPT_MODERATOR": "tests.platform.conftest.keyword_moderator"}
    jobs = [submit(client_for(creator), f"a white circle bounces, take {n}") for n in range(2)]
    run_worker()
    states = [GenerationJob.objects.get(pk=j["id"]) for j in jobs]
    assert [j.state for j in states] == [JobState.OUTPUT_REVIEW] * 2, [j.failure_reason for j in states]
    items = [ReviewItem.objects.get(job_id=j["id"], kind=ReviewKind.OUTPUT) for j in jobs]
    for job, item in zip(jobs, items, strict=True):
        assert GenerationJob.objects.get(pk=job["id"]).state == JobState.OUTPUT_REVIEW
        assert item.frames and all((Path(settings.MEDIA_ROOT) / f).is_file() for f in item.frames)
    listed = client_for(reviewer).get("/api/v1/reviews", {"kind": "output"}).json()["results"]
    client.force_login(creator)
    assert client.get(listed[0]["frames"][0]).status_code == 404
    client.force_login(reviewer)
    frame = client.get(listed[0]["frames"][0])
    assert frame.status_code == 200 and frame["Content-Type"] == "image/png"
    assert client_for(creator).get(f"/api/v1/generations/{jobs[0]['id']}/video").status_code == 404

    client_for(reviewer).post(f"/api/v1/reviews/{items[0].pk}/decide", {"decision": "approve"}, format="json")
    client_for(reviewer).post(f"/api/v1/reviews/{items[1].pk}/decide", {"decision": "reject", "reason": "gore"},
                              format="json")
    run_worker()
    approved, rejected = (GenerationJob.objects.get(pk=j["id"]) for j in jobs)
    assert approved.state == JobState.PUBLISHED and LedgerEntry.objects.filter(job=approved).exists()
    assert rejected.state == JobState.REJECTED and not LedgerEntry.objects.filter(job=rejected).exists()
    assert not list(Path(settings.CLEARFRAME["HELD_CLIP_DIR"]).glob("*.npz"))


def held_for_review(frames, fps):
    import safety

    verdict = safety.moderate_frames(frames, fps).as_dict()
    return {**verdict, "decision": "review", "reasons": ["frames: violence/graphic 0.70 (forced by the test)"]}


def test_tampering_with_a_ledger_row_is_caught(published):
    call_command("verify_ledger")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE verification_ledgerentry SET payload = %s", ["00" * 8])
    with pytest.raises(CommandError, match="ledger tampered with"):
        call_command("verify_ledger")


def test_bad_uploads_get_a_clear_4xx(published, api_client, settings, tmp_path):
    _, data = published
    assert api_client.post("/api/v1/verify", {}, format="multipart").status_code == 400
    assert verify(api_client, b"").status_code == 400
    not_video = verify(api_client, b"%PDF-1.7 not a video at all" * 10, "doc.pdf")
    assert not_video.status_code == 415
    assert "not a video" in not_video.json()["error"]["message"]
    truncated = verify(api_client, data[: len(data) // 3])
    assert truncated.status_code == 422, truncated.content
    settings.CLEARFRAME = {**settings.CLEARFRAME, "VERIFY_MAX_UPLOAD_BYTES": 1000}
    too_large = verify(api_client, data)
    assert too_large.status_code == 413


def test_the_generate_command_runs_the_pipeline_from_a_terminal(creator, tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    call_command("generate", "a purple square slides left", "--user", creator.username, "--out", str(out),
                 "--steps", "4", "--seed", "1")
    printed = capsys.readouterr().out
    assert "prompt verdict:" in printed and "frame verdict:" in printed and "state: published" in printed
    assert provenance.inspect(out).watermark.detected
    with pytest.raises(CommandError, match="blocked"):
        call_command("generate", "an explicit porn scene", "--user", creator.username)
