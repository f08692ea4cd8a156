"""Text-to-video generation: the built-in model trained by this project, and open models through diffusers.

    from generation import generate
    clip = generate("a red ball moves right on a dark background", seed=7)
    clip.frames  # uint8 (16, 256, 256, 3), clip.fps == 8
"""

from __future__ import annotations

import functools
from pathlib import Path

from .types import (
    Backend,
    BackendUnavailable,
    CancelCheck,
    Clip,
    GenerationCancelled,
    GenerationError,
    InvalidGenerationRequest,
    ProgressCallback,
)

DIFFUSERS_BACKENDS = ("wan", "ltx-video", "cogvideox")
KNOWN_BACKENDS = ("builtin", *DIFFUSERS_BACKENDS)

__all__ = [
    "Backend",
    "BackendUnavailable",
    "CancelCheck",
    "Clip",
    "GenerationCancelled",
    "GenerationError",
    "InvalidGenerationRequest",
    "KNOWN_BACKENDS",
    "ProgressCallback",
    "generate",
    "load_backend",
]


@functools.lru_cache(maxsize=4)
def _builtin(weights: str, device: str | None) -> Backend:
    from .builtin import BuiltinBackend

    return BuiltinBackend(weights, device=device)


@functools.lru_cache(maxsize=2)
def _diffusers(name: str, options: tuple) -> Backend:
    from .diffusers_backend import load_diffusers_backend

    return load_diffusers_backend(name, **dict(options))


def load_backend(name: str = "builtin", **options) -> Backend:
    """A backend by name: "builtin" (options weights: a folder, device) or wan, ltx-video, cogvideox (diffusers).
    Loaded once per process and set of options: a worker calls this for every job."""
    if name == "builtin":
        from .builtin import DEFAULT_WEIGHTS

        unknown = set(options) - {"weights", "device"}
        if unknown:
            raise InvalidGenerationRequest(
                f"unknown option(s) for the builtin backend: {', '.join(sorted(unknown))}; known: weights, device"
            )
        weights = Path(options.get("weights") or DEFAULT_WEIGHTS).resolve()
        return _builtin(str(weights), options.get("device"))
    if name in DIFFUSERS_BACKENDS:
        if not options.get("folder"):
            raise BackendUnavailable(f"the {name} backend runs from a local weights folder in diffusers layout; "
                                     "name it with the folder option (CLEARFRAME_GENERATION_FOLDER on the platform)")

        return _diffusers(name, tuple(sorted(options.items())))
    raise InvalidGenerationRequest(f"unknown backend {name!r}; known backends: {', '.join(KNOWN_BACKENDS)}")


def generate(
    prompt: str,
    *,
    negative_prompt: str | None = None,
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    num_frames: int | None = None,
    height: int | None = None,
    width: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Clip:
    """One clip from the built-in model with the shipped weights (loaded once, then cached)."""
    return load_backend("builtin").generate(
        prompt, negative_prompt=negative_prompt, seed=seed, steps=steps, guidance=guidance,
        num_frames=num_frames, height=height, width=width, progress=progress, cancel=cancel,
    )
