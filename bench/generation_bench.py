"""Speed of the built-in model: seconds for one default clip (16 frames, 256x256, default steps and guidance).

    .venv/bin/python bench/generation_bench.py [--threads 2] [--device cpu|cuda] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from generation import load_backend  # noqa: E402
from generation.builtin import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_WEIGHTS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    began = time.perf_counter()
    backend = load_backend("builtin", weights=args.weights, device=args.device)
    load_seconds = time.perf_counter() - began
    prompt = "a big red ball moves right quickly on a dark background"
    backend.generate(prompt, seed=0, steps=2)  # warm-up: first-call allocations and kernel selection
    timings = []
    for seed in range(args.repeats):
        if backend.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        clip = backend.generate(prompt, seed=seed)
        if backend.device.type == "cuda":
            torch.cuda.synchronize()
        timings.append(time.perf_counter() - start)
    if backend.device.type == "cuda":
        device = torch.cuda.get_device_name()
    else:
        device = f"cpu, {torch.get_num_threads()} threads"
    t, h, w, _ = clip.frames.shape
    print(f"device: {device}")
    print(f"default clip: {t} frames {w}x{h} at {clip.fps:g} fps, {DEFAULT_STEPS} steps, guidance {DEFAULT_GUIDANCE}")
    print(f"model load: {load_seconds:.2f} s")
    print(f"seconds per clip: median {statistics.median(timings):.2f}, min {min(timings):.2f}, max {max(timings):.2f}"
          f" over {len(timings)} clips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
