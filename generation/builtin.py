"""The built-in backend: the project's own text-to-video model, loaded once from a weights folder."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .flow import sample
from .model import VideoDiT
from .types import CancelCheck, Clip, InvalidGenerationRequest, ProgressCallback

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "builtin"
DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 2.0  # measured on held-out prompts: higher guidance broke objects into more fragments
DEFAULT_SIZE = 256  # delivered height and width; the model works at its native 64x64 and is upsampled
FPS = 8.0
MAX_STEPS = 200
MAX_GUIDANCE = 20.0
MIN_SIZE, MAX_SIZE = 64, 1024
MAX_PROMPT_CHARS = 500
MAX_SEED = 2**63 - 1


def check_request(
    prompt: object,
    *,
    negative_prompt: object,
    seed: object,
    steps: int,
    guidance: float,
    num_frames: int,
    height: int,
    width: int,
    max_frames: int,
) -> None:
    """Raise InvalidGenerationRequest with a message a user can act on if any parameter is out of range."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidGenerationRequest("prompt must be a non-empty string")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidGenerationRequest(f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are allowed")
    if negative_prompt is not None and not isinstance(negative_prompt, str):
        raise InvalidGenerationRequest("negative_prompt must be a string or None")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        raise InvalidGenerationRequest(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    for name, value, low, high in (
        ("steps", steps, 1, MAX_STEPS),
        ("num_frames", num_frames, 1, max_frames),
        ("height", height, MIN_SIZE, MAX_SIZE),
        ("width", width, MIN_SIZE, MAX_SIZE),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidGenerationRequest(f"{name} must be an integer from {low} to {high}, got {value!r}")
    for name, value in (("height", height), ("width", width)):
        if value % 16:
            raise InvalidGenerationRequest(f"{name} must be a multiple of 16 (video codecs need it), got {value}")
    if isinstance(guidance, bool) or not isinstance(guidance, int | float) or not 0.0 <= guidance <= MAX_GUIDANCE:
        raise InvalidGenerationRequest(f"guidance must be a number from 0 to {MAX_GUIDANCE}, got {guidance!r}")


def to_frames(clips: torch.Tensor, height: int, width: int) -> np.ndarray:
    """Clips (B, 3, T, h, w) in [-1, 1] -> uint8 frames (B, T, height, width, 3), upsampled bicubically."""
    b, _, t, h, w = clips.shape
    video = clips.permute(0, 2, 1, 3, 4).reshape(b * t, 3, h, w)  # (B*T, 3, h, w)
    if (height, width) != (h, w):
        video = F.interpolate(video, size=(height, width), mode="bicubic", align_corners=False)
    video = ((video.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return video.reshape(b, t, 3, height, width).permute(0, 1, 3, 4, 2).contiguous().numpy()


class BuiltinBackend:
    """Generates clips with the built-in video DiT; implements generation.types.Backend."""

    name = "builtin"

    def __init__(self, weights: str | Path = DEFAULT_WEIGHTS, *, device: str | None = None):
        self.weights = Path(weights)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = VideoDiT.from_pretrained(self.weights, device=self.device)
        self._lock = threading.Lock()  # one sampling loop at a time per loaded model

    @property
    def native_frames(self) -> int:
        return self.model.config.frames

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
    ) -> Clip:
        """One clip for a prompt; the same seed gives the same clip on the same device."""
        steps = DEFAULT_STEPS if steps is None else steps
        guidance = DEFAULT_GUIDANCE if guidance is None else guidance
        num_frames = self.native_frames if num_frames is None else num_frames
        height = DEFAULT_SIZE if height is None else height
        width = DEFAULT_SIZE if width is None else width
        check_request(
            prompt, negative_prompt=negative_prompt, seed=seed, steps=steps, guidance=guidance,
            num_frames=num_frames, height=height, width=width, max_frames=self.native_frames,
        )
        if seed is None:
            seed = secrets.randbelow(2**31)
        frames = self.generate_batch(
            [prompt], negative_prompt=negative_prompt, seed=seed, steps=steps, guidance=float(guidance),
            height=height, width=width, progress=progress, cancel=cancel,
        )[0][:num_frames]
        metadata = {
            "backend": self.name,
            "model": "clearframe-builtin-video-dit",
            "weights": str(self.weights),
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "steps": steps,
            "guidance": float(guidance),
            "native_size": [self.model.config.frames, self.model.config.size, self.model.config.size],
            "device": self.device.type,
        }
        return Clip(frames=frames, fps=FPS, metadata=metadata)

    def generate_batch(
        self,
        prompts: list[str],
        *,
        negative_prompt: str | None = None,
        seed: int,
        steps: int = DEFAULT_STEPS,
        guidance: float = DEFAULT_GUIDANCE,
        height: int | None = None,
        width: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """Frames (B, T, H, W, 3) uint8 for several prompts sampled together (evaluation and benchmarks)."""
        size = self.model.config.size
        tokens = self.model.text.tokenize(prompts)
        null_tokens = self.model.text.tokenize([negative_prompt or ""] * len(prompts))
        generator = torch.Generator("cpu").manual_seed(seed)
        with self._lock, torch.inference_mode():
            clips = sample(
                self.model, tokens, null_tokens, generator=generator, steps=steps, guidance=guidance,
                progress=progress, cancel=cancel,
            )
        return to_frames(clips.float().cpu(), height or size, width or size)
