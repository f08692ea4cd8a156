"""Time and memory of the verify path on the hostile-upload corpus of the test suite.

    .venv/bin/python bench/hostile_uploads_bench.py

Runs provenance.inspect (what POST /api/v1/verify runs after its size and container checks) on every file, with
the platform's default limits, and prints the slowest files and the peak resident memory of the process (an upper
bound on what any one file cost). Targets: every file under 10 s, peak under 1 GB.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import provenance
    from tests.platform.verification.hostile_files import build_corpus

    folder = Path(tempfile.mkdtemp(prefix="clearframe-hostile-"))
    corpus = build_corpus(folder)
    limits = provenance.VideoLimits(max_bytes=200 * 1024 * 1024, max_seconds=600.0)
    timings, outcomes = [], Counter()
    for name, data, kind in corpus:
        path = folder / "upload.bin"
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            result = provenance.inspect(path, limits=limits)
            outcome = f"decoded ({'watermark' if result.watermark.detected else 'no watermark'})"
        except provenance.ProvenanceError as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # the platform turns these into 422 too, but each one is a bug to fix
            outcome = f"unexpected {type(exc).__name__}"
        timings.append((time.perf_counter() - start, name))
        outcomes[(kind, outcome)] += 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(corpus)} hostile files")
    for (kind, outcome), count in sorted(outcomes.items()):
        print(f"  {kind:<12} {outcome:<32} {count}")
    timings.sort(reverse=True)
    print("slowest: " + ", ".join(f"{name} {seconds:.2f} s" for seconds, name in timings[:5]))
    print(f"total {sum(t for t, _ in timings):.1f} s; peak resident memory {peak_mb:.0f} MB (targets: < 10 s a file, "
          "< 1024 MB)")


if __name__ == "__main__":
    main()
