"""Fingerprints match copies of a video and separate unrelated ones."""

from provenance import FINGERPRINT_MATCH_THRESHOLD, Fingerprint, fingerprint_distance, fingerprint_frames
from provenance.clips import make_clip
from provenance.fingerprint import MIN_QUALITY


def test_copy_matches_and_unrelated_clips_do_not(clip, scene):
    original = fingerprint_frames(clip, 16)
    darker = fingerprint_frames((clip * 0.8).astype("uint8"), 16)
    trimmed = fingerprint_frames(clip[16:], 16)
    assert fingerprint_distance(original, original) == 0.0
    assert fingerprint_distance(original, darker) <= FINGERPRINT_MATCH_THRESHOLD
    assert fingerprint_distance(original, trimmed) <= FINGERPRINT_MATCH_THRESHOLD
    for other in (scene, make_clip(4, size=(256, 256), frames=32), make_clip(7, size=(256, 256), frames=32)):
        assert fingerprint_distance(original, fingerprint_frames(other, 16)) > FINGERPRINT_MATCH_THRESHOLD


def test_round_trip_through_dict(clip):
    fp = fingerprint_frames(clip, 16)
    again = Fingerprint.from_dict(fp.to_dict())
    assert again == fp and fingerprint_distance(fp.to_dict(), again) == 0.0


def test_a_copy_trimmed_to_a_flat_stretch_still_matches():
    # The clock sample zooms in towards a plain face: its last second's frames have PDQ quality below
    # MIN_QUALITY, so only they are left to search with, and they must find themselves in the original.
    clip = make_clip(22, size=(256, 256), frames=48)
    whole = fingerprint_frames(clip, 16)
    last_second = fingerprint_frames(clip[32:], 16)
    assert all(q < MIN_QUALITY for q in last_second.qualities)
    assert any(q >= MIN_QUALITY for q in whole.qualities)
    assert fingerprint_distance(whole, last_second) <= FINGERPRINT_MATCH_THRESHOLD
    assert fingerprint_distance(last_second, whole) <= FINGERPRINT_MATCH_THRESHOLD
    unrelated = fingerprint_frames(make_clip(3, size=(256, 256), frames=48), 16)
    assert fingerprint_distance(unrelated, last_second) > FINGERPRINT_MATCH_THRESHOLD
