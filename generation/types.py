"""Plain data shared by every generation backend (built-in model and diffusers pipelines)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

# progress(step, total_steps) is called after every denoising step, like diffusers'
# callback_on_step_end; cancel() is polled at the same points, like a pipeline's `interrupt`.
ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class GenerationError(Exception):
    """Base class of every error a backend raises on purpose."""


class InvalidGenerationRequest(GenerationError, ValueError):
    """The request itself is wrong (empty prompt, frames or size out of range); the message says how."""


class GenerationCancelled(GenerationError):
    """The cancel check returned True; no clip was produced."""


class BackendUnavailable(GenerationError):
    """The backend cannot run here (missing or incomplete weights folder, missing device)."""


@dataclass(frozen=True)
class Clip:
    """A generated clip: frames uint8 (T, H, W, 3), frames per second and what made it."""

    frames: np.ndarray
    fps: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.dtype != np.uint8 or self.frames.ndim != 4 or self.frames.shape[-1] != 3:
            raise ValueError(f"frames must be uint8 (T, H, W, 3), got {self.frames.dtype} {self.frames.shape}")

    @property
    def duration(self) -> float:
        return self.frames.shape[0] / self.fps


class Backend(Protocol):
    """What the platform calls; every backend (built-in, Wan, LTX-Video, CogVideoX) implements it."""

    name: str

    def generate(
        self,
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
    ) -> Clip: ...
