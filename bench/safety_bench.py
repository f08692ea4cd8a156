"""Speed of the safety gate: cold start, prompt moderation latency on one core, frame moderation of a 480p clip.

    .venv/bin/python bench/safety_bench.py [--prompts 300] [--threads 1]

Cold start runs in a fresh interpreter (imports and every model loaded), so it includes what a worker pays
once when it starts. Latency is measured after warm-up, one prompt at a time, like the submit path; with one
torch thread the calling thread's CPU time is also shown, since wall time swells when other work shares the cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLD_START = """
import time
start = time.perf_counter()
import torch
torch.set_num_threads({threads})
import safety
safety.warm_up()
loaded = time.perf_counter()
safety.moderate_prompt("a red ball bouncing on a beach")
print(loaded - start, time.perf_counter() - loaded)
"""


def cold_start(threads: int, runs: int) -> list[tuple[float, float]]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", COLD_START.format(threads=threads)], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
        results.append((float(out[-2]), float(out[-1])))
    return results


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def prompt_latency(count: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds per call; on a shared machine the CPU time is the steadier of the two."""
    from safety import moderate_prompt

    prompts = [json.loads(line)["text"] for line in (ROOT / "safety" / "data" / "prompts.jsonl").open()]
    rng = np.random.default_rng(0)
    chosen = [prompts[i] for i in rng.choice(len(prompts), size=count, replace=False)]
    for text in chosen[:20]:  # warm-up
        moderate_prompt(text)
    wall, cpu = [], []
    for text in chosen:
        start, start_cpu = time.perf_counter(), time.thread_time()
        moderate_prompt(text)
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return wall, cpu


def frame_moderation(runs: int) -> tuple[list[float], int]:
    from safety import moderate_frames

    rng = np.random.default_rng(0)
    # 5 seconds at 16 fps, 480x832: a textured background with a moving shape
    base = rng.integers(0, 255, size=(480, 832, 3), dtype=np.uint8)
    clip = np.stack([np.roll(base, 8 * t, axis=1) for t in range(80)])
    moderate_frames(clip[:4], fps=16)  # warm-up
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        verdict = moderate_frames(clip, fps=16)
        timings.append(time.perf_counter() - start)
    return timings, len(verdict.evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for prompt moderation (target: 1)")
    parser.add_argument("--frame-runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    import torch

    cold = cold_start(args.threads, args.cold_runs)
    print(f"cold start (import + load every model, fresh interpreter, {args.cold_runs} runs):")
    print(f"  load   best {min(c[0] for c in cold):.2f} s  median {statistics.median(c[0] for c in cold):.2f} s"
          "   target <= 3 s")
    print(f"  first prompt after load  median {1000 * statistics.median(c[1] for c in cold):.1f} ms")

    torch.set_num_threads(args.threads)
    wall, cpu = prompt_latency(args.prompts)
    ms, cpu_ms = [1000 * t for t in wall], [1000 * t for t in cpu]
    from safety.classifier import prompt_classifier

    encoder = prompt_classifier().embedder.model
    print(f"prompt moderation, {args.prompts} corpus prompts one at a time, torch threads {args.threads}, "
          f"MiniLM linear layers in {str(encoder.linear_dtype).removeprefix('torch.')}"
          f"{' (oneDNN, prepacked)' if encoder.packed else ''}:")
    print(f"  p50 {percentile(ms, 50):.1f} ms   p90 {percentile(ms, 90):.1f} ms   p99 {percentile(ms, 99):.1f} ms"
          "   targets p50 <= 10 ms, p99 <= 30 ms")
    if args.threads == 1:  # with more threads the work runs outside the calling thread and this undercounts
        print(f"  CPU time of the calling thread: p50 {percentile(cpu_ms, 50):.1f} ms"
              f"   p90 {percentile(cpu_ms, 90):.1f} ms   p99 {percentile(cpu_ms, 99):.1f} ms"
              "   (nearer an idle core's wall time when the machine is shared)")

    torch.set_num_threads(2)
    frame_timings, evidence = frame_moderation(args.frame_runs)
    print("frame moderation, 5 s clip at 16 fps, 480x832, NudeNet on 2 threads (11 sampled frames):")
    print(f"  best {min(frame_timings):.2f} s  median {statistics.median(frame_timings):.2f} s   target <= 2 s"
          f"   (evidence items: {evidence})")


if __name__ == "__main__":
    main()
