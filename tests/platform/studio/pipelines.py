"""Pipeline test doubles: stand-ins for the generation pipeline, which the lifecycle tests do not check."""

import os
import secrets
import time
from pathlib import Path

from studio.pipeline import PipelineContext, PipelineError, PipelineResult, Seal


def _log(line: str) -> None:
    path = os.environ.get("CLEARFRAME_TEST_PIPELINE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def succeeding(context: PipelineContext) -> PipelineResult:
    """Reports progress over a few steps (sleeping CLEARFRAME_TEST_PIPELINE_SLEEP in all) and succeeds."""
    _log(f"start {context.job_id} {context.attempt} {os.getpid()}")
    total = float(os.environ.get("CLEARFRAME_TEST_PIPELINE_SLEEP", "0"))
    for step in range(1, 5):
        context.check_cancelled()
        time.sleep(total / 4)
        context.progress(step / 4, f"step {step} of 4")
    _log(f"done {context.job_id} {context.attempt} {os.getpid()}")
    seal = Seal(payload=secrets.token_hex(8), manifest_id=f"urn:uuid:{context.job_id}", sha256="0" * 64,
                fingerprint=[], manifest={})
    return PipelineResult(media_path=f"videos/{context.job_id}.mp4", metadata={"pid": os.getpid()}, seal=seal)


def raising(context: PipelineContext) -> PipelineResult:
    context.progress(0.5, "generating")
    raise PipelineError("the generator ran out of memory at step 3")


def crashing(context: PipelineContext) -> PipelineResult:
    raise RuntimeError("unexpected bug")


def waiting_for_cancel(context: PipelineContext) -> PipelineResult:
    """Runs until the job is cancelled (bounded at 10 s), touching a marker file when it starts."""
    marker = os.environ.get("CLEARFRAME_TEST_PIPELINE_MARKER")
    if marker:
        Path(marker).touch()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        context.check_cancelled()
        time.sleep(0.05)
    raise PipelineError("the job was never cancelled")


def sealed_then_stalling(context: PipelineContext) -> PipelineResult:
    """Writes the sealed file where it will be published, then (on the first attempt) stalls before the
    publishing transaction writes the ledger row: the window a SIGKILL must not turn into a lost or doubled job."""
    from django.conf import settings

    relative = f"videos/{context.job_id}.mp4"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"sealed on attempt {context.attempt}")
    _log(f"sealed {context.job_id} {context.attempt} {os.getpid()}")
    if context.attempt == 1:
        time.sleep(60)
    seal = Seal(payload=secrets.token_hex(8), manifest_id=f"urn:uuid:{context.job_id}-{context.attempt}",
                sha256="0" * 64, fingerprint=[], manifest={})
    return PipelineResult(media_path=relative, metadata={"pid": os.getpid()}, seal=seal)
