"""1,000 queued jobs drained by several worker processes with a fast stand-in generator: every job must end
exactly once. Prints the drain time, jobs per second and the exactly-once check.

    .venv/bin/python bench/queue_drain_bench.py [--jobs 1000] [--workers 3]
        [--database postgres://postgres@127.0.0.1:5432/clearframe_bench]

The database is created (or emptied) and migrated first. The workers run `manage.py worker --batch` with the
test suite's `succeeding` pipeline (progress reports, a sealed-result record, no model): what is measured is the
queue, the claim, the lease, the ledger and the publishing transaction.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def recreate_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/clearframe_bench")
    args = parser.parse_args()

    if args.database.startswith("postgres"):
        recreate_postgres(args.database)
    log = Path(tempfile.mkdtemp(prefix="clearframe-drain-")) / "pipeline.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": args.database,
           "CLEARFRAME_PIPELINE": "tests.platform.studio.pipelines.succeeding",
           "CLEARFRAME_TEST_PIPELINE_LOG": str(log), "CLEARFRAME_MEDIA_ROOT": str(log.parent / "media"),
           "CLEARFRAME_DAILY_JOB_QUOTA": str(args.jobs + 1),
           "CLEARFRAME_PROMPT_MODERATOR": "tests.platform.conftest.keyword_moderator"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)

    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    import django

    django.setup()
    from accounts.services import user_create
    from review.models import AuditEvent
    from studio.models import GenerationJob, JobState
    from studio.services import job_submit
    from verification.models import LedgerEntry
    from verification.services import ledger_verify

    user = user_create(username=f"drain-{os.getpid()}", password=os.urandom(16).hex())
    start = time.perf_counter()
    jobs = [job_submit(user=user, prompt=f"a white square number {i}") for i in range(args.jobs)]
    submitted = time.perf_counter() - start

    start = time.perf_counter()
    workers = [subprocess.Popen([*manage, "worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0",
                                 "--worker-id", f"drain-{n}", "--interval", "0.05"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for n in range(args.workers)]
    for worker in workers:
        worker.wait()
    drained = time.perf_counter() - start

    done = Counter(line.split()[1] for line in log.read_text().splitlines() if line.startswith("done"))
    states = Counter(GenerationJob.objects.filter(user=user).values_list("state", flat=True))
    ids = {str(j.pk) for j in jobs}
    once = set(done) == ids and set(done.values()) == {1}
    ledger = LedgerEntry.objects.filter(job__user=user).count()
    published_events = AuditEvent.objects.filter(action="job.published", target_id__in=ids).count()
    print(f"{args.jobs} jobs submitted in {submitted:.1f} s ({args.jobs / submitted:.0f}/s, moderation stand-in)")
    print(f"drained by {args.workers} workers in {drained:.1f} s: {args.jobs / drained:.1f} jobs/s "
          f"(database {args.database.split('://')[0]})")
    print(f"states {dict(states)}; pipeline runs per job {dict(Counter(done.values()))}; ledger rows {ledger}; "
          f"published events {published_events}; ledger chain intact {ledger_verify().intact}")
    print("every job ended exactly once: " + ("yes" if once and states == {JobState.PUBLISHED: args.jobs}
                                              and ledger == published_events == args.jobs else "NO"))
    failed = [w.stderr.read() for w in workers if w.returncode]
    if failed:
        print("worker errors:", *failed, sep="\n")


if __name__ == "__main__":
    main()
