"""Clearframe's Wan text-to-video sampling loop over a loaded diffusers WanPipeline.

It follows WanPipeline.__call__ step for step (same prompt encoding, latents, scheduler, guidance formula and VAE
decode) with these differences: the conditional and unconditional passes run as one batch of two, where the pipeline
runs them one after the other (batch_cfg=False restores that, for the memory it saves); a cancelled run stops before
the VAE decode instead of decoding anyway; a transformer carrying a step cache skips its deep blocks on the cache's
schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from generation.diffusers_backend.acceleration import cached_steps
from generation.types import GenerationCancelled

StepHook = Callable[[int, int], bool]  # (step, total) -> True to stop


def sample_wan(
    pipe: Any,
    *,
    prompt: str,
    negative_prompt: str | None,
    height: int,
    width: int,
    num_frames: int,
    steps: int,
    guidance: float,
    generator: Any,
    on_step: StepHook | None = None,
    batch_cfg: bool = True,
    max_sequence_length: int = 512,
) -> np.ndarray:
    """Denoise and decode one clip; returns float frames in [0, 1], shape (T, H, W, 3)."""
    import torch

    device = pipe._execution_device
    do_cfg = guidance > 1.0
    with torch.no_grad():
        cond, uncond = pipe.encode_prompt(
            prompt=prompt,
            negative_prompt=negative_prompt,
            do_classifier_free_guidance=do_cfg,
            num_videos_per_prompt=1,
            max_sequence_length=max_sequence_length,
            device=device,
        )
    first = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
    dtype = first.dtype
    cond = cond.to(dtype)  # (1, L, text_dim), padded to max_sequence_length like the negative prompt
    uncond = uncond.to(dtype) if uncond is not None else None

    pipe.scheduler.set_timesteps(steps, device=device)
    timesteps = pipe.scheduler.timesteps
    latents = pipe.prepare_latents(
        1, first.config.in_channels, height, width, num_frames, torch.float32, device, generator
    )  # (1, C, T', H/8, W/8)
    mask = torch.ones(latents.shape, dtype=torch.float32, device=device)
    pipe.scheduler.set_begin_index(0)
    skip = cached_steps(len(timesteps))
    for model in (pipe.transformer, pipe.transformer_2):
        if getattr(model, "step_cache", None) is not None:
            model.step_cache.residual = None  # nothing carries over from the previous clip
    boundary = None
    if pipe.config.boundary_ratio is not None:
        boundary = pipe.config.boundary_ratio * pipe.scheduler.config.num_train_timesteps

    for i, t in enumerate(timesteps):
        # Wan 2.2 A14B: transformer for the high-noise steps, transformer_2 for the rest (same guidance scale,
        # as WanPipeline uses when guidance_scale_2 is not given).
        model = pipe.transformer if boundary is None or t >= boundary else pipe.transformer_2
        x = latents.to(dtype)
        if pipe.config.expand_timesteps:
            timestep = (mask[0][0][:, ::2, ::2] * t).flatten().unsqueeze(0)  # (1, tokens)
        else:
            timestep = t.expand(1)
        if getattr(model, "step_cache", None) is not None:
            model.step_cache.skip = i in skip
        cache = {"step_index": i, "sigma": float(pipe.scheduler.sigmas[i]), "num_inference_steps": len(timesteps)}
        noise = guided_noise(model, x, timestep, cond, uncond, guidance, batch_cfg=batch_cfg, cache=cache)
        latents = pipe.scheduler.step(noise, t, latents, return_dict=False)[0]
        if on_step is not None and on_step(i + 1, len(timesteps)):
            pipe.maybe_free_model_hooks()
            raise GenerationCancelled(f"cancelled after step {i + 1} of {len(timesteps)}")

    with torch.no_grad():
        video = decode_wan_latents(pipe, latents)
    pipe.maybe_free_model_hooks()
    return video


def guided_noise(
    model: Any,
    x: Any,
    timestep: Any,
    cond: Any,
    uncond: Any | None,
    guidance: float,
    *,
    batch_cfg: bool = True,
    cache: dict[str, Any] | None = None,
) -> Any:
    """One classifier-free-guided prediction of a Wan transformer, x (1, C, T', h, w) -> noise of the same shape.

    batch_cfg runs the two passes as one batch of two; without it they run one after the other, as in WanPipeline.
    """
    import torch

    cache = cache or {}
    with torch.no_grad():
        if uncond is not None and batch_cfg:
            with model.cache_context("cond_uncond", **cache):
                out = model(
                    hidden_states=torch.cat([x, x]),
                    timestep=torch.cat([timestep, timestep]),
                    encoder_hidden_states=torch.cat([cond, uncond]),  # (2, L, text_dim)
                    return_dict=False,
                )[0]
            noise_cond, noise_uncond = out.chunk(2)
            return noise_uncond + guidance * (noise_cond - noise_uncond)
        with model.cache_context("cond", **cache):
            noise = model(hidden_states=x, timestep=timestep, encoder_hidden_states=cond, return_dict=False)[0]
        if uncond is None:
            return noise
        with model.cache_context("uncond", **cache):
            noise_uncond = model(hidden_states=x, timestep=timestep, encoder_hidden_states=uncond, return_dict=False)[0]
        return noise_uncond + guidance * (noise - noise_uncond)


def decode_wan_latents(pipe: Any, latents: Any) -> np.ndarray:
    """Undo the Wan VAE's latent normalisation and decode: (1, C, T', h, w) -> float (T, H, W, 3) in [0, 1]."""
    import torch
    from diffusers.utils.torch_utils import get_module_execution_device

    vae = pipe.vae
    z_dim = vae.config.z_dim
    latents = latents.to(get_module_execution_device(vae), dtype=vae.dtype)
    mean = torch.tensor(vae.config.latents_mean).view(1, z_dim, 1, 1, 1).to(latents.device, latents.dtype)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, z_dim, 1, 1, 1).to(latents.device, latents.dtype)
    video = vae.decode(latents / inv_std + mean, return_dict=False)[0]
    return pipe.video_processor.postprocess_video(video, output_type="np")[0]
