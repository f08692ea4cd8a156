"""Real worker processes against a real database: a SIGKILLed worker's job is re-queued and completed
exactly once; two workers racing on 50 queued jobs run each exactly once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from review.models import AuditEvent
from studio.models import GenerationJob, JobState
from studio.services import job_submit

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(worker_id: str, log: Path, *, sleep: float, batch: bool = False,
                 pipeline: str = "succeeding", media_root: Path | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CLEARFRAME_PIPELINE": f"tests.platform.studio.pipelines.{pipeline}",
        **({"CLEARFRAME_MEDIA_ROOT": str(media_root)} if media_root else {}),
        "CLEARFRAME_TEST_PIPELINE_LOG": str(log),
        "CLEARFRAME_TEST_PIPELINE_SLEEP": str(sleep),
        "CLEARFRAME_JOB_LEASE_SECONDS": "2",
        "CLEARFRAME_REAPER_INTERVAL_SECONDS": "0.3",
    }
    args = [sys.executable, str(ROOT / "manage.py"), "worker", "--worker-id", worker_id, "--interval", "0.1",
            "--no-startup-delay", "--no-reload", "-v", "0"]
    if batch:
        args.append("--batch")
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def log_lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def test_sigkilled_worker_job_is_requeued_and_completed_exactly_once(creator, tmp_path):
    log = tmp_path / "pipeline.log"
    job = job_submit(user=creator, prompt="a green circle growing")

    first = start_worker("worker-a", log, sleep=60)
    try:
        wait_for(lambda: any(p[0] == "start" for p in log_lines(log)), 90, "worker-a to start the job")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()

    second = start_worker("worker-b", log, sleep=0.4)
    try:
        wait_for(lambda: GenerationJob.objects.get(pk=job.pk).state == JobState.PUBLISHED, 90,
                 "worker-b to publish the re-queued job")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

    job.refresh_from_db()
    lines = log_lines(log)
    starts = [p for p in lines if p[0] == "start"]
    dones = [p for p in lines if p[0] == "done"]
    assert [p[2] for p in starts] == ["1", "2"]  # attempt 1 on worker-a, attempt 2 on worker-b
    assert len(dones) == 1 and dones[0][2] == "2"
    assert starts[0][3] == str(first.pid) and dones[0][3] == str(second.pid)
    assert (job.state, job.attempts, job.worker_id) == (JobState.PUBLISHED, 2, "worker-b")
    assert AuditEvent.objects.filter(action="job.requeued", target_id=str(job.pk)).count() == 1
    assert AuditEvent.objects.filter(action="job.published", target_id=str(job.pk)).count() == 1


def test_two_workers_racing_on_50_jobs_run_each_exactly_once(creator, tmp_path, clearframe_settings):
    clearframe_settings(DAILY_JOB_QUOTA=1000)
    log = tmp_path / "pipeline.log"
    jobs = [job_submit(user=creator, prompt=f"a white square number {i}") for i in range(50)]

    workers = [start_worker(f"racer-{n}", log, sleep=0.0, batch=True) for n in range(2)]
    try:
        for worker in workers:
            worker.wait(timeout=240)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    outputs = [w.stdout.read() for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs

    done = Counter(p[1] for p in log_lines(log) if p[0] == "done")
    assert set(done) == {str(j.pk) for j in jobs}
    assert set(done.values()) == {1}
    states = Counter(GenerationJob.objects.values_list("state", flat=True))
    assert states == {JobState.PUBLISHED: 50}
    assert set(GenerationJob.objects.values_list("attempts", flat=True)) == {1}
    assert AuditEvent.objects.filter(action="job.published").count() == 50


def test_a_worker_killed_between_the_sealed_file_and_the_ledger_row_loses_and_doubles_nothing(
        creator, tmp_path, settings):
    from verification.models import LedgerEntry

    log = tmp_path / "pipeline.log"
    media = tmp_path / "media"
    job = job_submit(user=creator, prompt="a yellow disc drifting")
    first = start_worker("worker-a", log, sleep=0, pipeline="sealed_then_stalling", media_root=media)
    try:
        wait_for(lambda: any(p[0] == "sealed" for p in log_lines(log)), 90, "worker-a to write the sealed file")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and not LedgerEntry.objects.filter(job=job).exists()

    second = start_worker("worker-b", log, sleep=0, pipeline="sealed_then_stalling", media_root=media)
    try:
        wait_for(lambda: GenerationJob.objects.get(pk=job.pk).state == JobState.PUBLISHED, 90,
                 "worker-b to publish the re-queued job")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    job.refresh_from_db()
    (entry,) = LedgerEntry.objects.filter(job=job)
    assert entry.manifest_id.endswith("-2") and job.attempts == 2
    assert (media / job.result["media_path"]).read_text() == "sealed on attempt 2"
    assert list((media / "videos").iterdir()) == [media / job.result["media_path"]]
    assert AuditEvent.objects.filter(action="job.published", target_id=str(job.pk)).count() == 1
