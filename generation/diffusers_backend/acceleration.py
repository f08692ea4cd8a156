"""Ways to run a diffusers video transformer faster: attention kernel choice, FP8 matmuls, step caching.

The attention choice keeps bf16 numerics. FP8 matmuls and step caching change the output a little; callers report
that difference next to the speed they buy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

# Attention backends of diffusers' dispatcher that run without downloading anything, fastest first on Hopper.
# FlashAttention 3 and 2 need their packages installed; the cuDNN and flash kernels ship inside torch.
ATTENTION_CANDIDATES = ("_flash_3", "flash", "_native_cudnn", "_native_flash", "native")
FP8_MAX = 448.0  # largest float8_e4m3fn value


def time_attention_backends(
    q: Any,
    k: Any,
    v: Any,
    candidates: Iterable[str] = ATTENTION_CANDIDATES,
    repeats: int = 3,
    attn_mask: Any = None,
) -> dict[str, float | str]:
    """Seconds per attention call for each backend that runs here (q, k, v: (B, N, heads, head_dim)), or why not.

    The output of each is compared with PyTorch's default SDPA; a backend whose output differs beyond bf16
    rounding is reported as a string instead of a time. Pass attn_mask for a model that masks its attention
    (the flash kernels take none).
    """
    import torch
    from diffusers.models.attention_dispatch import attention_backend, dispatch_attention_fn

    with torch.no_grad():
        expected = dispatch_attention_fn(q, k, v, attn_mask=attn_mask, backend="native")
        results: dict[str, float | str] = {}
        for name in candidates:
            try:
                with attention_backend(name):
                    out = dispatch_attention_fn(q, k, v, attn_mask=attn_mask)  # warm-up and numerics
                    error = ((out.float() - expected.float()).norm() / expected.float().norm()).item()
                    if not error < 2e-2:
                        results[name] = f"output differs (relative error {error:.3g})"
                        continue
                    synchronize(q.device)
                    start = time.perf_counter()
                    for _ in range(repeats):
                        dispatch_attention_fn(q, k, v, attn_mask=attn_mask)
                    synchronize(q.device)
                    results[name] = (time.perf_counter() - start) / repeats
            except Exception as exc:  # a missing package or unsupported card: reported, never fatal
                results[name] = f"unavailable ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})"
    return results


def fastest(results: dict[str, float | str]) -> str:
    """The name of the fastest backend in a time_attention_backends result."""
    timed = {name: seconds for name, seconds in results.items() if isinstance(seconds, float)}
    return min(timed, key=timed.get)


def synchronize(device: Any) -> None:
    import torch

    if getattr(device, "type", str(device)).startswith("cuda"):
        torch.cuda.synchronize(device)


def float8_linear_class():
    """The Float8Linear module class (built lazily so that importing this file does not import torch)."""
    import torch
    from torch import nn

    class Float8Linear(nn.Module):
        """A Linear whose matmul runs in float8 e4m3: weights scaled per output row once, activations per token.

        On CUDA it calls torch._scaled_mm with row-wise scales (Hopper and newer); elsewhere it computes the same
        quantised product in float32 (unless scaled_mm=True), so that the output difference can be checked on any
        machine.
        """

        def __init__(self, linear: nn.Linear, scaled_mm: bool | None = None) -> None:
            super().__init__()
            self.scaled_mm = scaled_mm  # None: torch._scaled_mm on CUDA, the float32 product elsewhere
            weight = linear.weight.detach().float()  # (out, in)
            scale = weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / FP8_MAX  # (out, 1)
            self.register_buffer("weight_fp8", (weight / scale).to(torch.float8_e4m3fn))
            self.register_buffer("weight_scale", scale.t().contiguous())  # (1, out)
            self.bias = linear.bias
            self.out_features = linear.out_features

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            rows = x.reshape(-1, x.shape[-1])  # (tokens, in)
            scale = rows.abs().amax(dim=1, keepdim=True).float().clamp(min=1e-12) / FP8_MAX  # (tokens, 1)
            quantised = (rows.float() / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
            if self.scaled_mm or (self.scaled_mm is None and rows.is_cuda):
                # Row-wise scaled float8 matmuls return bfloat16 only; a float32 caller gets it cast back.
                out = torch._scaled_mm(
                    quantised, self.weight_fp8.t(), scale_a=scale, scale_b=self.weight_scale, out_dtype=torch.bfloat16
                ).to(x.dtype)
            else:
                out = ((quantised.float() * scale) @ (self.weight_fp8.float() * self.weight_scale.t()).t()).to(x.dtype)
            if self.bias is not None:
                out = out + self.bias
            return out.reshape(*x.shape[:-1], self.out_features)

    return Float8Linear


def use_float8_matmuls(blocks: Any) -> int:
    """Swap every nn.Linear inside `blocks` (a transformer's block list) for a Float8Linear; returns how many."""
    from torch import nn

    float8_linear = float8_linear_class()
    swapped = 0
    for block in blocks:
        for parent in list(block.modules()):
            for child_name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear) and child.in_features % 16 == 0 and child.out_features % 16 == 0:
                    setattr(parent, child_name, float8_linear(child))
                    swapped += 1
    return swapped


