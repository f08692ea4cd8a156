"""Watermark: payload coding, embedding quality, detection, the time map, and silence on unmarked video."""

import numpy as np
import pytest

from provenance import PayloadError
from provenance import watermark as wm
from provenance.clips import make_clip

PAYLOAD = bytes.fromhex("0123456789abcdef")


def _psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2))


def test_codeword_corrects_errors():
    code = wm.encode_payload(PAYLOAD)
    assert code.shape == (wm.CODE_BITS,)
    soft = code.astype(float) * 2 - 1
    rng = np.random.default_rng(3)
    soft[rng.choice(wm.CODE_BITS, size=wm.BCH_T, replace=False)] *= -1
    payload, corrected = wm.decode_codeword(soft)
    assert payload == PAYLOAD and corrected == wm.BCH_T


def test_random_words_do_not_decode():
    rng = np.random.default_rng(0)
    decoded = sum(wm.decode_codeword(rng.normal(size=wm.CODE_BITS))[0] is not None for _ in range(300))
    assert decoded == 0


def test_false_positive_bound_is_below_target():
    assert wm.decode_false_rate() <= wm.FALSE_POSITIVE_RATE


def test_payload_length_checked():
    with pytest.raises(PayloadError):
        wm.encode_payload(b"short")


def test_embed_is_imperceptible_and_detected(clip):
    marked = wm.embed(clip, PAYLOAD)
    assert marked.dtype == np.uint8 and marked.shape == clip.shape
    assert _psnr(marked, clip) >= 40.0
    found = wm.detect(marked)
    assert found.detected and found.payload == PAYLOAD
    assert wm.bit_accuracy(found, PAYLOAD) > 0.95


def test_unmarked_clips_are_not_detected():
    for index in range(6):
        found = wm.detect(make_clip(500 + index, size=(128, 128), frames=8))
        assert not found.detected and found.payload is None


def test_other_key_does_not_detect(scene):
    marked = wm.embed(scene, PAYLOAD)
    assert not wm.detect(marked, key=b"another deployment").detected


def test_shifted_frames_are_found(scene):
    marked = wm.embed(scene, PAYLOAD)
    shifted = np.ascontiguousarray(marked[:, 26:230, 26:230])  # centre crop to 80 %
    found = wm.detect(shifted)
    assert found.payload == PAYLOAD
    assert found.offset == (-26 % wm.TILE, -26 % wm.TILE)  # where the tile starts in the cropped frame


def test_seconds_map_shows_the_marked_part(scene):
    marked = wm.embed(scene[:16], PAYLOAD)
    other = make_clip(901, size=(256, 256), frames=16)
    detector = wm.Detector()
    for i, frame in enumerate(np.concatenate([marked, other])):
        detector.add(i / 16, frame)
    result = detector.result()
    assert result.detected and result.payload == PAYLOAD.hex()
    assert [s["detected"] for s in result.seconds] == [True, False]
    assert result.seconds[0]["z"] > wm.SECOND_THRESHOLD > result.seconds[1]["z"]


def test_words_beyond_the_radius_never_decode_to_a_false_codeword():
    """Every accepted decode is a true codeword within t of the word tried (no decoder miscorrection)."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        code = wm.encode_payload(rng.bytes(8))
        received = code.copy()
        received[rng.choice(wm.CODE_BITS, size=int(rng.integers(17, 40)), replace=False)] ^= 1
        payload, _ = wm.decode_codeword(received.astype(float) * 2 - 1, chase_bits=0)
        if payload is not None:
            assert np.count_nonzero(wm.encode_payload(payload) != received) <= wm.BCH_T
