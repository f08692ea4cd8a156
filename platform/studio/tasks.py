"""The queued task: a thin wrapper; the job row, not the queue, owns the state."""

from django_tasks import TaskContext, task

from .services import job_execute, job_seal_held


@task(takes_context=True)
def run_generation_job(context: TaskContext, job_id: str) -> str:
    worker_ids = context.task_result.worker_ids
    worker_id = worker_ids[-1] if worker_ids else f"task-{context.task_result.id}"
    return job_execute(job_id=job_id, worker_id=worker_id)


@task()
def seal_held_job(job_id: str) -> str:
    return job_seal_held(job_id=job_id)
