"""The open model families Clearframe runs through diffusers, and the request rules each one imposes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Family:
    """One model family: its diffusers pipeline class and the defaults of a request."""

    name: str
    pipeline_class: str  # diffusers class named by model_index.json's _class_name
    fps: float  # frame rate the family was trained at
    steps: int = 50
    guidance: float = 5.0
    num_frames: int = 81
    height: int = 480
    width: int = 832
    # Components every folder must hold, beyond any others model_index.json lists.
    components: tuple[str, ...] = ("transformer", "vae", "text_encoder", "tokenizer", "scheduler")


FAMILIES: dict[str, Family] = {
    # Wan 2.1 / 2.2 text-to-video, 1.3B and 14B (2.2 A14B adds transformer_2 for the low-noise stage).
    "wan": Family("wan", "WanPipeline", fps=16.0, guidance=5.0, num_frames=81, height=480, width=832),
    # LTX-Video 0.9.x: 8k+1 frames at 25 fps, sizes divisible by 32.
    "ltx-video": Family("ltx-video", "LTXPipeline", fps=25.0, guidance=3.0, num_frames=161, height=512, width=704),
    # CogVideoX 2B/5B: 49 frames at 8 fps, 480x720.
    "cogvideox": Family("cogvideox", "CogVideoXPipeline", fps=8.0, guidance=6.0, num_frames=49, height=480, width=720),
}


@dataclass(frozen=True)
class Rules:
    """What a loaded pipeline accepts: frames = frame_step * k + 1, height and width multiples of size_step."""

    frame_step: int
    size_step: int

    def describe(self) -> str:
        return f"frames {self.frame_step}k+1, height and width multiples of {self.size_step}"


def rules_for(name: str, pipe: Any) -> Rules:
    """Read the frame and size rules off a loaded pipeline's VAE and transformer configs."""
    if name == "wan":
        transformer = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
        patch = transformer.config.patch_size  # (t, h, w)
        return Rules(frame_step=pipe.vae_scale_factor_temporal, size_step=pipe.vae_scale_factor_spatial * patch[1])
    if name == "ltx-video":
        return Rules(
            frame_step=pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size,
            size_step=pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size,
        )
    if name == "cogvideox":
        # The CogVideoX VAE decodes latent frames in pairs after the first, so only an odd latent count
        # (frames 2*4k+1) comes back with exactly the frames asked for.
        pairs = pipe.vae.num_latent_frames_batch_size
        return Rules(
            frame_step=pipe.vae_scale_factor_temporal * pairs,
            size_step=pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size,
        )
    raise KeyError(name)
