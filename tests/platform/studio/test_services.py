import pytest
from django_tasks_db.models import DBTaskResult

from accounts.roles import AccountSuspended
from config.errors import NotAllowed, NotFound
from review.models import AuditEvent
from studio.models import GenerationJob, JobState
from studio.moderation import InvalidPrompt
from studio.params import InvalidParameters, params_validate
from studio.services import IllegalTransition, QuotaExceeded, job_cancel, job_submit, job_transition

pytestmark = pytest.mark.django_db


def test_allowed_prompt_is_queued_with_its_task_in_the_same_transaction(creator):
    job = job_submit(user=creator, prompt="a red ball bouncing on a dark background", params={"seed": 7})
    assert job.state == JobState.QUEUED
    assert job.params["seed"] == 7 and job.params["num_frames"] == 16
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [str(job.pk)], "kwargs": {}}
    assert task.task_path == "studio.tasks.run_generation_job"
    assert AuditEvent.objects.filter(action="moderation.prompt", target_id=str(job.pk)).exists()


def test_prompt_for_review_waits_without_a_task(creator):
    job = job_submit(user=creator, prompt="a duel [review]")
    assert job.state == JobState.IN_REVIEW
    assert not DBTaskResult.objects.exists()


def test_blocked_prompt_never_reaches_the_queue_and_counts_a_strike(creator):
    job = job_submit(user=creator, prompt="something awful [block]")
    assert job.state == JobState.REJECTED
    assert "violence" in job.failure_reason
    assert not DBTaskResult.objects.exists()
    assert creator.strikes.count() == 1


def test_enough_blocks_suspend_and_a_suspended_user_cannot_submit(creator, clearframe_settings):
    clearframe_settings(STRIKE_LIMIT=2)
    job_submit(user=creator, prompt="bad [block]")
    job_submit(user=creator, prompt="bad again [block]")
    creator.refresh_from_db()
    with pytest.raises(AccountSuspended):
        job_submit(user=creator, prompt="a calm lake")


def test_auditors_cannot_submit(auditor):
    with pytest.raises(NotAllowed):
        job_submit(user=auditor, prompt="a calm lake")


def test_daily_quota(creator, clearframe_settings):
    clearframe_settings(DAILY_JOB_QUOTA=2)
    job_submit(user=creator, prompt="one")
    job_submit(user=creator, prompt="two")
    with pytest.raises(QuotaExceeded, match="daily quota of 2"):
        job_submit(user=creator, prompt="three")
    assert GenerationJob.objects.count() == 2


@pytest.mark.parametrize("prompt", ["", "   ", "x" * 2001])
def test_empty_or_overlong_prompt_is_refused(creator, prompt):
    with pytest.raises(InvalidPrompt):
        job_submit(user=creator, prompt=prompt)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"num_frames": 1000}, "num_frames must be between 8 and 64"),
        ({"width": 250}, "width must be a multiple of 16"),
        ({"steps": 0}, "steps must be between 1 and 100"),
        ({"guidance": "high"}, "guidance must be a number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"fps": 30}, "unknown parameter(s): fps"),
        ({"num_frames": True}, "num_frames must be a number"),
    ],
)
def test_parameter_bounds(params, message):
    with pytest.raises(InvalidParameters) as error:
        params_validate(params)
    assert message in str(error.value)


def test_state_machine_refuses_illegal_moves(creator):
    job = job_submit(user=creator, prompt="a calm lake")
    with pytest.raises(IllegalTransition, match="from queued to published"):
        job_transition(job, JobState.PUBLISHED)
    job_transition(job, JobState.CANCELLED)
    with pytest.raises(IllegalTransition):
        job_transition(job, JobState.QUEUED)


def test_stale_read_cannot_transition(creator):
    job = job_submit(user=creator, prompt="a calm lake")
    stale = GenerationJob.objects.get(pk=job.pk)
    job_transition(job, JobState.CANCELLED)
    with pytest.raises(IllegalTransition, match="is cancelled, not queued"):
        job_transition(stale, JobState.RUNNING)


def test_owner_cancels_queued_job_and_others_cannot(creator, creator_b):
    job = job_submit(user=creator, prompt="a calm lake")
    with pytest.raises(NotFound):
        job_cancel(user=creator_b, job=job)
    job = job_cancel(user=creator, job=job)
    assert job.state == JobState.CANCELLED
    with pytest.raises(IllegalTransition, match="cannot be cancelled"):
        job_cancel(user=creator, job=job)
