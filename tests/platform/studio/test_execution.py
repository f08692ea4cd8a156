"""The worker side in-process: claim, lease, publish once, fail with a reason, reap."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from review.models import AuditEvent
from studio.models import GenerationJob, JobState
from studio.services import job_cancel, job_claim, job_execute, job_submit, jobs_reap

pytestmark = pytest.mark.django_db


@pytest.fixture
def use_pipeline(clearframe_settings):
    def use(name: str):
        clearframe_settings(PIPELINE=f"tests.platform.studio.pipelines.{name}")

    return use


def test_successful_pipeline_publishes_once(creator, use_pipeline):
    use_pipeline("succeeding")
    job = job_submit(user=creator, prompt="a calm lake")
    assert job_execute(job_id=job.pk, worker_id="w1") == JobState.PUBLISHED
    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts) == (JobState.PUBLISHED, 1.0, 1)
    assert job.result["media_path"] == f"videos/{job.pk}.mp4"
    # A second delivery of the same task finds nothing to do.
    assert job_execute(job_id=job.pk, worker_id="w2") == "skipped:published"
    assert AuditEvent.objects.filter(action="job.published").count() == 1


def test_failing_pipeline_fails_the_job_with_its_reason(creator, use_pipeline):
    use_pipeline("raising")
    job = job_submit(user=creator, prompt="a calm lake")
    assert job_execute(job_id=job.pk, worker_id="w1") == JobState.FAILED
    job.refresh_from_db()
    assert job.failure_reason == "the generator ran out of memory at step 3"
    assert job.result == {}


def test_unexpected_crash_fails_the_job_without_leaking_internals(creator, use_pipeline):
    use_pipeline("crashing")
    job = job_submit(user=creator, prompt="a calm lake")
    job_execute(job_id=job.pk, worker_id="w1")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "RuntimeError" in job.failure_reason and "unexpected bug" not in job.failure_reason


def test_only_one_worker_can_claim(creator):
    job = job_submit(user=creator, prompt="a calm lake")
    assert job_claim(job_id=job.pk, worker_id="w1") is not None
    assert job_claim(job_id=job.pk, worker_id="w2") is None


def test_reaper_requeues_a_stale_job_then_fails_it_after_the_last_attempt(creator, clearframe_settings):
    clearframe_settings(JOB_MAX_ATTEMPTS=2)
    job = job_submit(user=creator, prompt="a calm lake")
    later = timezone.now() + timedelta(minutes=5)

    job_claim(job_id=job.pk, worker_id="dead-1")
    assert jobs_reap(now=later) == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.state, job.worker_id) == (JobState.QUEUED, "")
    assert DBTaskResult.objects.count() == 2  # the original task and the re-queue

    job_claim(job_id=job.pk, worker_id="dead-2")
    assert jobs_reap(now=later) == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "lost 2 times" in job.failure_reason


def test_reaper_leaves_live_leases_alone(creator):
    job = job_submit(user=creator, prompt="a calm lake")
    job_claim(job_id=job.pk, worker_id="alive")
    assert jobs_reap() == {"requeued": 0, "failed": 0}
    assert GenerationJob.objects.get(pk=job.pk).state == JobState.RUNNING


def test_worker_that_lost_its_job_does_not_publish(creator, use_pipeline, monkeypatch):
    """The reaper gave the job to another worker while the first was still running: no double publish."""
    from studio import services

    use_pipeline("succeeding")
    job = job_submit(user=creator, prompt="a calm lake")
    real_heartbeat = services.job_heartbeat

    def heartbeat_after_reap(**kwargs):
        GenerationJob.objects.filter(pk=job.pk).update(worker_id="someone-else")
        return real_heartbeat(**kwargs)

    monkeypatch.setattr(services, "job_heartbeat", heartbeat_after_reap)
    assert job_execute(job_id=job.pk, worker_id="w1") in ("discarded", JobState.RUNNING, "running")
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.worker_id == "someone-else"
    assert not AuditEvent.objects.filter(action="job.published").exists()


def test_cancel_while_running_stops_the_pipeline(creator, use_pipeline, monkeypatch):
    from tests.platform.studio import pipelines

    use_pipeline("waiting_for_cancel")
    job = job_submit(user=creator, prompt="a calm lake")
    calls = {"n": 0}
    original = pipelines.waiting_for_cancel

    def cancel_soon(context):
        calls["n"] += 1
        job_cancel(user=creator, job=GenerationJob.objects.get(pk=job.pk))
        return original(context)

    monkeypatch.setattr(pipelines, "waiting_for_cancel", cancel_soon)
    assert job_execute(job_id=job.pk, worker_id="w1") == JobState.CANCELLED
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.result == {}
