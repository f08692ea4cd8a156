"""`python -m provenance evaluate`: seal clips, attack them, measure recovery, quality and false detections."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from skimage.metrics import structural_similarity

from . import watermark
from .attacks import attack_suite
from .clips import clip_source, make_clip
from .credentials import init_dev_keys
from .fingerprint import MATCH_THRESHOLD, fingerprint_distance, fingerprint_frames
from .manifest import Claims, read_manifest
from .sealing import seal
from .video import VideoReader, encode_video

TARGET_PSNR, TARGET_SSIM = 40.0, 0.98
TARGET_RECOVERY, TARGET_RECOVERY_CROP = 0.99, 0.90


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def ssim(a: np.ndarray, b: np.ndarray, step: int = 4) -> float:
    """Mean SSIM over every `step`-th frame (RGB, 8-bit range)."""
    return float(np.mean([structural_similarity(x, y, channel_axis=2, data_range=255)
                          for x, y in zip(a[::step], b[::step], strict=True)]))


def read_marks(path: Path):
    """Decode a file once: (watermark Detection from all frames, fingerprint, share of saturated pixels)."""
    detector = watermark.Detector()
    frames_for_fp = []
    with VideoReader(path) as reader:
        fps = reader.fps or 16.0
        for t, frame in reader.frames():
            detector.add(t, frame)
            frames_for_fp.append(frame)
    found = watermark.detect_tiles(np.stack(detector.tiles).astype(np.float64))
    return found, fingerprint_frames(frames_for_fp, fps), saturated_share(frames_for_fp)


def saturated_share(frames) -> float:
    """Share of pixels whose red, green and blue all sit within 2 levels of black or all of white: pixels that
    can carry no chroma offset, so no mark (a darkened night sky, a blown-out window)."""
    saturated = [((f <= 2).all(axis=-1) | (f >= 253).all(axis=-1)).mean() for f in frames]
    return float(np.mean(saturated)) if saturated else 0.0


def _tamper(path: Path, out: Path, where: str) -> Path:
    data = bytearray(path.read_bytes())
    if where == "pixels":
        i = data.find(b"mdat") + 4 + len(data) // 4 % 1000 + 64
    else:  # a byte inside our own assertion's JSON/CBOR text in the manifest
        i = data.find(b"prompt_sha256") + 40
    data[i] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def run_evaluation(*, clips: int = 100, unmarked: int = 1000, size=(256, 256), seconds: float = 3.0,
                   fps: float = 16.0, seed: int = 0, out=print) -> int:
    """Run the whole evaluation and print its tables; returns 0 when every target is met, 1 otherwise."""
    started = time.time()
    frames = int(round(seconds * fps))
    rng = np.random.default_rng(seed)
    suite = attack_suite()
    rows = {name: {"exact": [], "detected": [], "bits": [], "fp": [], "lost": []} for name, _, _ in suite}
    quality = {"psnr": [], "ssim": [], "psnr_file": []}
    c2pa_checks = {"sealed valid+trusted": [], "stripped: no manifest": [], "pixels changed: invalid": [],
                   "manifest changed: invalid": []}
    unrelated = []
    with tempfile.TemporaryDirectory(prefix="provenance-eval-") as tmp:
        tmp = Path(tmp)
        creds = init_dev_keys(tmp / "keys", days=2)
        previous_fp = None
        for i in range(clips):
            clip = make_clip(i, size=size, frames=frames, seed=seed)
            claims = Claims.for_generation(model="evaluation", prompt=f"clip {i}", settings={"seed": seed})
            payload = watermark_payload(rng)
            sealed = seal(clip, fps, claims, creds, tmp / "sealed.mp4", payload=payload)
            marked = watermark.embed(clip, payload)
            quality["psnr"].append(psnr(marked, clip))
            quality["ssim"].append(ssim(marked, clip))
            if previous_fp is not None:
                unrelated.append(fingerprint_distance(previous_fp, sealed.fingerprint))
            previous_fp = sealed.fingerprint
            result = read_manifest(sealed.path, trust_anchors=creds.trust_anchors_pem)
            c2pa_checks["sealed valid+trusted"].append(result.valid and result.trusted)
            if i < 10:
                for label, where in (("pixels changed: invalid", "pixels"), ("manifest changed: invalid", "manifest")):
                    bad = read_manifest(_tamper(sealed.path, tmp / "tampered.mp4", where),
                                        trust_anchors=creds.trust_anchors_pem)
                    c2pa_checks[label].append(bad.present and not bad.valid)
            trim_start = float(rng.integers(0, max(int(seconds) - 1, 0) + 1))
            for name, attack, suffix in attack_suite(trim_start=trim_start):
                attacked = attack(sealed.path, tmp / f"attacked{suffix}")
                found, fp, saturated = read_marks(attacked)
                row = rows[name]
                row["exact"].append(found.payload == payload)
                if found.payload != payload:
                    row["lost"].append(f"clip {i} ({clip_source(i)}, {saturated:.0%} of pixels saturated)")
                row["detected"].append(found.detected)
                row["bits"].append(watermark.bit_accuracy(found, payload))
                row["fp"].append(fingerprint_distance(sealed.fingerprint, fp))
                if name == "metadata stripped":
                    c2pa_checks["stripped: no manifest"].append(not read_manifest(attacked).present)
            if (i + 1) % 10 == 0:
                out(f"  sealed and attacked {i + 1}/{clips} clips ({time.time() - started:.0f} s)")
        false_hits, null_z = count_false_detections(unmarked, tmp, seed=seed, fps=fps)
    met = report(rows, quality, c2pa_checks, unrelated, false_hits, null_z, clips=clips, unmarked=unmarked,
                 size=size, seconds=seconds, fps=fps, out=out)
    out(f"\n{time.time() - started:.0f} s in all")
    return 0 if met else 1


def watermark_payload(rng: np.random.Generator) -> bytes:
    return rng.bytes(watermark.PAYLOAD_BITS // 8)


def count_false_detections(n: int, tmp: Path, *, seed: int, fps: float, size=(128, 128), frames: int = 16):
    """Detections (and pilot z) on `n` small unmarked clips, each H.264-encoded first."""
    hits, zs = 0, []
    for j in range(n):
        clip = make_clip(1_000_000 + j, size=size, frames=frames, seed=seed)
        path = encode_video(clip, fps, tmp / "unmarked.mp4", crf=23)
        found, _, _ = read_marks(path)
        hits += int(found.detected)
        zs.append(found.z)
    return hits, np.asarray(zs)


def _pct(values) -> str:
    return f"{100 * np.mean(values):6.1f}%" if len(values) else "    n/a"


def report(rows, quality, c2pa_checks, unrelated, false_hits, null_z, *, clips, unmarked, size, seconds, fps,
           out=print) -> bool:
    out(f"\nWatermark {watermark.ALGORITHM}: {watermark.PAYLOAD_BITS}-bit payload + CRC-{watermark.CRC_BITS}, "
        f"rate-1/{watermark.RATE} K={watermark.CONSTRAINT_LENGTH} convolutional code, soft Viterbi, "
        f"{clips} clips of {size[0]}x{size[1]}, {seconds:g} s at {fps:g} fps (natural-image pans and zooms, "
        "procedural scenes)")
    mean_psnr, mean_ssim = float(np.mean(quality["psnr"])), float(np.mean(quality["ssim"]))
    out(f"sealed frames vs original: PSNR {mean_psnr:.2f} dB (min {np.min(quality['psnr']):.2f}), "
        f"SSIM {mean_ssim:.4f} (min {np.min(quality['ssim']):.4f})")
    out(f"\n{'attack':26s} {'payload exact':>13s} {'detected':>9s} {'bit acc':>8s} {'fp dist':>8s} "
        f"{'PSNR':>6s} {'SSIM':>7s}  target")
    met = mean_psnr >= TARGET_PSNR and mean_ssim >= TARGET_SSIM
    for name, row in rows.items():
        target = TARGET_RECOVERY_CROP if "crop" in name else TARGET_RECOVERY
        ok = np.mean(row["exact"]) >= target
        met &= bool(ok)
        out(f"{name:26s} {_pct(row['exact']):>13s} {_pct(row['detected']):>9s} {np.mean(row['bits']):8.3f} "
            f"{np.mean(row['fp']):8.3f} {mean_psnr:6.2f} {mean_ssim:7.4f}  >= {target:.0%} {'met' if ok else 'MISSED'}")
    for name, row in rows.items():
        if row["lost"]:
            out(f"  lost under {name}: {'; '.join(row['lost'])}")
    null_z = null_z if len(null_z) else np.array([np.nan])
    out(f"\nfalse detections on {unmarked} unmarked clips (H.264, 128x128, 1 s): {false_hits} "
        f"{'(target 0: met)' if false_hits == 0 else '(target 0: MISSED)'}; pilot z on them: mean "
        f"{null_z.mean():.2f}, sd {null_z.std():.2f}, max {null_z.max():.2f}; bound per video "
        f"{watermark.decode_false_rate():.1e}")
    met &= false_hits == 0
    unrelated = unrelated or [float("nan")]
    out(f"fingerprint distance, unrelated clips: min {np.min(unrelated):.3f}, mean {np.mean(unrelated):.3f} "
        f"(match threshold {MATCH_THRESHOLD}); attacked copies: max "
        f"{max(max(r['fp']) for n, r in rows.items() if 'crop' not in n):.3f} without crop, "
        f"{max(rows['centre crop 80%']['fp']):.3f} with the crop")
    for label, values in c2pa_checks.items():
        out(f"C2PA {label:28s} {sum(values)}/{len(values)}")
        met &= all(values)
    out(f"\nimperceptible (PSNR >= {TARGET_PSNR:g} dB, SSIM >= {TARGET_SSIM}): "
        f"{'met' if mean_psnr >= TARGET_PSNR and mean_ssim >= TARGET_SSIM else 'MISSED'}")
    out(f"all targets: {'met' if met else 'NOT met'}")
    return met
