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
    rng = np.random.default_rng(3)
    # Noisy soft bits at Eb/N0 = 3 dB: about 13 % of the hard decisions are wrong.
    soft = code.astype(float) * 2 - 1 + rng.normal(scale=0.9, size=wm.CODE_BITS)
    assert np.mean((soft > 0) != code) > 0.1
    payload, corrected = wm.decode_codeword(soft)
    assert payload == PAYLOAD and corrected == np.count_nonzero((soft > 0) != code)


def test_decoder_corrects_more_than_hard_decisions_can():
    """Soft decoding of noisy words succeeds far more often than decoding their hard decisions."""
    rng = np.random.default_rng(5)
    decoded = decoded_hard = 0
    for _ in range(40):
        payload = rng.bytes(8)
        soft = wm.encode_payload(payload) * 2.0 - 1 + rng.normal(scale=1.0, size=wm.CODE_BITS)  # Eb/N0 2.1 dB
        decoded += wm.decode_codeword(soft)[0] == payload
        decoded_hard += wm.decode_codeword(np.where(soft > 0, 1.0, -1.0))[0] == payload
    assert decoded >= 37 and decoded_hard <= 30


def test_random_words_do_not_decode():
    rng = np.random.default_rng(0)
    decoded = sum(wm.decode_codeword(rng.normal(size=wm.CODE_BITS))[0] is not None for _ in range(300))
    assert decoded == 0


def test_false_positive_bound_is_below_target():
    assert wm.decode_false_rate() == wm.CANDIDATE_OFFSETS * 2.0 ** -wm.CRC_BITS
    assert wm.decode_false_rate() <= wm.FALSE_POSITIVE_RATE


def test_decoded_word_of_noise_passes_the_crc_at_the_bound_rate():
    """On pure noise the decoded 88-bit word is uniform, so its 24-bit CRC checks about 2^-24 of the time:
    with an 8-bit check instead (same argument) the empirical rate should be near 2^-8."""
    rng = np.random.default_rng(1)
    crc = wm._trellis().crc[:, :8]
    hits = 0
    trials = 3000
    for _ in range(trials):
        info = wm.viterbi(rng.normal(size=wm.CODE_BITS))
        hits += np.array_equal(info[:wm.PAYLOAD_BITS] @ crc % 2, info[wm.PAYLOAD_BITS:wm.PAYLOAD_BITS + 8])
    assert 2 <= hits <= 30  # 3000 / 256 = 11.7 expected


def test_payload_length_checked():
    with pytest.raises(PayloadError):
        wm.encode_payload(b"short")


def test_embed_is_imperceptible_and_detected(clip):
    marked = wm.embed(clip, PAYLOAD)
    assert marked.dtype == np.uint8 and marked.shape == clip.shape
    assert _psnr(marked, clip) >= 39.0  # busy natural content takes a stronger mark than flat mid-tones
    found = wm.detect(marked)
    assert found.detected and found.payload == PAYLOAD
    assert wm.bit_accuracy(found, PAYLOAD) > 0.95


def test_the_mark_moves_chroma_only(clip):
    """The delta lies on the Cr axis: luma and Cb change by 8-bit rounding at most, Cr by the pattern."""
    marked = wm.embed(clip, PAYLOAD).astype(np.float32)
    original = clip.astype(np.float32)
    delta = marked - original
    luma_delta = delta @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    cb_delta = delta @ np.array([-0.168736, -0.331264, 0.5], dtype=np.float32)
    unclipped = ((original > 8) & (original < 247)).all(axis=-1)
    assert np.abs(luma_delta[unclipped]).max() <= 1.0 and np.abs(cb_delta[unclipped]).max() <= 1.0
    assert np.abs(wm.chroma(marked) - wm.chroma(original)).mean() > 1.0


def test_strength_map_grows_with_texture_and_shrinks_near_saturation():
    """Flat mid-tones get the base strength, busy areas more (at most MASK_MAX), pixels at 0 or 255 less."""
    rng = np.random.default_rng(2)
    grey = np.full((64, 64, 3), 128, dtype=np.uint8)
    assert np.allclose(wm.strength_map(grey), 1.0)
    assert abs(_psnr(wm.embed(grey[None].repeat(2, axis=0), PAYLOAD), grey[None]) - wm.TARGET_PSNR_DB) < 0.5
    busy = np.clip(128 + rng.normal(scale=50, size=(64, 64, 1)), 0, 255).repeat(3, axis=-1).astype(np.uint8)
    inner = wm.strength_map(busy)[16:48, 16:48]
    assert inner.min() > 1.3 and inner.max() <= wm.MASK_MAX
    assert np.allclose(wm.strength_map(np.zeros_like(grey)), wm.HEADROOM_FLOOR)
    assert np.allclose(wm.strength_map(np.full_like(grey, 255)), wm.HEADROOM_FLOOR)
    near_white = wm.strength_map(np.full_like(grey, 247))  # 8 levels of headroom: half-way down the ramp
    assert np.allclose(near_white, wm.HEADROOM_FLOOR + (1 - wm.HEADROOM_FLOOR) * 8 / wm.HEADROOM)


