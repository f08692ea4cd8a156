"""What a worker runs for one job: the seam between the job lifecycle and the trust pipeline."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


class PipelineError(Exception):
    """A step of the pipeline failed; the message is the reason recorded on the job."""


class PipelineCancelled(Exception):
    """The job was cancelled (or its lease lost) while the pipeline ran; nothing is published."""


class PipelineNotInstalled(PipelineError):
    """The packages the pipeline needs are not importable in this deployment."""


@dataclass
class PipelineContext:
    job_id: str
    user_id: int
    prompt: str
    negative_prompt: str
    params: dict[str, Any]
    attempt: int
    # progress(fraction in 0..1, stage text) also renews the worker's lease.
    progress: Callable[[float, str], None]
    # True once the job was cancelled or the lease was lost: stop and raise PipelineCancelled.
    cancelled: Callable[[], bool]

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise PipelineCancelled(f"job {self.job_id} was cancelled")


@dataclass
class PipelineResult:
    media_path: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"media_path": self.media_path, "metadata": self.metadata}


def run_pipeline(context: PipelineContext) -> PipelineResult:
    """Generate, check the frames, seal and record; refuses to run without the three packages."""
    try:
        import generation  # noqa: F401
        import provenance  # noqa: F401
        import safety  # noqa: F401
    except ImportError as exc:
        raise PipelineNotInstalled(f"the generation pipeline cannot run: {exc}") from exc
    raise PipelineNotInstalled("the sealed generation pipeline is not wired into this deployment yet")


def pipeline_function() -> Callable[[PipelineContext], PipelineResult]:
    return import_string(settings.CLEARFRAME["PIPELINE"])
