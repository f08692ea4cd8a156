"""Load on a production-like server over loopback: verify requests on a sealed 2-second clip and job
submissions at the same time, against gunicorn (several workers) and PostgreSQL.

    .venv/bin/python bench/load_bench.py [--seconds 60] [--clients 6] [--gunicorn-workers 3] [--submit-share 0.3]

Prints, per operation, requests per second, p50 and p99 latency and the errors (any status other than the one
expected); the figures are for this machine, with the server and the load generator sharing its cores.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def sealed_clip(folder: Path, keys: Path) -> bytes:
    import numpy as np

    import provenance

    frames = np.full((32, 256, 256, 3), 25, np.uint8)
    for t in range(32):
        frames[t, 96:160, 6 * t: 6 * t + 64] = (220, 40, 40)
    credentials = provenance.load_credentials(keys / "signing-chain.pem", keys / "signing-key.pem",
                                              keys / "trust-anchors.pem")
    claims = provenance.Claims.for_generation(model="load-test", prompt="a red square", settings={})
    path = folder / "clip.mp4"
    provenance.seal(frames, 16, claims, credentials, out_path=path)
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--submit-share", type=float, default=0.3)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/clearframe_load")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    import requests

    from bench.queue_drain_bench import recreate_postgres

    recreate_postgres(args.database)
    folder = Path(tempfile.mkdtemp(prefix="clearframe-load-"))
    keys = folder / "keys"
    subprocess.run([sys.executable, "-m", "provenance", "keys", "init", "--dir", str(keys)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DATABASE_URL": args.database,
        "DJANGO_SECRET_KEY": os.urandom(40).hex(), "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "False",
        "CLEARFRAME_SIGNING_CERT_CHAIN": str(keys / "signing-chain.pem"),
        "CLEARFRAME_SIGNING_KEY": str(keys / "signing-key.pem"),
        "CLEARFRAME_TRUST_ANCHORS": str(keys / "trust-anchors.pem"),
        "CLEARFRAME_MEDIA_ROOT": str(folder / "media"), "CLEARFRAME_HELD_CLIP_DIR": str(folder / "held"),
        "CLEARFRAME_THROTTLE_VERIFY": "1000000/min", "CLEARFRAME_THROTTLE_SUBMIT": "1000000/min",
        "CLEARFRAME_THROTTLE_USER": "1000000/min", "CLEARFRAME_THROTTLE_ANON": "1000000/min",
        "CLEARFRAME_DAILY_JOB_QUOTA": "1000000", "CLEARFRAME_LOG_LEVEL": "ERROR",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    password = os.urandom(12).hex()
    subprocess.run([*manage, "shell", "-c", "from accounts.services import user_create; "
                    f"user_create(username='load', password='{password}')"], env=env, cwd=ROOT, check=True)
    clip = sealed_clip(folder, keys)

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "platform" / "config" / "gunicorn.conf.py"),
         "config.wsgi:application", "--workers", str(args.gunicorn_workers),
         "--bind", f"127.0.0.1:{args.port}", "--timeout", "60", "--log-level", "error"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/health/live", timeout=10).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        token = requests.post(f"{base}/api/v1/auth/token", json={"username": "load", "password": password},
                              timeout=30).json()["token"]
        headers = {"Authorization": f"Token {token}"}
        # warm every gunicorn worker's models before measuring
        for _ in range(args.gunicorn_workers * 2):
            requests.post(f"{base}/api/v1/verify", files={"file": ("clip.mp4", clip, "video/mp4")}, timeout=120)
            requests.post(f"{base}/api/v1/generations", json={"prompt": "a red ball bouncing"}, headers=headers,
                          timeout=120)

        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, list[str]] = defaultdict(list)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            session = requests.Session()
            while time.monotonic() < deadline:
                start = time.perf_counter()
                if rng.random() < args.submit_share:
                    name, expected = "submit", 201
                    response = session.post(f"{base}/api/v1/generations", headers=headers, timeout=120,
                                            json={"prompt": f"a {rng.choice(['red', 'blue', 'green'])} ball moves "
                                                            f"{rng.choice(['left', 'right', 'up'])}"})
                else:
                    name, expected = "verify", 200
                    response = session.post(f"{base}/api/v1/verify", timeout=120,
                                            files={"file": ("clip.mp4", clip, "video/mp4")})
                    if response.ok and response.json()["verdict"] != "unknown":
                        response.status_code = 599  # ours, but not found in this database: count it
                elapsed = time.perf_counter() - start
                with lock:
                    results[name].append(elapsed)
                    if response.status_code != expected:
                        errors[name].append(f"{response.status_code} {response.text[:120]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{args.clients} clients for {wall:.0f} s against gunicorn ({args.gunicorn_workers} workers) and "
          f"PostgreSQL; verify uploads a sealed 2-s 256x256 clip ({len(clip) // 1024} KiB)")
    for name in ("verify", "submit"):
        latencies = results[name]
        if not latencies:
            continue
        print(f"  {name:<7} {len(latencies) / wall:6.1f} req/s  p50 {1000 * statistics.median(latencies):7.0f} ms  "
              f"p99 {1000 * percentile(latencies, 99):7.0f} ms  errors {len(errors[name])} of {len(latencies)}")
        for message in sorted(set(errors[name]))[:5]:
            print(f"      {message}")


if __name__ == "__main__":
    main()
