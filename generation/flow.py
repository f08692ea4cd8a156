"""Rectified flow: the training objective and the Euler sampler with classifier-free guidance.

Convention: x_t = (1 - t) * data + t * noise, t in [0, 1], velocity v = noise - data; sampling
integrates from t = 1 (pure noise) down to t = 0. The network predicts the clean clip and the loss is
taken on the velocity it implies ("x-prediction, v-loss"): with tubelets far larger than the model
width, predicting clean data learns much faster than predicting noise or velocity directly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .types import CancelCheck, GenerationCancelled, ProgressCallback


def sample_times(batch: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """Logit-normal flow times (SD3's choice): most training signal at mid noise levels."""
    return torch.sigmoid(torch.randn(batch, generator=generator, device=device))


MIN_TIME = 0.05  # floor of t in the velocity implied by a clean prediction, so it stays finite near t = 0


def velocity(noisy: torch.Tensor, predicted_clean: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Velocity implied by a clean-clip prediction at flow times t (B,)."""
    tt = t.clamp(min=MIN_TIME).view(-1, 1, 1, 1, 1)
    return (noisy - predicted_clean) / tt


def flow_matching_loss(model, clips: torch.Tensor, pooled: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """Mean squared velocity error for a batch of clean clips (B, 3, T, H, W) in [-1, 1]."""
    b = clips.shape[0]
    t = sample_times(b, device=clips.device)
    noise = torch.randn_like(clips)
    tt = t.view(b, 1, 1, 1, 1)
    noisy = (1 - tt) * clips + tt * noise
    predicted = model(noisy, t, pooled, text).float()
    return F.mse_loss(velocity(noisy, predicted, t), velocity(noisy, clips.float(), t))


def time_schedule(steps: int, shift: float = 2.0) -> torch.Tensor:
    """steps + 1 times from 1 to 0, shifted toward high noise where global layout is decided."""
    t = torch.linspace(1.0, 0.0, steps + 1)
    return shift * t / (1 + (shift - 1) * t)


@torch.no_grad()
def sample(
    model,
    tokens: torch.Tensor,
    null_tokens: torch.Tensor,
    *,
    generator: torch.Generator,
    steps: int,
    guidance: float,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> torch.Tensor:
    """Integrate the flow from noise to clips (B, 3, T, H, W) in [-1, 1] for token ids (B, L).

    null_tokens (B, L) is the unconditional (or negative) prompt that guidance pushes away from.
    """
    c = model.config
    device = next(model.parameters()).device
    b = tokens.shape[0]
    x = torch.randn((b, 3, c.frames, c.size, c.size), generator=generator, device="cpu").to(device)
    pooled, text = model.encode_text(torch.cat([tokens, null_tokens]).to(device))
    times = time_schedule(steps)
    for i in range(steps):
        if cancel is not None and cancel():
            raise GenerationCancelled(f"cancelled at step {i} of {steps}")
        t, t_next = float(times[i]), float(times[i + 1])
        tb = torch.full((2 * b,), t, device=device)
        clean_cond, clean_uncond = model(torch.cat([x, x]), tb, pooled, text).float().chunk(2)
        clean = clean_uncond + guidance * (clean_cond - clean_uncond)
        # Guidance on the clean prediction equals guidance on the velocity (the map is affine).
        # t > 0 inside the loop, so the exact velocity (x - clean) / t is used; the last step lands on clean.
        x = x + (t_next - t) * (x - clean) / t
        if progress is not None:
            progress(i + 1, steps)
    return x.clamp(-1, 1)