def test_mark_is_stronger_where_texture_hides_it():
    """Within one frame the Cr change is larger over texture than over a flat mid-tone."""
    rng = np.random.default_rng(6)
    frame = np.full((1, 256, 256, 3), 128, dtype=np.uint8)
    frame[0, :, 128:] = np.clip(128 + rng.normal(scale=50, size=(256, 128, 1)), 0, 255).astype(np.uint8)
    change = np.abs(wm.chroma(wm.embed(frame, PAYLOAD)[0]) - wm.chroma(frame[0]))
    assert change[:, 144:].mean() > 1.3 * change[:, :112].mean()


def test_grey_video_carries_the_mark(clip):
    """Grey content has no chroma of its own: the mark gives it a faint tint and is read back in full."""
    grey = np.repeat(np.round(clip.astype(np.float32) @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)[..., None],
                     3, axis=-1)
    found = wm.detect(wm.embed(grey, PAYLOAD))
    assert found.payload == PAYLOAD and wm.bit_accuracy(found, PAYLOAD) > 0.99


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


def test_long_input_keeps_bounded_tiles_and_an_exact_seconds_map(scene):
    """Past max_tiles, tiles of the same second are summed in pairs: memory stays bounded, the mark is still
    decoded and every second of the map keeps its own evidence."""
    marked = wm.embed(scene[:16], PAYLOAD)
    other = make_clip(901, size=(256, 256), frames=16)
    detector = wm.Detector()
    detector.max_tiles = 6
    for i, frame in enumerate(np.concatenate([marked, other])):
        detector.add(i / 16, frame)
    assert len(detector.tiles) <= 6 + 1
    assert all(int(t) in (0, 1) for t in detector.times)
    result = detector.result()
    assert result.detected and result.payload == PAYLOAD.hex()
    assert [s["detected"] for s in result.seconds] == [True, False]


def test_viterbi_finds_the_best_correlating_codeword():
    """The decoder is maximum likelihood: no codeword near the received word correlates better than its answer."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        payload = rng.bytes(8)
        soft = wm.encode_payload(payload) * 2.0 - 1 + rng.normal(scale=2.2, size=wm.CODE_BITS)
        info = wm.viterbi(soft)
        best = float(np.dot(_coded(info) * 2.0 - 1, soft))
        assert best >= float(np.dot(wm.encode_payload(payload) * 2.0 - 1, soft)) - 1e-9
        for flip in rng.choice(wm.INFO_BITS, size=10, replace=False):
            other = info.copy()
            other[flip] ^= 1
            assert best >= float(np.dot(_coded(other) * 2.0 - 1, soft)) - 1e-9


def _coded(info):
    """Encode an arbitrary 88-bit word (CRC valid or not) the way `encode_payload` encodes payload + CRC."""
    u = np.concatenate([info, np.zeros(wm.CONSTRAINT_LENGTH - 1, np.uint8)])
    taps = wm._trellis().taps
    return np.stack([np.convolve(u, t)[:len(u)] % 2 for t in taps], axis=1).reshape(-1)


def test_search_weights_favour_frames_that_carry_the_mark(scene):
    marked = wm.embed(scene[:8], PAYLOAD)
    frames = np.concatenate([marked, make_clip(902, size=(256, 256), frames=8)])
    w = wm.search_weights(np.stack([wm.fold(wm.residual(f)) for f in frames]))
    assert w[:8].min() > 10 * max(w[8:].max(), 1e-9)


def test_candidate_offsets_include_the_neighbours_of_each_peak():
    rng = np.random.default_rng(4)
    offsets = wm.find_offsets(rng.normal(size=(wm.TILE, wm.TILE)))
    assert len(offsets) == wm.CANDIDATE_OFFSETS
    peaks, nearby = offsets[:wm.CANDIDATE_OFFSETS // 2], offsets[wm.CANDIDATE_OFFSETS // 2:]
    for (py, px), (ny, nx) in zip(peaks, nearby, strict=True):
        dy, dx = (ny - py + wm.TILE // 2) % wm.TILE - wm.TILE // 2, (nx - px + wm.TILE // 2) % wm.TILE - wm.TILE // 2
        assert (dy, dx) != (0, 0) and max(abs(dy), abs(dx)) <= 2
