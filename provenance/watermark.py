"""Spread-spectrum video watermark: a keyed, periodic chroma (Cr) pattern carrying a convolutionally coded 64-bit
payload.

Layout. A tile of TILE_CHIPS x TILE_CHIPS chips of CHIP x CHIP pixels repeats over every frame from its
top-left corner. A keyed permutation gives 1/8 of the chips to a pilot (all +1) and the rest, round robin, to
the 288 coded bits of the payload: 64 bits, a CRC-24, a rate-1/3 convolutional code of constraint length 9
terminated by 8 zero bits. Every chip also carries a keyed +/-1 sign. The slightly smoothed pattern is added
along the red-difference chroma axis Cr (luma and Cb are left alone) at a strength set by a PSNR budget on flat
mid-tones and scaled per pixel by `strength_map`: up to twice as strong over luma texture, where H.264's adaptive
quantisation gives the macroblock a coarser quantiser (its step grows about as the cube root of the luma
deviation) and the texture hides the change, and down to half as strong where red or green sits near 0 or 255,
where half of the mark is clipped away anyway and any darkening or brightening clips the rest. Natural images
carry far less texture in Cr than in luma, so the host hides the mark much less; 8-pixel chips are coarse enough
to survive 4:2:0 chroma subsampling, downscaling and heavy H.264, and smooth enough to cost little SSIM for their
energy.

Detection. Each frame's Cr is high-passed, divided by the square of its local activity (inverse-variance
weighting: flat areas hide little host noise, busy ones much), clipped against outliers and folded onto one
tile. The tile's offset (crops move it) is found by whitened correlation of the frames' tiles, weighted by how
clearly each frame's own pilot stands out, with all bit patterns and the pilot; at each of a few candidate
offsets, frames are combined weighted by their squared pilot correlation (re-encoding leaves most of the mark
in intra frames), chip sums give soft coded bits, a soft-decision Viterbi decoder finds the codeword that
correlates best with them, and the mark is detected when its CRC checks.

False positives. Without our mark, flipping the keyed signs of all chips of any set of coded bits leaves the
key's distribution unchanged and is invisible to the offset search (squared data correlations, the pilot) and
to the frame weights (pilot chips, disjoint from the data chips). The code and the Viterbi decoder are
linear, so such a flip along a codeword adds that codeword's message to the decoded word: the decoded 88 bits
are uniformly distributed and the linear CRC checks with probability exactly 2^-24 per candidate offset.
`decode_false_rate` is the union bound over the CANDIDATE_OFFSETS attempts: 8 x 2^-24 = 4.8e-7 per video,
below the 1e-6 target. The pilot statistic z = sum(s_k x_k) / sqrt(sum x_k^2) is sub-Gaussian
(P(z >= t) <= exp(-t^2/2), Hoeffding) on unmarked content and is reported, per second too, as evidence of how
much of the mark is present.

Measured limits (`python -m provenance evaluate`, seed 0: 100 clips of 256x256, 3 s at 16 fps, and 1,000 unmarked
clips). Sealed frames: PSNR 40.4 dB (min 38.8: busy clips take the stronger mark), SSIM 0.9862 (min 0.978). The
payload is recovered from every clip under every attack of the suite except H.264 CRF 35 (99%: one clip of a
textured grey photograph lost), brightness -20% and contrast +20% (97% each). The clips lost under those two are
the three of the Hubble deep field, a mostly black image: the attacks push the red or green of 94% and 87% of its
pixels to 0, and the mark with them. Moving all of each frame's mark onto the pixels that keep their headroom
(measured, not kept) still left a known-payload correlation of z <= 5.3 there, far short of a decode: no mark
within this quality budget survives on so few pixels. Measured against the same clip sealed without the mark and
put through the same attack, only 5% (brightness -20%) and 12% (contrast +20%) of the mark's projection onto its
pattern is left, against 113% after a plain CRF 23 re-encode. Cancelling the host by motion compensation (each
frame minus the frame four later warped onto it, with the pan and zoom known exactly, a bound on what a blind
estimate could do) raised the known-payload z from 1.8 to 6.1 and from 4.0 to 11.5, where a decode of the 288
coded bits needs about 18. Re-encoders predict most frames from a few intra frames; a
mark fixed to the screen does not survive that prediction where the content moves, so at CRF 35 nearly all the
evidence comes from the intra frames and the capacity per intra frame grows with the pixel count. Zero detections
on 1,000 unmarked clips. At 480x832 (80 frames; 8 clips for quality, 4 for CRF 35, brightness -20% and contrast
+20%): PSNR 40.7 dB, SSIM 0.9845 over every 8th frame (0.9836 with one uniform strength), every payload recovered.
On flat grey areas a faint red-green mottle (R within about +/-4 levels) can be seen under magnification. Frames
smaller than a tile (256x256) carry only part of the pattern; flat ones carry it well (no host texture hides it),
and pixels whose red or green sits at 0 or 255 carry only the half of it that points inward.

Earlier designs, measured with the same command. v3 at first had one uniform strength (42 dB everywhere: PSNR 41.6
dB, SSIM 0.9865): 92% at CRF 35, where eight clips of textured grey photographs (grass, gravel, brick, the
cameraman), whose busy macroblocks H.264 quantises hardest, lost most of the mark (bit accuracy 0.45 to 0.78), and
97% after brightness -20% and contrast +20% (the same Hubble clips). Tried and not kept: a uniform 38 dB recovered
all eight at CRF 35 but costs 3.6 dB of PSNR on every clip; a gain linear in the local luma deviation spent the
PSNR less well (6 of the 8 still lost at a mean 41.1 dB over the 100 clips); unsmoothed chips kept more of the
mark at CRF 35 but cost SSIM (0.9825 against 0.9865 at about the same PSNR); weighting the detector's residual by
the strength map estimated from the received frame lost one clip more at CRF 35 (12-clip subset); frame weights
proportional to the pilot z or to z^4 instead of z^2 gave the same recovery at CRF 35 with lower bit accuracy
(0.913 and 0.917 against 0.919). v2 put the pattern on luma in 4-pixel chips, scaled by a texture mask and held to
an SSIM bound (PSNR 42.6 dB / SSIM 0.9835 at 256x256): 97% after CRF 23, 89% after CRF 28, 54% after CRF 35, 89%
after the crop; at 480x832 CRF 35 reached 90%. Luma with 8-pixel chips raised CRF 35 to 65% at 256x256 but lost
elsewhere (CRF 23 89%, crop 76%): host texture at that scale interferes more than compression removes. Informed
embedding on luma (cancelling each coded bit's host correlation as the detector sees it) did not help: the
detector's response to the mark varies more from bit to bit than the host interferes. Soft decoding gained about 2
dB over the hard BCH + Chase decoder of v1.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import ndimage

from .errors import PayloadError

ALGORITHM = "io.clearframe.watermark.ss-cr.v3"
PAYLOAD_BITS = 64
CHIP = 8  # pixels per chip side
TILE_CHIPS = 32  # chips per tile side
TILE = CHIP * TILE_CHIPS  # pixels per tile side
PILOT_SHARE = 0.125  # share of the chips that carry the pilot
SMOOTH = 1.4  # Gaussian sigma (pixels) that softens chip edges
TARGET_PSNR_DB = 42.0  # mean-square strength of the mark on flat mid-tones (before 8-bit rounding)
MASK_WINDOW = 16  # pixels: the macroblock over which an H.264 encoder's adaptive quantisation measures texture
MASK_SIGMA = 12.0  # local luma standard deviation above which the mark grows
MASK_MAX = 2.0  # most the mark grows in busy areas
HEADROOM = 16.0  # levels from 0 or 255 (red or green) over which the mark shrinks ...
HEADROOM_FLOOR = 0.5  # ... to this share: the half pointing outward is clipped away there anyway
HIGHPASS_SIZE = 9  # box filter whose output is subtracted from the Cr channel at detection
NORM_SIZE = 15  # window of the local activity estimate at detection
NORM_FLOOR = 0.5  # keeps flat, noiseless areas from dividing by zero
NORM_POWER = 2.0  # residual / activity ** 2: inverse-variance weighting
CRC_BITS = 24  # CRC-24 (the LTE polynomial) over the payload: a random word passes with probability 2^-24
CRC_POLY = 0x864CFB  # x^24 + x^23 + x^18 + x^17 + x^14 + x^11 + x^10 + x^7 + x^6 + x^5 + x^4 + x^3 + x + 1
INFO_BITS = PAYLOAD_BITS + CRC_BITS
CONSTRAINT_LENGTH = 9  # convolutional code memory 8: 256 trellis states
GENERATORS = (0o557, 0o663, 0o711)  # rate 1/3, free distance 18
RATE = len(GENERATORS)
CODE_BITS = RATE * (INFO_BITS + CONSTRAINT_LENGTH - 1)  # terminated: 8 zero tail bits return it to state 0
FALSE_POSITIVE_RATE = 1e-6  # per video
CANDIDATE_OFFSETS = 8  # tile offsets tried for decoding: the 4 best peaks and the best offset next to each
SEARCH_PEAK_FLOOR = 2.0  # pilot correlation peak (standard deviations) below which a frame adds nothing
DEFAULT_KEY = b"clearframe watermark key v1"
# The mark lives on the red-difference chroma axis Cr (BT.601): adding d * _CR_RGB to a pixel's R, G, B moves
# its Cr by d and leaves its luma and Cb unchanged; _CR reads Cr back. Natural images carry far less texture in
# Cr than in luma, so the host hides the mark much less, and encoders keep 8-pixel chroma patterns well.
_CR_RGB = np.array([1.402, -0.714136, 0.0], dtype=np.float32)
_CR = np.array([0.5, -0.418688, -0.081312], dtype=np.float32)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


# --- payload coding -------------------------------------------------------------------------------------

def _crc_matrix() -> np.ndarray:
    """(PAYLOAD_BITS, CRC_BITS) matrix over GF(2): the CRC (zero start, no final xor) of bits u is u @ M mod 2."""
    rows = np.zeros((PAYLOAD_BITS, CRC_BITS), dtype=np.uint8)
    top, full = 1 << (CRC_BITS - 1), (1 << CRC_BITS) - 1
    for i in range(PAYLOAD_BITS):
        reg = 0
        for j in range(PAYLOAD_BITS):
            feedback = bool(reg & top) ^ (i == j)
            reg = (reg << 1) & full
            if feedback:
                reg ^= CRC_POLY
        rows[i] = [(reg >> (CRC_BITS - 1 - b)) & 1 for b in range(CRC_BITS)]
    return rows


@dataclass(frozen=True)
class _Trellis:
    taps: np.ndarray  # (RATE, K) generator taps, column i multiplies the input i steps back
    signs: np.ndarray  # (2^K, RATE) +/-1 output of each shift-register content (newest bit highest)
    predecessors: np.ndarray  # (2^(K-1), 2) register contents that lead into each state
    crc: np.ndarray  # (PAYLOAD_BITS, CRC_BITS)


@lru_cache(maxsize=1)
def _trellis() -> _Trellis:
    k = CONSTRAINT_LENGTH
    taps = np.array([[(g >> (k - 1 - i)) & 1 for i in range(k)] for g in GENERATORS], dtype=np.uint8)
    registers = np.arange(1 << k)
    register_bits = (registers[:, None] >> (k - 1 - np.arange(k))[None]) & 1
    signs = (2.0 * (register_bits @ taps.T % 2) - 1).astype(np.float64)
    states = np.arange(1 << (k - 1))
    return _Trellis(taps, signs, np.stack([states << 1, (states << 1) | 1], axis=1), _crc_matrix())


def _bits(data: bytes, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))[:n]


def _with_crc(payload_bits: np.ndarray) -> np.ndarray:
    return np.concatenate([payload_bits, payload_bits @ _trellis().crc % 2]).astype(np.uint8)


def encode_payload(payload: bytes) -> np.ndarray:
    """64-bit payload -> CODE_BITS coded bits, as 0/1 uint8: payload + CRC, convolutionally coded, terminated."""
    if len(payload) * 8 != PAYLOAD_BITS:
        raise PayloadError(f"the payload must be {PAYLOAD_BITS // 8} bytes, got {len(payload)}")
    trellis = _trellis()
    u = np.concatenate([_with_crc(_bits(payload, PAYLOAD_BITS)), np.zeros(CONSTRAINT_LENGTH - 1, np.uint8)])
    coded = np.stack([np.convolve(u, taps)[:len(u)] % 2 for taps in trellis.taps], axis=1)  # (steps, RATE)
    return coded.reshape(-1).astype(np.uint8)


def viterbi(soft: np.ndarray) -> np.ndarray:
    """Soft coded bits (positive means 1) -> the INFO_BITS of the codeword that correlates best with them.

    Maximum-likelihood sequence decoding for Gaussian noise of equal variance on every coded bit.
    """
    trellis = _trellis()
    k = CONSTRAINT_LENGTH
    mask = (1 << (k - 1)) - 1
    branch = soft.reshape(-1, RATE).astype(np.float64) @ trellis.signs.T  # (steps, 2^K)
    steps = len(branch)
    metric = np.full(mask + 1, -np.inf)
    metric[0] = 0.0  # the encoder starts in state 0
    choices = np.empty((steps, mask + 1), dtype=np.uint8)
    pred = trellis.predecessors
    for t in range(steps):
        candidates = metric[pred & mask] + branch[t][pred]  # (states, 2)
        choice = candidates[:, 1] > candidates[:, 0]
        choices[t] = choice
        metric = np.where(choice, candidates[:, 1], candidates[:, 0])
    state, bits = 0, np.empty(steps, dtype=np.uint8)  # the tail brings it back to state 0
    for t in range(steps - 1, -1, -1):
        register = (state << 1) | int(choices[t, state])
        bits[t] = register >> (k - 1)
        state = register & mask
    return bits[:INFO_BITS]


def decode_codeword(soft: np.ndarray) -> tuple[bytes | None, int]:
    """Soft coded bits (positive means 1) -> (payload, coded bits that disagreed with it) or (None, -1).

    Soft Viterbi decoding, accepted only when the decoded payload's CRC checks.
    """
    info = viterbi(soft)
    if not np.array_equal(info, _with_crc(info[:PAYLOAD_BITS])):
        return None, -1
    payload = np.packbits(info[:PAYLOAD_BITS]).tobytes()
    return payload, int(np.count_nonzero(encode_payload(payload) != (soft > 0)))


# --- the keyed pattern ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Layout:
    signs: np.ndarray  # (TILE_CHIPS, TILE_CHIPS) of +/-1
    pilot: np.ndarray  # (TILE_CHIPS, TILE_CHIPS) bool
    bit_of_chip: np.ndarray  # (TILE_CHIPS, TILE_CHIPS) int, -1 for pilot chips
    pilot_tile: np.ndarray = field(repr=False)  # (TILE, TILE) float32 pilot signs at pixel resolution


@lru_cache(maxsize=4)
def _layout(key: bytes) -> _Layout:
    seed = int.from_bytes(hashlib.sha256(b"layout:" + key).digest()[:8], "big")
    rng = np.random.Generator(np.random.PCG64(seed))
    n = TILE_CHIPS * TILE_CHIPS
    signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=n)
    order = rng.permutation(n)
    n_pilot = int(round(n * PILOT_SHARE))
    pilot = np.zeros(n, dtype=bool)
    pilot[order[:n_pilot]] = True
    bit_of_chip = np.full(n, -1, dtype=np.int64)
    bit_of_chip[order[n_pilot:]] = np.arange(n - n_pilot) % CODE_BITS
    shape = (TILE_CHIPS, TILE_CHIPS)
    pilot_chips = np.where(pilot, signs, 0.0).reshape(shape)
    pilot_tile = np.kron(pilot_chips, np.ones((CHIP, CHIP), dtype=np.float32)).astype(np.float32)
    return _Layout(signs.reshape(shape), pilot.reshape(shape), bit_of_chip.reshape(shape), pilot_tile)


def _smooth_periodic(tile: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(tile, sigma=sigma, mode="wrap")


def _chip_tile(chip_values: np.ndarray) -> np.ndarray:
    """(TILE_CHIPS, TILE_CHIPS) chip values -> smoothed (TILE, TILE) float32 tile."""
    tile = np.kron(chip_values.astype(np.float32), np.ones((CHIP, CHIP), dtype=np.float32))
    return _smooth_periodic(tile, sigma=SMOOTH) if SMOOTH else tile


def _frame_pattern(tile: np.ndarray, h: int, w: int) -> np.ndarray:
    reps = (-(-h // TILE), -(-w // TILE))
    return np.tile(tile, reps)[:h, :w]


def chroma(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 red-difference chroma Cr (BT.601, without the 128 offset)."""
    return frame.astype(np.float32) @ _CR


