"""seal and inspect end to end: manifest content, trust, tampering, stripping and re-encoding."""

import io
import json

import pytest

from provenance import FINGERPRINT_MATCH_THRESHOLD, Claims, PayloadError, fingerprint_distance, inspect, seal
from provenance.attacks import reencode, strip_metadata
from provenance.manifest import GENERATION_LABEL, TRAINED_ALGORITHMIC_MEDIA, read_manifest
from provenance.sealing import file_sha256


def test_claims_hash_prompt_and_settings():
    a = Claims.for_generation(model="m", prompt="a cat", settings={"b": 1, "a": [1, 2]})
    b = Claims.for_generation(model="m", prompt="a cat", settings={"a": [1, 2], "b": 1})
    assert a.prompt_sha256 == b.prompt_sha256 and a.settings_sha256 == b.settings_sha256
    assert len(a.prompt_sha256) == 64 and a.created_at.endswith("Z")
    assert Claims.for_generation(model="m", prompt="a dog").prompt_sha256 != a.prompt_sha256


def test_sealed_video_record(sealed):
    assert sealed.path.is_file() and len(sealed.payload) == 16
    assert sealed.manifest_id.startswith("urn:c2pa:")
    assert sealed.sha256 == file_sha256(sealed.path)
    assert len(sealed.fingerprint.hashes) == 4  # 2 s at 2 samples a second


def test_inspect_sealed_video(sealed, credentials, claims):
    report = inspect(sealed.path, trust_anchors=credentials.trust_anchors_pem)
    c = report.c2pa
    assert c.present and c.valid and c.trusted and c.validation_state == "Trusted" and not c.errors
    assert c.manifest_id == sealed.manifest_id and "test credentials" in c.signer
    actions = c.assertions["c2pa.actions.v2"]["actions"]
    created = next(a for a in actions if a["action"] == "c2pa.created")
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert created["softwareAgent"]["name"] == "builtin-t2v"
    assert any(a["action"] == "c2pa.watermarked.bound" for a in actions)
    assert c.soft_binding_payload == sealed.payload
    assert all(e["use"] == "notAllowed" for e in c.assertions["cawg.training-mining"]["entries"].values())
    generation = c.assertions[GENERATION_LABEL]
    assert generation["prompt_sha256"] == claims.prompt_sha256
    assert generation["settings_sha256"] == claims.settings_sha256
    assert "kite" not in json.dumps(c.manifest)  # the prompt itself never enters the manifest
    w = report.watermark
    assert w.detected and w.payload == sealed.payload and w.confidence > 0.999999
    assert [s["detected"] for s in w.seconds] == [True, True]
    assert report.payload_matches_manifest is True
    assert report.sha256 == sealed.sha256
    assert fingerprint_distance(report.fingerprint, sealed.fingerprint) < 0.05
    json.dumps(report.to_dict())  # JSON-ready


def test_valid_but_untrusted_without_anchors(sealed):
    c = read_manifest(sealed.path)
    assert c.present and c.valid and not c.trusted


def test_inspect_a_stream(sealed, credentials):
    report = inspect(io.BytesIO(sealed.path.read_bytes()), trust_anchors=credentials.trust_anchors_pem)
    assert report.c2pa.trusted and report.watermark.payload == sealed.payload


def _flip(path, out, marker, offset):
    data = bytearray(path.read_bytes())
    data[data.find(marker) + offset] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def test_changed_pixels_invalidate_the_manifest(sealed, tmp_path, credentials):
    report = read_manifest(_flip(sealed.path, tmp_path / "t.mp4", b"mdat", 5000),
                           trust_anchors=credentials.trust_anchors_pem)
    assert report.present and not report.valid and not report.trusted and report.errors


def test_changed_manifest_is_invalid(sealed, tmp_path, credentials):
    report = read_manifest(_flip(sealed.path, tmp_path / "t.mp4", b"prompt_sha256", 40),
                           trust_anchors=credentials.trust_anchors_pem)
    assert report.present and not report.valid and report.errors


def test_stripped_copy_still_inspects_as_ours(sealed, tmp_path):
    stripped = strip_metadata(sealed.path, tmp_path / "stripped.mp4")
    report = inspect(stripped)
    assert not report.c2pa.present
    assert report.watermark.detected and report.watermark.payload == sealed.payload


def test_reencoded_copy_still_inspects_as_ours(sealed, tmp_path):
    copy = reencode(23)(sealed.path, tmp_path / "copy.mp4")
    report = inspect(copy)
    assert not report.c2pa.present
    assert report.watermark.payload == sealed.payload
    assert fingerprint_distance(report.fingerprint, sealed.fingerprint) <= FINGERPRINT_MATCH_THRESHOLD


def test_unrelated_video_is_not_ours(tmp_path, scene, credentials):
    from provenance import encode_video

    report = inspect(encode_video(scene, 16, tmp_path / "plain.mp4"), trust_anchors=credentials.trust_anchors_pem)
    assert not report.c2pa.present and not report.watermark.detected and report.watermark.payload is None


def test_given_payload_and_bad_payload(tmp_path, scene, claims, credentials):
    sealed = seal(scene[:16], 16, claims, credentials, tmp_path / "p.mp4", payload="00ff00ff00ff00ff")
    assert sealed.payload == "00ff00ff00ff00ff"
    assert inspect(sealed.path).watermark.payload == "00ff00ff00ff00ff"
    with pytest.raises(PayloadError):
        seal(scene[:4], 16, claims, credentials, tmp_path / "q.mp4", payload="xyz")
    assert not (tmp_path / "q.mp4").exists()
