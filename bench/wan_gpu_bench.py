"""Wan2.1-T2V-1.3B on one GPU: diffusers as shipped against Clearframe's path, side by side in one run.

    python bench/wan_gpu_bench.py              # real size on a CUDA GPU (480x832, 81 frames, CFG, 50 steps)
    python bench/wan_gpu_bench.py --tiny       # same code path with a tiny config, on CPU or GPU, in seconds

The transformer has the real config and random weights (its speed does not depend on weight values). Printed:
seconds per step and per clip, the ratio to the reference, achieved TFLOP/s, peak memory, the output difference of
every variant against the reference, and the time of text encoding and VAE decode around the denoising loop.
See bench/README.md for what each variant is.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generation.diffusers_backend.acceleration import (  # noqa: E402
    StepCache,
    cached_steps,
    fastest,
    prepare_transformer,
    synchronize,
    time_attention_backends,
)
from generation.diffusers_backend.wan_sampler import guided_noise  # noqa: E402

# Wan-AI/Wan2.1-T2V-1.3B-Diffusers transformer/config.json
WAN_1_3B = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=12,
    attention_head_dim=128,
    in_channels=16,
    out_channels=16,
    text_dim=4096,
    freq_dim=256,
    ffn_dim=8960,
    num_layers=30,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
    rope_max_seq_len=1024,
)
TINY = {**WAN_1_3B, "num_attention_heads": 2, "attention_head_dim": 16, "text_dim": 32, "ffn_dim": 64, "num_layers": 3}
# google/umt5-xxl encoder, as Wan ships it in text_encoder/
UMT5_XXL = dict(
    vocab_size=256384,
    d_model=4096,
    d_kv=64,
    d_ff=10240,
    num_layers=24,
    num_heads=64,
    relative_attention_num_buckets=32,
    feed_forward_proj="gated-gelu",
    dropout_rate=0.0,
)
UMT5_TINY = {**UMT5_XXL, "vocab_size": 64, "d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4}
VAE_TINY = dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True])
GUIDANCE = 5.0
FLOW_SHIFT = 3.0  # Wan2.1 480p scheduler config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny config (CPU allowed): proves the code path end to end")
    p.add_argument("--frames", type=int, default=None, help="video frames (81; tiny: 9)")
    p.add_argument("--height", type=int, default=None, help="pixels (480; tiny: 64)")
    p.add_argument("--width", type=int, default=None, help="pixels (832; tiny: 64)")
    p.add_argument("--steps", type=int, default=None, help="denoising steps of a clip (50; tiny: 6)")
    p.add_argument("--timed-steps", type=int, default=0, help="time this many steps per variant, not whole clips")
    p.add_argument(
        "--compile-mode",
        default=None,
        help="torch.compile mode for Clearframe's path, e.g. "
        "max-autotune-no-cudagraphs, or reduce-overhead / max-autotune for CUDA graphs",
    )
    p.add_argument("--no-compile", action="store_true", help="Clearframe's path without torch.compile")
    p.add_argument("--no-fp8", action="store_true", help="skip the FP8 variants")
    p.add_argument("--no-cache", action="store_true", help="skip the step-caching variants")
    p.add_argument("--no-vae", action="store_true", help="skip the VAE decode timing")
    p.add_argument("--no-text", action="store_true", help="skip the text encoder timing")
    p.add_argument("--cache-warmup", type=int, default=None, help="full steps before caching starts (5; tiny: 2)")
    p.add_argument("--cache-every", type=int, default=2, help="compute one step in this many while caching")
    p.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    args = p.parse_args(argv)
    real = dict(frames=81, height=480, width=832, steps=50, cache_warmup=5)
    tiny = dict(frames=9, height=64, width=64, steps=8, cache_warmup=2)
    for key, value in (tiny if args.tiny else real).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def wan_flops_per_forward(cfg: dict[str, Any], batch: int, tokens: int, text_tokens: int = 512) -> float:
    """Matmul and attention FLOPs of one Wan transformer forward (multiply-add = 2 FLOPs)."""
    d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    f, n, m = cfg["ffn_dim"], tokens, text_tokens
    patch = cfg["in_channels"] * cfg["patch_size"][0] * cfg["patch_size"][1] * cfg["patch_size"][2]
    per_layer = (
        8 * n * d * d  # self-attention q, k, v, o
        + 4 * n * n * d  # self-attention scores and values
        + 4 * n * d * d  # cross-attention q, o
        + 4 * m * d * d  # cross-attention k, v over the text
        + 4 * n * m * d  # cross-attention scores and values
        + 4 * n * d * f  # feed-forward
    )
    edges = (
        2 * n * d * patch * 2  # patch embedding in, projection out
        + 2 * m * (cfg["text_dim"] * d + d * d)  # text projection
        + 2 * (cfg["freq_dim"] * d + d * d + 6 * d * d)  # timestep embedding and modulation
    )
    return batch * (cfg["num_layers"] * per_layer + edges)


def relative_difference(a: Any, b: Any) -> float:
    """||a - b|| / ||b|| in float32."""
    a, b = a.float(), b.float()
    return ((a - b).norm() / b.norm().clamp(min=1e-30)).item()


class Bench:
    """Holds the inputs every variant shares, and runs the denoising loop of one variant."""

    def __init__(self, args: argparse.Namespace, device: Any) -> None:
        import torch
        from diffusers import UniPCMultistepScheduler

        self.args, self.device = args, device
        self.cfg = TINY if args.tiny else WAN_1_3B
        self.dtype = torch.bfloat16
        latent_frames = (args.frames - 1) // 4 + 1
        shape = (1, 16, latent_frames, args.height // 8, args.width // 8)  # (1, C, T', H/8, W/8)
        self.tokens = latent_frames * (args.height // 16) * (args.width // 16)
        self.text_tokens = 16 if args.tiny else 512
        g = torch.Generator().manual_seed(0)
        self.noise = torch.randn(shape, generator=g).to(device)
        text = (1, self.text_tokens, self.cfg["text_dim"])
        self.cond = torch.randn(text, generator=g).to(device, self.dtype)  # (1, L, text_dim)
        self.uncond = torch.randn(text, generator=g).to(device, self.dtype)
        self.scheduler = UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=FLOW_SHIFT
        )
        self.results: dict[str, Any] = {}

    def first_prediction(self, model: Any, batch_cfg: bool, dtype: Any = None) -> Any:
        """The guided noise prediction at the first step (one step's worth of numerics to compare)."""
        dtype = dtype or self.dtype
        self.scheduler.set_timesteps(self.args.steps, device=self.device)
        t = self.scheduler.timesteps[0]
        x = self.noise.to(dtype)
        cond, uncond = self.cond.to(dtype), self.uncond.to(dtype)
        return guided_noise(model, x, t.expand(1), cond, uncond, GUIDANCE, batch_cfg=batch_cfg).float()

    def float32_floor(self, model: Any, reference: dict[str, Any]) -> float:
        """How far the bf16 reference is from the same weights run in float32: the rounding noise of bf16 itself,
        against which the other variants' differences are read."""
        import torch

        exact = copy.deepcopy(model).float()
        matmul_tf32, cudnn_tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        try:
            first = self.first_prediction(exact, batch_cfg=False, dtype=torch.float32)
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul_tf32, cudnn_tf32
        del exact
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        floor = relative_difference(reference["first"], first)
        self.results["float32_floor"] = floor
        return floor

    def clip(
        self,
        model: Any,
        *,
        batch_cfg: bool,
        steps: int | None = None,
        cache: StepCache | None = None,
        skip: frozenset[int] = frozenset(),
    ) -> tuple[float, Any, int]:
        """Run `steps` steps of the clip's schedule; returns (seconds, final latents, steps that ran every block)."""
        import torch

        steps = self.args.steps if steps is None else steps
        self.scheduler.set_timesteps(self.args.steps, device=self.device)
        latents = self.noise.clone()
        if cache is not None:
            cache.residual = None
        full = 0
        synchronize(self.device)
        start = time.perf_counter()
        for i, t in enumerate(self.scheduler.timesteps[:steps]):
            if cache is not None:
                cache.skip = i in skip
            full += i not in skip
            x = latents.to(self.dtype)
            noise = guided_noise(model, x, t.expand(1), self.cond, self.uncond, GUIDANCE, batch_cfg=batch_cfg)
            with torch.no_grad():
                latents = self.scheduler.step(noise, t, latents, return_dict=False)[0]
        synchronize(self.device)
        return time.perf_counter() - start, latents, full

    def variant(
        self,
        name: str,
        model: Any,
        *,
        batch_cfg: bool,
        reference: dict[str, Any] | None,
        warmup: int = 1,
        cache: StepCache | None = None,
        skip: frozenset[int] = frozenset(),
        steps: int | None = None,
    ) -> dict[str, Any]:
        """Warm up, time one clip (or --timed-steps steps), and compare its output with the reference."""
        import torch

        args = self.args
        compile_start = time.perf_counter()
        if warmup:
            self.clip(model, batch_cfg=batch_cfg, steps=warmup, cache=cache)
        warm_seconds = time.perf_counter() - compile_start
        first = self.first_prediction(model, batch_cfg)
        resident = 0
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            resident = torch.cuda.memory_allocated(self.device)  # includes the other variants' models
        steps = steps or args.timed_steps or args.steps
        seconds, latents, full = self.clip(model, batch_cfg=batch_cfg, steps=steps, cache=cache, skip=skip)
        row: dict[str, Any] = {
            "variant": name,
            "timed_steps": steps,
            "full_steps": full,
            "s_per_step": seconds / steps,
            "s_per_clip": seconds if steps == args.steps else seconds / steps * args.steps,
            "clip_measured": steps == args.steps,
            "warmup_s": warm_seconds,
            # This variant's own weights plus the most its run added on top of what was resident.
            "peak_gib": (model_bytes(model) + torch.cuda.max_memory_allocated(self.device) - resident) / 2**30
            if self.device.type == "cuda"
            else None,
            "finite": bool(torch.isfinite(latents).all()),
        }
        if not skip:
            flops = wan_flops_per_forward(self.cfg, 2, self.tokens, self.text_tokens)
            row["tflops"] = flops / row["s_per_step"] / 1e12
        if reference is not None:
            row["step_rel_diff"] = relative_difference(first, reference["first"])
            if reference["latents"].shape == latents.shape and steps == reference["timed_steps"]:
                row["clip_rel_diff"] = relative_difference(latents, reference["latents"])
            row["speedup"] = reference["s_per_step"] / row["s_per_step"]
        row["first"], row["latents"] = first, latents
        self.results[name] = row
        report(row)
        return row


def model_bytes(model: Any) -> int:
    """Bytes of a model's parameters and buffers."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in {id(t): t for t in tensors}.values())


STARTED = time.perf_counter()


def report(row: dict[str, Any]) -> None:
    elapsed = time.perf_counter() - STARTED  # so that a run cut short still shows how far it got
    parts = [f"[{elapsed:5.0f} s] {row['variant']:<44}", f"{row['s_per_step']:7.3f} s/step"]
    parts.append(f"{row['s_per_clip']:8.1f} s/clip{'' if row['clip_measured'] else ' (est.)'}")
    if "speedup" in row:
        parts.append(f"x{row['speedup']:.2f}")
    if "tflops" in row:
        parts.append(f"{row['tflops']:6.1f} TFLOP/s")
    if row["peak_gib"] is not None:
        parts.append(f"peak {row['peak_gib']:.1f} GiB")
    if "step_rel_diff" in row:
        parts.append(f"diff step {row['step_rel_diff']:.2e}")
    if "clip_rel_diff" in row:
        parts.append(f"clip {row['clip_rel_diff']:.2e}")
    if row["full_steps"] != row["timed_steps"]:
        parts.append(f"{row['full_steps']}/{row['timed_steps']} full steps")
    if not row["finite"]:
        parts.append("NON-FINITE OUTPUT")
    print("  ".join(parts), flush=True)


def build_transformer(cfg: dict[str, Any], device: Any) -> Any:
    import torch
    from diffusers import WanTransformer3DModel

    torch.manual_seed(0)
    with torch.device(device):
        model = WanTransformer3DModel(**cfg)
    # As from_pretrained(dtype=bfloat16) loads it: bf16, except the modules the model keeps in float32.
    keep = set(model._keep_in_fp32_modules or ())
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point():
            tensor.data = tensor.data.to(torch.float32 if keep & set(name.split(".")) else torch.bfloat16)
    return model.eval().requires_grad_(False)


def clearframe_path(model: Any, args: argparse.Namespace, attention: str, *, fp8: bool = False) -> Any:
    """Clearframe's transformer, prepared exactly as load_diffusers_backend(compile_transformer=True) prepares it."""
    model.float8_linears = prepare_transformer(
        model,
        model.blocks,
        attention_backend=attention,
        compile_blocks=not args.no_compile,
        compile_mode=args.compile_mode,
        fp8=fp8,
    )
    return model


def time_text_encoder(args: argparse.Namespace, device: Any) -> dict[str, Any]:
    """UMT5-XXL (random weights, bf16) encoding the prompt and the negative prompt, 512 tokens each."""
    import torch
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(**(UMT5_TINY if args.tiny else UMT5_XXL))
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # build in bf16: the fp32 encoder would need 23 GB
    try:
        with torch.device(device):
            encoder = UMT5EncoderModel(config).eval().requires_grad_(False)
    finally:
        torch.set_default_dtype(default)
    length = 16 if args.tiny else 512
    ids = torch.randint(0, config.vocab_size, (2, length), device=device)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        encoder(input_ids=ids, attention_mask=mask)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        synchronize(device)
        start = time.perf_counter()
        repeats = 3
        for _ in range(repeats):
            encoder(input_ids=ids, attention_mask=mask)
        synchronize(device)
    row = {"s": (time.perf_counter() - start) / repeats, "params_b": sum(p.numel() for p in encoder.parameters()) / 1e9}
    row["peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    del encoder
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    print(
        f"text encoding (UMT5-XXL {row['params_b']:.2f}B, bf16, 2 x {length} tokens): {row['s']:.3f} s"
        + (f", peak {row['peak_gib']:.1f} GiB" if row["peak_gib"] is not None else ""),
        flush=True,
    )
    return row


def time_vae_decode(args: argparse.Namespace, device: Any, latents: Any) -> dict[str, Any]:
    """The Wan 2.1 VAE (random weights, float32 as the backend runs it) decoding the clip's latents."""
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    with torch.device(device):
        vae = AutoencoderKLWan(**(VAE_TINY if args.tiny else {})).eval().requires_grad_(False)
    z = latents.to(device, torch.float32)
    with torch.no_grad():
        vae.decode(z[:, :, :2], return_dict=False)  # warm-up on two latent frames
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        synchronize(device)
        start = time.perf_counter()
        video = vae.decode(z, return_dict=False)[0]  # (1, 3, T, H, W)
        synchronize(device)
    row = {"s": time.perf_counter() - start, "frames": int(video.shape[2]), "size": list(video.shape[3:])}
    row["peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    print(
        f"VAE decode (Wan 2.1 VAE, float32, {row['frames']} frames {row['size'][0]}x{row['size'][1]}): "
        f"{row['s']:.2f} s" + (f", peak {row['peak_gib']:.1f} GiB" if row["peak_gib"] is not None else ""),
        flush=True,
    )
    del vae, video
    gc.collect()
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if not args.tiny and not torch.cuda.is_available():
        print(
            "wan_gpu_bench: no CUDA GPU here; the real-size benchmark needs one (an H100 is the reference card). "
            "Run with --tiny to check the code path on CPU.",
            file=sys.stderr,
        )
        return 2
    if (args.frames - 1) % 4 or args.height % 16 or args.width % 16:
        print("wan_gpu_bench: Wan needs frames 4k+1 and height/width multiples of 16", file=sys.stderr)
        return 2
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(1)
    import diffusers

    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    bench = Bench(args, device)
    cfg = bench.cfg
    print(
        f"Wan2.1-T2V-1.3B transformer{' (TINY config)' if args.tiny else ''}, random weights, bf16 | {card} | "
        f"torch {torch.__version__} | diffusers {diffusers.__version__}"
    )
    print(
        f"{args.frames} frames {args.height}x{args.width} -> {bench.tokens} tokens, CFG {GUIDANCE}, "
        f"{args.steps} steps, UniPC flow shift {FLOW_SHIFT}; "
        f"{wan_flops_per_forward(cfg, 2, bench.tokens, bench.text_tokens) / 1e12:.1f} TFLOP per step (CFG pair)",
        flush=True,
    )
    out: dict[str, Any] = {
        "card": card,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "args": {k: str(v) for k, v in vars(args).items()},
        "tokens": bench.tokens,
    }

    if not args.no_text:
        out["text_encoding"] = time_text_encoder(args, device)

    reference_model = build_transformer(cfg, device)
    heads, head_dim = cfg["num_attention_heads"], cfg["attention_head_dim"]
    q, k, v = (torch.randn(2, bench.tokens, heads, head_dim, device=device, dtype=torch.bfloat16) for _ in range(3))
    attention = time_attention_backends(q, k, v)
    del q, k, v
    out["attention_backends"] = attention
    print(
        "attention kernels (one self-attention call, CFG pair): "
        + ", ".join(f"{n} {s * 1e3:.1f} ms" if isinstance(s, float) else f"{n} {s}" for n, s in attention.items())
    )
    chosen = fastest(attention)
    print(f"-> Clearframe uses {chosen}\n", flush=True)

    print("equal numerics (bf16)")
    ref = bench.variant(
        "(a) reference: diffusers eager, CFG in 2 passes", reference_model, batch_cfg=False, reference=None
    )
    try:
        floor = bench.float32_floor(reference_model, ref)
        print(f"    bf16 rounding floor: reference bf16 vs the same weights in float32, first step: {floor:.2e}")
    except torch.OutOfMemoryError as exc:  # the float32 copy is an extra 5 GB plus float32 activations
        bench.results["float32_floor"] = None
        print(f"    bf16 rounding floor: not measured ({str(exc).splitlines()[0][:100]})")
        torch.cuda.empty_cache()
    # The anchor (1.24 s per step on an H100) is eager diffusers with the guidance passes batched.
    bench.variant(
        "    diffusers eager, CFG batched",
        reference_model,
        batch_cfg=True,
        reference=ref,
        steps=min(args.timed_steps or args.steps, 5),
    )
    model = clearframe_path(copy.deepcopy(reference_model), args, chosen)
    mine = bench.variant(
        f"(b) Clearframe: CFG batched, {chosen}, {'eager' if args.no_compile else 'compiled'}",
        model,
        batch_cfg=True,
        reference=ref,
        warmup=2,
    )
    if mine["s_per_step"] > 0:
        print(
            f"    Clearframe / reference: x{ref['s_per_step'] / mine['s_per_step']:.2f} "
            f"({ref['s_per_step']:.3f} -> {mine['s_per_step']:.3f} s per step)\n",
            flush=True,
        )

    print("changed numerics (difference against the reference printed)")
    skip = cached_steps(args.steps, warmup=args.cache_warmup, every=args.cache_every)
    fp8_model = None
    if not args.no_fp8:
        fp8_model = clearframe_path(copy.deepcopy(reference_model), args, chosen, fp8=True)
        bench.variant(
            f"(c) + FP8 matmuls ({fp8_model.float8_linears} linears)",
            fp8_model,
            batch_cfg=True,
            reference=ref,
            warmup=2,
        )
    if not args.no_cache:
        cache = StepCache(model.blocks)
        bench.variant(
            f"(d) bf16 + step cache ({args.steps - len(skip)} of {args.steps} full)",
            model,
            batch_cfg=True,
            reference=ref,
            cache=cache,
            skip=skip,
            warmup=0,
        )
        if fp8_model is not None:
            fp8_cache = StepCache(fp8_model.blocks)
            bench.variant(
                "(e) FP8 + step cache", fp8_model, batch_cfg=True, reference=ref, cache=fp8_cache, skip=skip, warmup=0
            )

    if not args.no_vae:
        print()
        out["vae_decode"] = time_vae_decode(args, device, mine["latents"])
    text_s = out.get("text_encoding", {}).get("s", 0.0)
    vae_s = out.get("vae_decode", {}).get("s", 0.0)
    print(
        f"\nwhole clip (text + denoise + VAE): reference {text_s + ref['s_per_clip'] + vae_s:.1f} s, "
        f"Clearframe bf16 {text_s + mine['s_per_clip'] + vae_s:.1f} s"
    )
    out["float32_floor"] = bench.results.pop("float32_floor")
    out["variants"] = {
        name: {k: v for k, v in row.items() if k not in ("first", "latents")} for name, row in bench.results.items()
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