def _payload_tile(payload: bytes, key: bytes) -> np.ndarray:
    """(TILE, TILE) pattern of the payload's codeword and the pilot, unit mean square."""
    layout = _layout(key)
    code = encode_payload(bytes(payload)).astype(np.float32) * 2 - 1
    chips = np.where(layout.pilot, 1.0, code[np.clip(layout.bit_of_chip, 0, None)]) * layout.signs
    tile = _chip_tile(chips)
    return tile / np.sqrt(np.mean(tile**2))


def strength_map(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 gain of the mark at each pixel, 1 on flat mid-tones.

    Busy areas get more: H.264's adaptive quantisation gives a macroblock a quantiser step that grows about as
    the cube root of its luma deviation, and texture hides the change (SSIM barely moves). Pixels whose red or
    green sits near 0 or 255 get less: half of the mark is clipped away there, and any darkening or brightening
    clips the rest.
    """
    f = frame.astype(np.float32)
    luma = f @ _LUMA
    mean = ndimage.uniform_filter(luma, size=MASK_WINDOW)
    variance = ndimage.uniform_filter(luma * luma, size=MASK_WINDOW) - mean * mean
    # (deviation / MASK_SIGMA) ** (1/3), held within [1, MASK_MAX]: the sixth root of the variance ratio
    ratio = np.clip(variance * (1.0 / MASK_SIGMA**2), 1.0, MASK_MAX**6)
    gain = np.sqrt(np.cbrt(ratio))
    red, green = f[..., 0], f[..., 1]
    headroom = ndimage.uniform_filter(np.minimum(np.minimum(red, green), 255.0 - np.maximum(red, green)), size=5)
    return gain * (HEADROOM_FLOOR + (1.0 - HEADROOM_FLOOR) * np.clip(headroom * (1.0 / HEADROOM), 0.0, 1.0))


def embed(frames: np.ndarray, payload: bytes, *, key: bytes = DEFAULT_KEY,
          target_psnr_db: float = TARGET_PSNR_DB) -> np.ndarray:
    """Return watermarked copies of uint8 RGB frames (T, H, W, 3) carrying the 64-bit payload.

    Every frame gets the same pattern on its Cr axis; on flat mid-tones the mark alone (before 8-bit rounding)
    sits at `target_psnr_db` over R, G and B, elsewhere it is scaled by `strength_map`.
    """
    _, h, w, _ = frames.shape
    pattern = _frame_pattern(_payload_tile(payload, key), h, w)
    rms = 255.0 / 10 ** (target_psnr_db / 20)
    unit = rms / float(np.sqrt(np.mean(_CR_RGB**2))) * pattern
    out = np.empty_like(frames)
    for i, frame in enumerate(frames):
        delta = (unit * strength_map(frame))[..., None] * _CR_RGB
        out[i] = np.clip(frame + delta + 0.5, 0, 255).astype(np.uint8)
    return out


# --- detection ------------------------------------------------------------------------------------------

def highpass(y: np.ndarray) -> np.ndarray:
    """A channel minus its local mean: removes most of the host image, keeps the chip-scale pattern."""
    return y - ndimage.uniform_filter(y, size=HIGHPASS_SIZE)


def residual(frame: np.ndarray) -> np.ndarray:
    """High-passed, outlier-clipped Cr: the part of a frame the pattern lives in."""
    return residual_of_channel(chroma(frame))


def residual_of_channel(y: np.ndarray) -> np.ndarray:
    r = highpass(y)
    r = r / (ndimage.uniform_filter(np.abs(r), size=NORM_SIZE) + NORM_FLOOR) ** NORM_POWER
    limit = 3.0 * float(np.mean(np.abs(r))) + 1e-9
    return np.clip(r, -limit, limit)


def fold(r: np.ndarray) -> np.ndarray:
    """Sum a (H, W) map onto one (TILE, TILE) tile by position modulo the tile."""
    h, w = r.shape
    ph, pw = -h % TILE, -w % TILE
    if ph or pw:
        r = np.pad(r, ((0, ph), (0, pw)))
    return r.reshape(r.shape[0] // TILE, TILE, r.shape[1] // TILE, TILE).sum(axis=(0, 2))


@dataclass
class Detection:
    """Outcome of correlating an accumulated tile with the key's pattern."""

    detected: bool
    payload: bytes | None
    z: float  # pilot statistic at the chosen offset
    offset: tuple[int, int]
    corrected_bits: int
    soft_bits: np.ndarray = field(repr=False)

    @property
    def false_positive_bound(self) -> float:
        """Chance that content without this mark decodes at all, whatever its z (see `decode_false_rate`)."""
        return decode_false_rate()


@lru_cache(maxsize=2)
def _pattern_spectra(key: bytes) -> np.ndarray:
    """Conjugate spectra of the per-bit chip patterns (one per codeword bit, then the pilot)."""
    layout = _layout(key)
    ones = np.ones((CHIP, CHIP), dtype=np.float32)
    tiles = np.zeros((CODE_BITS + 1, TILE, TILE), dtype=np.float32)
    for bit in range(CODE_BITS):
        tiles[bit] = np.kron(np.where(layout.bit_of_chip == bit, layout.signs, 0.0), ones)
    tiles[CODE_BITS] = layout.pilot_tile
    return np.conj(np.fft.rfft2(tiles)).astype(np.complex64)


def find_offsets(acc: np.ndarray, key: bytes = DEFAULT_KEY, count: int = CANDIDATE_OFFSETS) -> list[tuple[int, int]]:
    """Candidate circular offsets (dy, dx) of the tile in a folded accumulator: the count/2 best distinct
    peaks, then for each the best offset within 2 pixels of it.

    Scores every offset by the energy of all codeword-bit correlations plus the signed pilot correlation, so
    the search uses the whole mark rather than the pilot alone, on a whitened spectrum (phase correlation):
    folded static content has strong low-frequency structure that would otherwise outscore the true peak.
    """
    spectrum = np.fft.rfft2(acc)
    spectrum /= np.abs(spectrum) + 1e-9 * (np.abs(spectrum).max() + 1e-30)
    corr = np.fft.irfft2(spectrum[None].astype(np.complex64) * _pattern_spectra(key), s=acc.shape)
    score = (corr[:CODE_BITS] ** 2).sum(axis=0) + corr[CODE_BITS] * np.abs(corr[CODE_BITS])
    offsets = []
    runners_up = []
    for _ in range(count - count // 2):
        dy, dx = (int(v) for v in np.unravel_index(int(np.argmax(score)), score.shape))
        offsets.append((dy, dx))
        rows = np.arange(dy - 2, dy + 3) % score.shape[0]
        cols = np.arange(dx - 2, dx + 3) % score.shape[1]
        score[dy, dx] = -np.inf
        # A weak mark's peak can land one pixel off the true offset: the best offset next to it is tried too.
        near = score[np.ix_(rows, cols)]
        ry, rx = np.unravel_index(int(np.argmax(near)), near.shape)
        runners_up.append((int(rows[ry]), int(cols[rx])))
        score[np.ix_(rows, cols)] = -np.inf  # suppress the peak's neighbours: next candidate is a different offset
    return (offsets + runners_up)[:count]


def search_weights(tiles: np.ndarray, key: bytes = DEFAULT_KEY) -> np.ndarray:
    """Weight of each frame's tile in the offset search, before any offset is known.

    A frame's whitened pilot correlation peaks at its own offset; how far that peak stands above the rest of
    the correlation surface (in standard deviations, beyond SEARCH_PEAK_FLOOR) picks out the frames that kept
    the mark, so the search is not drowned by frames that re-encoding wiped.
    """
    spectra = np.fft.rfft2(tiles, axes=(1, 2))
    spectra /= np.abs(spectra) + 1e-9
    corr = np.fft.irfft2(spectra * _pattern_spectra(key)[CODE_BITS][None], s=tiles.shape[1:], axes=(1, 2))
    corr = corr.reshape(len(tiles), -1)
    peak = corr.max(axis=1) / (corr.std(axis=1) + 1e-12)
    w = np.maximum(peak - SEARCH_PEAK_FLOOR, 0.0) ** 2
    return w if w.sum() > 0 else np.ones(len(tiles))


def chip_sums(acc: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    """(TILE_CHIPS, TILE_CHIPS) sums of the folded tile over each chip, the tile read from `offset`."""
    aligned = np.roll(acc, (-offset[0], -offset[1]), axis=(0, 1)) if offset != (0, 0) else acc
    return aligned.reshape(TILE_CHIPS, CHIP, TILE_CHIPS, CHIP).sum(axis=(1, 3))


def pilot_z(x: np.ndarray, key: bytes = DEFAULT_KEY) -> float:
    """Self-normalised pilot correlation; about N(0, 1) and sub-Gaussian on unmarked content."""
    layout = _layout(key)
    xs = x[layout.pilot]
    norm = float(np.sqrt(np.sum(xs.astype(np.float64) ** 2)))
    return float(np.sum(layout.signs[layout.pilot] * xs) / norm) if norm > 0 else 0.0


def soft_bits(x: np.ndarray, key: bytes = DEFAULT_KEY) -> np.ndarray:
    """Per-codeword-bit correlations (positive means 1)."""
    layout = _layout(key)
    data = ~layout.pilot
    return np.bincount(layout.bit_of_chip[data], weights=(layout.signs * x)[data], minlength=CODE_BITS)


def known_z(x: np.ndarray, payload: bytes, key: bytes = DEFAULT_KEY) -> float:
    """Self-normalised correlation of every chip with the pattern of a known payload (pilot and data)."""
    layout = _layout(key)
    code = encode_payload(payload).astype(np.float64) * 2 - 1
    expected = np.where(layout.pilot, 1.0, code[np.clip(layout.bit_of_chip, 0, None)]) * layout.signs
    norm = float(np.sqrt(np.sum(x.astype(np.float64) ** 2)))
    return float(np.sum(expected * x) / norm) if norm > 0 else 0.0


def decode_false_rate(candidates: int = CANDIDATE_OFFSETS) -> float:
    """Upper bound on the chance that content without our mark yields a payload: candidates x 2^-CRC_BITS.

    Without the mark, flipping the keyed signs of the chips of any set of coded bits is as likely as not
    flipping them, and the offset search and frame weights cannot see such flips (squared data correlations,
    pilot chips). The code and the Viterbi decoder are linear, so adding a codeword to the soft bits adds its
    message to the decoded word: the decoded 88 bits are uniform and the (linear) CRC checks with probability
    exactly 2^-CRC_BITS at each candidate offset.
    """
    return candidates * 2.0 ** -CRC_BITS


def _frame_weights(tiles: np.ndarray, offset: tuple[int, int], key: bytes) -> np.ndarray:
    """Weight of each frame's tile: its own pilot correlation squared (frames re-encoding wiped count for nothing;
    frames that kept much of the mark, typically intra frames, dominate)."""
    layout = _layout(key)
    aligned = np.roll(tiles, (-offset[0], -offset[1]), axis=(1, 2))
    x = aligned.reshape(len(tiles), TILE_CHIPS, CHIP, TILE_CHIPS, CHIP).sum(axis=(2, 4))
    xs = x[:, layout.pilot]
    z = (xs * layout.signs[layout.pilot]).sum(axis=1) / (np.sqrt((xs**2).sum(axis=1)) + 1e-9)
    return np.maximum(z, 0.0) ** 2


def detect_tiles(tiles: np.ndarray, key: bytes = DEFAULT_KEY, offset: tuple[int, int] | None = None) -> Detection:
    """Detect and decode from per-frame folded tiles (N, TILE, TILE); tries the best pilot offsets."""
    total = tiles.sum(axis=0)
    if offset is not None:
        offsets = [offset]
    elif len(tiles) > 1:
        offsets = find_offsets(np.tensordot(search_weights(tiles, key), tiles, axes=1), key)
    else:
        offsets = find_offsets(total, key)
    first = None
    for candidate in offsets:
        if len(tiles) > 1:
            w = _frame_weights(tiles, candidate, key)
            acc = np.tensordot(w, tiles, axes=1) if w.sum() > 0 else total
        else:
            acc = total
        x = chip_sums(acc, candidate)
        soft = soft_bits(x, key)
        payload, corrected = decode_codeword(soft)
        result = Detection(detected=payload is not None, payload=payload, z=pilot_z(chip_sums(total, candidate), key),
                           offset=candidate, corrected_bits=corrected, soft_bits=soft)
        if payload is not None:
            return result
        first = first or result
    return first


def detect(frames, key: bytes = DEFAULT_KEY) -> Detection:
    """Detect the mark in an iterable of uint8 RGB frames."""
    return detect_tiles(np.stack([fold(residual(f)) for f in frames]), key)


# Per-second map: a second carries the mark when its own chips correlate with the decoded pattern at
# z >= SECOND_THRESHOLD, for which exp(-z^2/2) <= 1e-6 (same Hoeffding bound, no search).
SECOND_THRESHOLD = math.sqrt(2.0 * math.log(1.0 / FALSE_POSITIVE_RATE))


@dataclass
class WatermarkResult:
    """Watermark verdict for a whole video, with the seconds that carry it."""

    detected: bool
    payload: str | None  # hex
    confidence: float  # 1 - (bound on the chance that unmarked content decodes) when detected, else 0
    z: float
    corrected_bits: int
    algorithm: str = ALGORITHM
    false_positive_bound: float = 0.0
    seconds: list[dict] = field(default_factory=list)  # [{"start", "end", "z", "detected"}]

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("detected", "payload", "confidence", "z", "corrected_bits", "algorithm",
                                              "false_positive_bound", "seconds")}


class Detector:
    """Streams frames in; folds each into one tile, and keeps at most about `max_tiles` tiles (256 KB each).

    Past that, neighbouring tiles within the same second are summed in pairs, so a long upload costs bounded
    memory, the per-second map stays exact and frame weighting only gets coarser in time.
    """

    max_tiles = 512

    def __init__(self, key: bytes = DEFAULT_KEY):
        self.key = key
        self.tiles: list[np.ndarray] = []
        self.times: list[float] = []  # time of each tile's first frame

    def add(self, t: float, frame: np.ndarray) -> None:
        self.tiles.append(fold(residual(frame)).astype(np.float32))
        self.times.append(float(t))
        if len(self.tiles) > self.max_tiles:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        tiles, times, i = [], [], 0
        while i < len(self.tiles):
            times.append(self.times[i])
            if i + 1 < len(self.tiles) and math.floor(self.times[i]) == math.floor(self.times[i + 1]):
                tiles.append(self.tiles[i] + self.tiles[i + 1])
                i += 2
            else:
                tiles.append(self.tiles[i])
                i += 1
        self.tiles, self.times = tiles, times

    def result(self) -> WatermarkResult:
        if not self.tiles:
            return WatermarkResult(False, None, 0.0, 0.0, -1)
        tiles = np.stack(self.tiles).astype(np.float64)
        found = detect_tiles(tiles, self.key)
        bound = decode_false_rate()
        seconds = []
        if found.detected:
            times = np.asarray(self.times)
            start = float(np.floor(times.min()))
            for second in np.arange(start, times.max() + 1e-9, 1.0):
                inside = (times >= second) & (times < second + 1.0)
                if not inside.any():
                    continue
                z = known_z(chip_sums(tiles[inside].sum(axis=0), found.offset), found.payload, self.key)
                seconds.append({"start": round(float(second), 3), "end": round(float(second) + 1.0, 3),
                                "z": round(z, 2), "detected": bool(z >= SECOND_THRESHOLD)})
        return WatermarkResult(
            detected=found.detected, payload=found.payload.hex() if found.payload else None,
            confidence=1.0 - bound if found.detected else 0.0, z=round(found.z, 3),
            corrected_bits=found.corrected_bits, false_positive_bound=bound, seconds=seconds)


def bit_accuracy(detection: Detection, payload: bytes) -> float:
    """Share of the coded bits whose hard decision was right (before decoding)."""
    truth = encode_payload(payload)
    return float(np.mean((detection.soft_bits > 0).astype(np.uint8) == truth))
