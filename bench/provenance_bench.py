"""Speed of sealing and inspecting a 5-second 480x832 clip at 16 fps: `python bench/provenance_bench.py`.

Targets (2 CPU cores): seal <= 5 s (watermark, encode, sign, fingerprint), inspect <= 3 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provenance import Claims, init_dev_keys, inspect, seal  # noqa: E402
from provenance import watermark as wm  # noqa: E402
from provenance.clips import make_clip  # noqa: E402

SEAL_TARGET_S, INSPECT_TARGET_S = 5.0, 3.0


def best_of(runs: int, fn):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times)), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fps", type=float, default=16.0)
    args = parser.parse_args()
    n = int(args.seconds * args.fps)
    clip = make_clip(0, size=(args.height, args.width), frames=n)
    with tempfile.TemporaryDirectory() as tmp:
        creds = init_dev_keys(Path(tmp) / "keys")
        claims = Claims.for_generation(model="bench", prompt="benchmark", settings={})
        out = Path(tmp) / "sealed.mp4"
        embed_s, _, marked = best_of(args.runs, lambda: wm.embed(clip, b"\x01" * 8))
        detect_s, _, found = best_of(args.runs, lambda: wm.detect(marked))
        seal_s, seal_med, sealed = best_of(args.runs, lambda: seal(clip, args.fps, claims, creds, out))
        inspect_s, inspect_med, report = best_of(
            args.runs, lambda: inspect(out, trust_anchors=creds.trust_anchors_pem))
    assert found.detected and report.watermark.payload == sealed.payload and report.c2pa.trusted
    print(f"clip: {n} frames of {args.width}x{args.height} at {args.fps:g} fps; best of {args.runs} runs")
    print(f"watermark embed  {n / embed_s:7.1f} frames/s")
    print(f"watermark detect {n / detect_s:7.1f} frames/s (frames already decoded)")
    print(f"seal    {seal_s:5.2f} s (median {seal_med:.2f})  target <= {SEAL_TARGET_S:g} s: "
          f"{'met' if seal_s <= SEAL_TARGET_S else 'MISSED'}")
    print(f"inspect {inspect_s:5.2f} s (median {inspect_med:.2f})  target <= {INSPECT_TARGET_S:g} s: "
          f"{'met' if inspect_s <= INSPECT_TARGET_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
