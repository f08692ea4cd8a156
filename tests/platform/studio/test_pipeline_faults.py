"""Faults inside the pipeline fail the job closed, with a reason an operator can act on, and publish nothing."""

import datetime as dt
import errno
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives import serialization

import provenance
from generation import Clip
from provenance.credentials import make_test_chain
from studio import pipeline
from studio.models import JobState
from studio.services import job_execute, job_submit
from verification.models import LedgerEntry


class SceneBackend:
    """A stand-in generator: a procedural clip, or the fault a test asks for."""

    name = "scene"

    def __init__(self, fault: BaseException | None = None):
        self.fault = fault

    def generate(self, prompt, **options):
        if self.fault is not None:
            raise self.fault
        frames = np.full((16, 128, 128, 3), 30, np.uint8)
        for t in range(16):
            frames[t, 40:80, 8 * t: 8 * t + 40] = (220, 50, 40)
        return Clip(frames=frames, fps=8, metadata={"model": "scene"})


@pytest.fixture
def keys(tmp_path):
    provenance.init_dev_keys(tmp_path / "keys")
    return tmp_path / "keys"


@pytest.fixture
def run_job(creator, settings, keys, monkeypatch, tmp_path):
    def run(backend=SceneBackend(), signing=None):
        monkeypatch.setattr(pipeline, "generation_backend", lambda: backend)
        settings.CLEARFRAME = {**settings.CLEARFRAME, "HELD_CLIP_DIR": str(tmp_path / "held"), "SIGNING": signing or {
            "CERT_CHAIN": str(keys / "signing-chain.pem"), "KEY": str(keys / "signing-key.pem"),
            "TRUST_ANCHORS": str(keys / "trust-anchors.pem")}}
        job = job_submit(user=creator, prompt="a red square slides right")
        state = job_execute(job_id=job.pk, worker_id="w1")
        job.refresh_from_db()
        return state, job

    return run


def _published_nothing(settings, job):
    assert not LedgerEntry.objects.filter(job=job).exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.mp4"))


def test_the_stand_in_generator_publishes(run_job):
    state, job = run_job()
    assert state == JobState.PUBLISHED and LedgerEntry.objects.filter(job=job).exists()


def test_expired_signing_credentials(run_job, tmp_path, settings):
    root, leaf, key = make_test_chain(days=30, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    pem = serialization.Encoding.PEM
    folder = tmp_path / "expired"
    folder.mkdir()
    (folder / "chain.pem").write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(root.public_bytes(pem))
    state, job = run_job(signing={"CERT_CHAIN": str(folder / "chain.pem"), "KEY": str(folder / "key.pem"),
                                  "TRUST_ANCHORS": str(folder / "ca.pem")})
    assert state == JobState.FAILED
    assert "cannot seal" in job.failure_reason and "expired" in job.failure_reason
    _published_nothing(settings, job)


def test_unreadable_signing_key(run_job, keys, settings):
    (keys / "signing-key.pem").write_text("not a key")
    state, job = run_job()
    assert state == JobState.FAILED and job.failure_reason.startswith("cannot seal")
    _published_nothing(settings, job)


def test_disk_full_while_writing_the_sealed_video(run_job, monkeypatch, settings):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(provenance, "seal", full)
    state, job = run_job()
    assert state == JobState.FAILED
    assert "No space left on device" in job.failure_reason and "nothing was published" in job.failure_reason
    _published_nothing(settings, job)


@pytest.mark.parametrize("fault", [MemoryError(), RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")])
def test_the_generator_running_out_of_memory(run_job, fault, settings):
    state, job = run_job(backend=SceneBackend(fault))
    assert state == JobState.FAILED and "ran out of" in job.failure_reason
    _published_nothing(settings, job)


def test_a_crashing_frame_check_fails_closed(run_job, settings, clearframe_settings):
    clearframe_settings(FRAME_MODERATOR="tests.platform.studio.test_pipeline_faults.broken_frame_check")
    state, job = run_job()
    assert state == JobState.FAILED and "the frame check could not run" in job.failure_reason
    _published_nothing(settings, job)


def broken_frame_check(frames, fps):
    raise RuntimeError("onnxruntime session died")
