"""What a worker runs for one job: generate, check the frames, seal. The seam between jobs and the trust path.

Fail closed: every error of frame moderation or sealing becomes a PipelineError, and the only file this module
ever writes where users can fetch it is one that `provenance.seal` produced.
"""

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


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
class Seal:
    """What the ledger records of a sealed video."""

    payload: str
    manifest_id: str
    sha256: str
    fingerprint: Any
    manifest: dict


@dataclass
class HeldOutput:
    """Frames the output check did not let through: the verdict, and sampled frames for a reviewer."""

    decision: str  # review | block
    verdict: dict
    frames: list[str]  # sampled frames, paths under MEDIA_ROOT (private: served only to reviewers)
    clip_path: str  # the unsealed clip, outside MEDIA_ROOT, kept to seal if a reviewer approves


@dataclass
class PipelineResult:
    media_path: str = ""  # the sealed video, relative to MEDIA_ROOT
    metadata: dict[str, Any] = field(default_factory=dict)
    seal: Seal | None = None
    held: HeldOutput | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"media_path": self.media_path, "metadata": self.metadata, "timings": self.timings}


# --- the collaborators, each configured in settings --------------------------------------------------------

def _packages():
    try:
        import generation
        import provenance
        import safety
    except ImportError as exc:
        raise PipelineNotInstalled(f"the generation pipeline cannot run: {exc}") from exc
    return generation, safety, provenance


def generation_backend():
    """The configured backend (built-in model by default), loaded once per worker process."""
    generation, _, _ = _packages()
    config = dict(settings.CLEARFRAME["GENERATION"])
    name = config.pop("BACKEND")
    options = {k.lower(): v for k, v in config.items() if v not in (None, "")}
    try:
        return generation.load_backend(name, **options)
    except generation.GenerationError as exc:
        raise PipelineError(f"the {name} generator cannot run: {exc}") from exc


def signing_credentials():
    """The signing certificate chain and key from settings; missing or expired credentials stop the job."""
    _, _, provenance = _packages()
    signing = settings.CLEARFRAME["SIGNING"]
    try:
        credentials = provenance.load_credentials(signing["CERT_CHAIN"], signing["KEY"], signing["TRUST_ANCHORS"])
        credentials.check_valid()
    except provenance.ProvenanceError as exc:
        raise PipelineError(f"cannot seal: {exc}") from exc
    return credentials


