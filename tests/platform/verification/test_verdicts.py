"""The verdict table of verify_upload, over every combination of manifest and watermark evidence. The inspection
of the file is stood in for (the end-to-end tests run the real one); the ledger lookups are real."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import provenance
from studio.models import GenerationJob, JobState
from verification.services import ledger_append, verify_upload

MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64


@pytest.fixture
def records(creator):
    entries = []
    for n in (1, 2):
        job = GenerationJob.objects.create(user=creator, prompt=f"clip {n}", state=JobState.PUBLISHED)
        entries.append(ledger_append(job=job, payload=f"{n:016x}", manifest_id=f"urn:c2pa:{n}", sha256="0" * 64,
                                     fingerprint={"hashes": [f"{n}"]}, manifest={"active_manifest": f"urn:c2pa:{n}"},
                                     media_path=f"videos/{n}.mp4"))
    return entries


def _inspection(*, present=True, valid=True, trusted=True, manifest_id="urn:c2pa:1", payload="0000000000000001"):
    c2pa = SimpleNamespace(present=present, valid=valid, trusted=trusted, signer="someone",
                           manifest_id=manifest_id if present else None)
    watermark = SimpleNamespace(detected=payload is not None, payload=payload)
    return SimpleNamespace(c2pa=c2pa, watermark=watermark, fingerprint={"hashes": ["x"]},
                           to_dict=lambda: {"c2pa": vars(c2pa), "watermark": vars(watermark)})


@pytest.mark.parametrize(
    ("evidence", "verdict", "reason"),
    [
        ({}, "authentic", "valid manifest"),
        ({"present": False, "manifest_id": None}, "altered", "the C2PA manifest was removed"),
        ({"valid": False}, "altered", "does not validate"),
        ({"trusted": False}, "altered", "does not trust"),
        ({"manifest_id": "urn:c2pa:elsewhere"}, "altered", "not one this platform recorded"),
        ({"payload": None}, "altered", "do not carry its watermark"),
        ({"payload": "0000000000000002"}, "altered", "belong to different videos"),
        ({"present": False, "payload": None}, "unknown", "no watermark, manifest or fingerprint"),
        ({"manifest_id": "urn:c2pa:elsewhere", "payload": None}, "unknown", "from another signer"),
    ],
)
def test_verdicts(records, monkeypatch, evidence, verdict, reason):
    monkeypatch.setattr(provenance, "inspect", lambda *a, **k: _inspection(**evidence))
    monkeypatch.setattr(provenance, "fingerprint_distance", lambda a, b: 1.0)  # no fingerprint match
    result = verify_upload(upload=SimpleUploadedFile("clip.mp4", MP4, "video/mp4"))
    assert result.verdict == verdict
    assert any(reason in r for r in result.reasons), result.reasons
    assert (result.stored_manifest is not None) == (verdict == "altered")


def test_a_fingerprint_alone_ties_a_copy_to_its_record(records, monkeypatch):
    monkeypatch.setattr(provenance, "inspect", lambda *a, **k: _inspection(present=False, payload=None))
    monkeypatch.setattr(provenance, "fingerprint_distance",
                        lambda a, b: 0.05 if b == {"hashes": ["2"]} else 0.9)
    result = verify_upload(upload=SimpleUploadedFile("clip.mp4", MP4, "video/mp4"))
    assert (result.verdict, result.entry.sequence) == ("altered", 2)
    assert result.stored_manifest == {"active_manifest": "urn:c2pa:2"}
