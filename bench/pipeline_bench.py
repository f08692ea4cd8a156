"""Time of each stage of a default job on this machine, and the share spent outside generation.

    .venv/bin/python bench/pipeline_bench.py [--runs 3] [--threads 2]

The stages are those the worker runs (studio.pipeline): prompt moderation (at submit), generation with the
built-in model at its defaults, frame moderation, sealing (watermark, H.264 encode, C2PA signing, fingerprint)
and the read-back check of the sealed file before it is published. Models are loaded once before timing, as a
long-running worker does; the load times are printed separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPTS = [
    "a red ball moves right on a dark background",
    "a small blue square drifts up over a light backdrop",
    "a big green triangle shrinks slowly on a gradient background",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", default=None, help="a built-in weights folder (default: the shipped one)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    loads = {}
    start = time.perf_counter()
    import safety

    safety.warm_up()
    loads["safety models"] = time.perf_counter() - start
    start = time.perf_counter()
    import generation

    backend = generation.load_backend("builtin", **({"weights": args.weights} if args.weights else {}))
    loads["built-in generator"] = time.perf_counter() - start
    import provenance

    keys = Path(tempfile.mkdtemp(prefix="clearframe-bench-keys-"))
    credentials = provenance.init_dev_keys(keys)

    stages: dict[str, list[float]] = {s: [] for s in
                                      ("moderate prompt", "generate", "moderate frames", "seal", "read-back check")}
    shape = None
    for run in range(args.runs):
        prompt = PROMPTS[run % len(PROMPTS)]
        t0 = time.perf_counter()
        verdict = safety.moderate_prompt(prompt)
        t1 = time.perf_counter()
        clip = backend.generate(prompt, seed=run)
        t2 = time.perf_counter()
        frames_verdict = safety.moderate_frames(clip.frames, clip.fps)
        t3 = time.perf_counter()
        claims = provenance.Claims.for_generation(model=clip.metadata.get("model", "builtin"), prompt=prompt,
                                                  settings={"seed": run})
        out = keys / f"clip-{run}.mp4"
        sealed = provenance.seal(clip.frames, clip.fps, claims, credentials, out_path=out)
        t4 = time.perf_counter()
        check = provenance.inspect(out, trust_anchors=credentials.trust_anchors_pem)
        t5 = time.perf_counter()
        if run == 0:
            shape = clip.frames.shape
            print(f"prompt verdict {verdict.decision}, frame verdict {frames_verdict.decision}, "
                  f"sealed watermark detected {check.watermark.detected} (payload {sealed.payload}), "
                  f"manifest valid {check.c2pa.valid}")
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            stages[name].append(seconds)

    print("model loading (once per worker): " + ", ".join(f"{k} {v:.2f} s" for k, v in loads.items()))
    print(f"default job: clip {shape[0]} frames {shape[1]}x{shape[2]} at {clip.fps:g} fps, "
          f"torch threads {args.threads}, median of {args.runs} runs")
    medians = {name: statistics.median(values) for name, values in stages.items()}
    total = sum(medians.values())
    for name, seconds in medians.items():
        print(f"  {name:<16} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    outside = total - medians["generate"]
    print(f"  {'total':<16} {total:7.2f} s")
    print(f"outside generation: {outside:.2f} s, {100 * outside / total:.1f}% of the job")


if __name__ == "__main__":
    main()