def held_clip_dir() -> Path:
    path = Path(settings.CLEARFRAME["HELD_CLIP_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the steps ---------------------------------------------------------------------------------------------

def _generate(context: PipelineContext):
    generation, _, _ = _packages()
    backend = generation_backend()
    params = {k: v for k, v in context.params.items() if v is not None}

    def progress(step: int, total: int) -> None:
        context.progress(0.05 + 0.75 * step / max(total, 1), f"generating, step {step} of {total}")

    try:
        clip = backend.generate(
            context.prompt, negative_prompt=context.negative_prompt or None, seed=params.get("seed"),
            steps=params.get("steps"), guidance=params.get("guidance"), num_frames=params.get("num_frames"),
            height=params.get("height"), width=params.get("width"), progress=progress, cancel=context.cancelled,
        )
    except generation.GenerationCancelled as exc:
        raise PipelineCancelled(str(exc)) from exc
    except generation.GenerationError as exc:
        raise PipelineError(f"generation failed: {exc}") from exc
    except MemoryError as exc:
        raise PipelineError("the generator ran out of memory; try fewer frames or a smaller size, or enable "
                            "CPU offload for this model") from exc
    except RuntimeError as exc:  # torch.OutOfMemoryError is a RuntimeError
        if type(exc).__name__ != "OutOfMemoryError" and "out of memory" not in str(exc).lower():
            raise
        raise PipelineError("the generator ran out of GPU memory; try fewer frames or a smaller size, or enable "
                            "CPU offload for this model") from exc
    return str(clip.metadata.get("model") or backend.name), clip


def moderate_frames(frames: np.ndarray, fps: float) -> dict:
    """The output check: safety's frame moderation, as plain data."""
    _, safety, _ = _packages()
    return safety.moderate_frames(frames, fps).as_dict()


def _moderate_frames(clip) -> dict:
    try:
        verdict = import_string(settings.CLEARFRAME["FRAME_MODERATOR"])(clip.frames, clip.fps)
        if verdict.get("decision") not in ("allow", "review", "block"):
            raise ValueError(f"unknown decision {verdict.get('decision')!r}")
        return verdict
    except Exception as exc:  # fail closed: an output that was not checked is never sealed
        logger.exception("frame moderation failed")
        raise PipelineError(
            f"the frame check could not run ({type(exc).__name__}: {exc}); nothing was published") from exc


def _hold(context: PipelineContext, clip, verdict: dict) -> HeldOutput:
    """Keep the unsealed clip out of MEDIA_ROOT and a few sampled frames for the reviewer."""
    from PIL import Image

    clip_path = held_clip_dir() / f"{context.job_id}.npz"
    np.savez_compressed(clip_path, frames=clip.frames, fps=np.float64(clip.fps))
    indices = sorted({e["frame_index"] for e in verdict.get("evidence", []) if e["frame_index"] >= 0}
                     | {0, len(clip.frames) // 2, len(clip.frames) - 1})[:8]
    folder = Path(settings.MEDIA_ROOT) / "review" / context.job_id
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for index in indices:
        name = f"review/{context.job_id}/frame-{index:04d}.png"
        Image.fromarray(clip.frames[index]).save(Path(settings.MEDIA_ROOT) / name)
        frames.append(name)
    return HeldOutput(decision=verdict["decision"], verdict=verdict, frames=frames, clip_path=str(clip_path))


def seal_clip(*, job_id: str, prompt: str, params: dict, model: str, frames: np.ndarray,
              fps: float) -> tuple[str, Seal]:
    """Watermark, encode, sign and fingerprint; the sealed file is moved under MEDIA_ROOT only when complete."""
    _, _, provenance = _packages()
    credentials = signing_credentials()
    claims = provenance.Claims.for_generation(model=model, prompt=prompt, settings=params)
    relative = f"videos/{job_id}.mp4"
    final = Path(settings.MEDIA_ROOT) / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    descriptor, scratch = tempfile.mkstemp(suffix=".mp4", dir=held_clip_dir())
    os.close(descriptor)
    try:
        sealed = provenance.seal(frames, fps, claims, credentials, out_path=scratch)
        reread = provenance.inspect(scratch, trust_anchors=credentials.trust_anchors_pem)
        if not (reread.c2pa.present and reread.c2pa.valid and reread.watermark.detected
                and reread.watermark.payload == sealed.payload):
            raise PipelineError("the sealed video did not verify (manifest or watermark missing); "
                                "nothing was published")
        digest = hashlib.sha256(Path(scratch).read_bytes()).hexdigest()
        if digest != sealed.sha256:
            raise PipelineError("the sealed file changed after sealing; nothing was published")
        os.replace(scratch, final)
    except provenance.ProvenanceError as exc:
        raise PipelineError(f"sealing failed: {exc}; nothing was published") from exc
    except OSError as exc:  # the disk filled up, the media folder is not writable...
        raise PipelineError(f"could not write the sealed video ({exc.strerror or exc}); nothing was published; "
                            f"check the space and permissions of {final.parent}") from exc
    finally:
        Path(scratch).unlink(missing_ok=True)
    return relative, Seal(payload=sealed.payload, manifest_id=sealed.manifest_id, sha256=sealed.sha256,
                          fingerprint=_jsonable(sealed.fingerprint), manifest=reread.c2pa.manifest or {})


def _jsonable(fingerprint):
    to_dict = getattr(fingerprint, "to_dict", None)
    return to_dict() if callable(to_dict) else fingerprint


def run_pipeline(context: PipelineContext) -> PipelineResult:
    """Generate, check the frames, seal: the sealed result, or the output held for review."""
    import time

    timings: dict[str, float] = {}
    context.progress(0.02, "loading the generator")
    start = time.perf_counter()
    model, clip = _generate(context)
    timings["generate"] = time.perf_counter() - start
    context.check_cancelled()

    context.progress(0.82, "checking the frames")
    start = time.perf_counter()
    verdict = _moderate_frames(clip)
    timings["moderate_frames"] = time.perf_counter() - start
    context.check_cancelled()
    metadata = {"model": model, "fps": clip.fps, "frames": int(clip.frames.shape[0]),
                "height": int(clip.frames.shape[1]), "width": int(clip.frames.shape[2]), "frame_check": verdict}
    if verdict["decision"] != "allow":
        return PipelineResult(metadata=metadata, held=_hold(context, clip, verdict), timings=timings)

    context.progress(0.88, "sealing: watermark, encode, sign, fingerprint")
    start = time.perf_counter()
    media_path, seal = seal_clip(job_id=context.job_id, prompt=context.prompt, params=context.params,
                                 model=model, frames=clip.frames, fps=clip.fps)
    timings["seal"] = time.perf_counter() - start
    return PipelineResult(media_path=media_path, metadata=metadata, seal=seal, timings=timings)


def pipeline_function() -> Callable[[PipelineContext], PipelineResult]:
    return import_string(settings.CLEARFRAME["PIPELINE"])