def prepare_transformer(
    transformer: Any,
    blocks: Any,
    *,
    attention_backend: str | None = None,
    compile_blocks: bool = False,
    compile_mode: str | None = None,
    fp8: bool = False,
) -> int:
    """Make a diffusers transformer fast in place; returns how many linears became float8.

    With compile_blocks, q/k/v are fused into one matmul first (before FP8, so the fused matmul is the float8 one)
    and the repeated blocks are compiled once and reused (regional compilation, whole-graph per block).
    """
    if compile_blocks and hasattr(transformer, "fuse_qkv_projections"):
        transformer.fuse_qkv_projections()
    swapped = use_float8_matmuls(blocks) if fp8 else 0
    if attention_backend is not None:
        from diffusers.models.attention_dispatch import _AttentionBackendRegistry

        # set_attention_backend also makes the backend the process-wide default, which would reach every other
        # model in this process (one that masks its attention would then fail); keep it on this model only.
        default = _AttentionBackendRegistry._active_backend
        try:
            transformer.set_attention_backend(attention_backend)
        finally:
            _AttentionBackendRegistry.set_active_backend(default)
    if compile_blocks:
        options = {"mode": compile_mode} if compile_mode else {}
        transformer.compile_repeated_blocks(fullgraph=True, **options)
    return swapped


def cached_steps(steps: int, *, warmup: int = 5, tail: int = 2, every: int = 2) -> frozenset[int]:
    """Steps (0-based) whose deep blocks are skipped: after `warmup` full steps and before the last `tail`,
    all but every `every`-th step reuse the residual of the last full step (a fixed First Block Cache)."""
    return frozenset(i for i in range(warmup, steps - tail) if (i - warmup) % every)


class StepCache:
    """First Block Cache on a fixed schedule: on a cached step, only the first block runs and the other blocks'
    residual from the last full step is added back. A fixed schedule makes its speed independent of the weights.

    Install on a transformer's block list; set `skip` before each step.
    """

    def __init__(self, blocks: Any) -> None:
        from torch import nn

        self.skip = False
        self.entry: Any = None
        self.residual: Any = None
        cache = self

        class Deep(nn.Module):
            def __init__(self, block: nn.Module, first: bool, last: bool) -> None:
                super().__init__()
                self.block, self.first, self.last = block, first, last

            def forward(self, hidden_states: Any, *args: Any, **kwargs: Any) -> Any:
                if cache.skip and cache.residual is not None:
                    return hidden_states + cache.residual if self.last else hidden_states
                if self.first:
                    # A copy: with CUDA graphs the first block's output buffer is reused by its next replay.
                    cache.entry = hidden_states.clone()
                out = self.block(hidden_states, *args, **kwargs)
                if self.last:
                    cache.residual = out - cache.entry  # (B, tokens, dim)
                return out

        count = len(blocks)
        for i in range(1, count):
            blocks[i] = Deep(blocks[i], first=i == 1, last=i == count - 1)


def run_steps(step: Callable[[int], None], steps: int, device: Any) -> float:
    """Seconds one call of step(i) takes on average over `steps` calls, the device synchronised at both ends."""
    synchronize(device)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    synchronize(device)
    return (time.perf_counter() - start) / steps
