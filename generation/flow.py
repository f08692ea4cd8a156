"""Rectified flow: the training objective and the Euler sampler with classifier-free guidance.

Convention: x_t = (1 - t) * data + t * noise, t in [0, 1], velocity v = noise - data; sampling
integrates from t = 1 (pure noise) down to t = 0. The network predicts the clean clip and the loss is
taken on the velocity it implies ("x-prediction, v-loss"): with tubelets far larger than the model
width, predicting clean data learns much faster than predicting noise or velocity directly.

The velocity weight 1/t^2 is capped at 1/LOSS_MIN_TIME^2 and the times lean toward high noise: text only
matters where the noisy clip no longer shows the scene (t near 1), and with the plain v-loss the nearly
clean samples dominate the gradient, so the model learned to denoise long before it learned to listen.
"""

from __future__ import annotations

import torch

from .types import CancelCheck, GenerationCancelled, ProgressCallback

TIME_MEAN = 0.8  # mean of the logit-normal flow times: above 0, most samples are noisier than half
UNIFORM_SHARE = 0.3  # share of times drawn uniformly from [0, 1]
HIGH_NOISE_SHARE = 0.3  # share drawn from [HIGH_NOISE, 1]: there the clip is hidden and only the text can tell
HIGH_NOISE = 0.85
LOSS_MIN_TIME = 0.3  # floor of t in the loss weight 1/t^2: nearly clean samples weigh at most 1/0.3^2


def sample_times(batch: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """Flow times: logit-normal (SD3's choice) shifted toward noise, mixed with uniform and high-noise shares."""
    logit_normal = torch.sigmoid(torch.randn(batch, generator=generator, device=device) + TIME_MEAN)
    uniform = torch.rand(batch, generator=generator, device=device)
    high = HIGH_NOISE + (1 - HIGH_NOISE) * torch.rand(batch, generator=generator, device=device)
    pick = torch.rand(batch, generator=generator, device=device)
    return torch.where(pick < UNIFORM_SHARE, uniform, torch.where(pick < UNIFORM_SHARE + HIGH_NOISE_SHARE, high,
                                                                   logit_normal))


def flow_matching_loss(model, clips: torch.Tensor, pooled: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """Weighted squared velocity error for a batch of clean clips (B, 3, T, H, W) in [-1, 1]."""
    b = clips.shape[0]
    t = sample_times(b, device=clips.device)
    noise = torch.randn_like(clips)
    tt = t.view(b, 1, 1, 1, 1)
    noisy = (1 - tt) * clips + tt * noise
    predicted = model(noisy, t, pooled, text).float()
    # The velocity error (noisy - predicted) / t - (noisy - clean) / t is (clean - predicted) / t.
    error = (predicted - clips.float()).pow(2).mean(dim=(1, 2, 3, 4))  # (B,)
    return (error / t.clamp(min=LOSS_MIN_TIME).pow(2)).mean()


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
