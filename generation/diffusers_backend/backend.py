"""Wan, LTX-Video and CogVideoX behind the Backend interface, loaded from an operator's local diffusers folder."""

from __future__ import annotations

import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from generation.diffusers_backend.acceleration import StepCache, prepare_transformer
from generation.diffusers_backend.families import FAMILIES, Family, Rules, rules_for
from generation.types import (
    BackendUnavailable,
    CancelCheck,
    Clip,
    GenerationCancelled,
    GenerationError,
    InvalidGenerationRequest,
    ProgressCallback,
)

DIFFUSERS_BACKENDS: tuple[str, ...] = tuple(FAMILIES)
DTYPES = ("bfloat16", "float16", "float32")
DEFAULT_KEYS = ("negative_prompt", "steps", "guidance", "num_frames", "height", "width", "fps")
WEIGHTED = ("transformer", "transformer_2", "vae", "text_encoder")  # components that must carry .safetensors


class _Interrupted(Exception):
    """Raised from callback_on_step_end to leave a pipeline at once instead of decoding a cancelled clip."""


def check_folder(folder: str | Path | None, family: Family) -> Path:
    """Raise BackendUnavailable naming everything missing from a diffusers weights folder; return the folder."""
    if folder is None or str(folder) == "":
        raise BackendUnavailable(f"no weights folder set for the {family.name} backend")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise BackendUnavailable(f"{family.name} weights folder {root} does not exist")
    index_path = root / "model_index.json"
    if not index_path.is_file():
        raise BackendUnavailable(f"{family.name} weights folder {root} is incomplete: missing model_index.json")
    try:
        index = json.loads(index_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendUnavailable(f"{index_path} is not readable JSON: {exc}") from exc
    if not isinstance(index, dict):
        raise BackendUnavailable(f"{index_path} is not a diffusers model index (a JSON object)")
    found = index.get("_class_name")
    if found != family.pipeline_class:
        raise BackendUnavailable(
            f"{root} holds a {found} pipeline, not the {family.pipeline_class} the {family.name} backend runs"
        )
    listed = [k for k, v in index.items() if not k.startswith("_") and isinstance(v, list) and v and v[0] is not None]
    missing = []
    for part in dict.fromkeys([*family.components, *listed]):
        sub = root / part
        if not sub.is_dir():
            missing.append(f"{part}/")
        elif part in WEIGHTED and not any(sub.glob("*.safetensors")):
            missing.append(f"{part}/*.safetensors (weights)")
        elif part == "scheduler" and not (sub / "scheduler_config.json").is_file():
            missing.append("scheduler/scheduler_config.json")
        elif part in WEIGHTED and not (sub / "config.json").is_file():
            missing.append(f"{part}/config.json")
    if missing:
        raise BackendUnavailable(f"{family.name} weights folder {root} is incomplete: missing {', '.join(missing)}")
    return root


def load_diffusers_backend(
    name: str,
    *,
    folder: str | Path,
    dtype: str = "bfloat16",
    device: str = "cpu",
    cpu_offload: bool = False,
    vae_tiling: bool = False,
    vae_slicing: bool = False,
    attention_backend: str | None = None,
    compile_transformer: bool = False,
    fp8_matmuls: bool = False,
    step_cache: bool = False,
    **defaults: Any,
) -> DiffusersBackend:
    """Load a diffusers pipeline of family `name` from a local folder (never the hub) as a Backend.

    `defaults` sets the request defaults (negative_prompt, steps, guidance, num_frames, height, width, fps).
    `attention_backend` names a diffusers attention backend (e.g. "_native_cudnn", "flash"; hub kernels refused), or
    "auto" for the fastest that runs here, timed on one attention call at load (Wan and LTX-Video);
    `compile_transformer` fuses q/k/v and compiles the transformer's repeated blocks with torch.compile.
    Two options trade a small output difference for speed (see bench/README.md): `fp8_matmuls` runs the blocks'
    matmuls in float8, `step_cache` (Wan only) reuses the deep blocks' residual on a fixed schedule of steps.
    """
    family = FAMILIES.get(name)
    if family is None:
        raise BackendUnavailable(f"no diffusers backend named {name!r}; choose one of {', '.join(DIFFUSERS_BACKENDS)}")
    if dtype not in DTYPES:
        raise InvalidGenerationRequest(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    unknown = sorted(set(defaults) - set(DEFAULT_KEYS))
    if unknown:
        raise InvalidGenerationRequest(f"unknown default(s) {', '.join(unknown)}; allowed: {', '.join(DEFAULT_KEYS)}")
    if attention_backend is not None and attention_backend.endswith("_hub"):
        raise InvalidGenerationRequest(f"attention backend {attention_backend!r} downloads kernels from a hub")
    if not (device == "cpu" or device.startswith("cuda")):
        raise InvalidGenerationRequest(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")
    if attention_backend is not None and name == "cogvideox":
        # Its attention processor calls PyTorch SDPA directly, so a dispatcher backend would be silently ignored.
        raise InvalidGenerationRequest("attention_backend has no effect on CogVideoX (it always uses PyTorch SDPA)")
    if step_cache and name != "wan":
        raise InvalidGenerationRequest(f"step_cache runs in Clearframe's Wan sampler; the {name} backend has none")
    if fp8_matmuls and dtype != "bfloat16":
        # Row-wise scaled float8 matmuls on the GPU return bfloat16 only.
        raise InvalidGenerationRequest(f"fp8_matmuls needs dtype='bfloat16', got {dtype!r}")
    if cpu_offload and device == "cpu":
        raise InvalidGenerationRequest("cpu_offload moves models between the GPU and the CPU; it needs device='cuda'")
    root = check_folder(folder, family)

    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable(f"device {device!r} asked for, but this machine has no CUDA GPU")
    import diffusers

    torch_dtype = getattr(torch, dtype)
    # Wan's VAE is meant to run in float32 (as in Wan's own examples); everything else takes the asked dtype.
    dtypes: Any = {"default": torch_dtype, "vae": torch.float32} if name == "wan" else torch_dtype
    pipeline_class = getattr(diffusers, family.pipeline_class)
    try:
        pipe = pipeline_class.from_pretrained(root, local_files_only=True, use_safetensors=True, dtype=dtypes)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise BackendUnavailable(f"could not load the {name} pipeline from {root}: {exc}") from exc
    pipe.set_progress_bar_config(disable=True)
    if cpu_offload:
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    if vae_tiling:
        pipe.vae.enable_tiling()
    if vae_slicing:
        pipe.vae.enable_slicing()
    if attention_backend is not None:
        attention_backend = choose_attention_backend(pipe, device, attention_backend, masked=name == "ltx-video")
    for transformer in (getattr(pipe, "transformer", None), getattr(pipe, "transformer_2", None)):
        if transformer is None:
            continue
        blocks = transformer.blocks if name == "wan" else transformer.transformer_blocks
        try:
            swapped = prepare_transformer(
                transformer,
                blocks,
                attention_backend=attention_backend,
                compile_blocks=compile_transformer,
                fp8=fp8_matmuls,
            )
        except (ValueError, RuntimeError, ImportError) as exc:
            raise BackendUnavailable(
                f"cannot prepare the {name} transformer here (attention backend {attention_backend!r}): {exc}"
            ) from exc
        if fp8_matmuls and not swapped:
            raise BackendUnavailable("fp8_matmuls: no matmul of this transformer has the widths (x16) float8 needs")
        if step_cache:
            transformer.step_cache = StepCache(blocks)
    options = {
        "folder": str(root),
        "dtype": dtype,
        "device": device,
        "cpu_offload": cpu_offload,
        "vae_tiling": vae_tiling,
        "vae_slicing": vae_slicing,
        "attention_backend": attention_backend,
        "compile_transformer": compile_transformer,
        "fp8_matmuls": fp8_matmuls,
        "step_cache": step_cache,
    }
    return DiffusersBackend(family, pipe, options=options, defaults=defaults)


def choose_attention_backend(pipe: Any, device: str, wanted: str, *, masked: bool) -> str:
    """Check that backend `wanted` runs this transformer's attention here, or with "auto" pick the fastest that
    does, timed on one call of its head shape (4096 tokens, batch 2 for the guidance pair). `masked`: the model
    passes an attention mask (LTX-Video's text mask), which the flash kernels refuse."""
    import torch

    from generation.diffusers_backend.acceleration import ATTENTION_CANDIDATES, fastest, time_attention_backends

    transformer = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
    heads, head_dim = transformer.config.num_attention_heads, transformer.config.attention_head_dim
    tokens = 4096 if wanted == "auto" else 64
    q, k, v = (torch.randn(2, tokens, heads, head_dim, device=device, dtype=transformer.dtype) for _ in range(3))
    mask = torch.zeros(2, 1, 1, tokens, device=device, dtype=transformer.dtype) if masked else None
    candidates = ATTENTION_CANDIDATES if wanted == "auto" else (wanted,)
    results = time_attention_backends(q, k, v, candidates, attn_mask=mask)
    if wanted == "auto":
        return fastest(results)
    if not isinstance(results[wanted], float):
        raise BackendUnavailable(f"attention backend {wanted!r} cannot run this model here: {results[wanted]}")
    return wanted


class DiffusersBackend:
    """A loaded diffusers pipeline that generates Clips; one generation at a time (the pipeline holds state)."""

    def __init__(self, family: Family, pipe: Any, *, options: dict[str, Any], defaults: dict[str, Any]) -> None:
        self.name = family.name
        self.family = family
        self.pipe = pipe
        self.options = options
        self.rules: Rules = rules_for(family.name, pipe)
        self.defaults = {
            "negative_prompt": None,
            "steps": family.steps,
            "guidance": family.guidance,
            "num_frames": family.num_frames,
            "height": family.height,
            "width": family.width,
            "fps": family.fps,
            **defaults,
        }
        self._lock = threading.Lock()

    def validate(self, *, prompt: str, steps: int, guidance: float, num_frames: int, height: int, width: int) -> None:
        """Raise InvalidGenerationRequest saying what is wrong with a request for this model family."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidGenerationRequest("prompt must be a non-empty string")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise InvalidGenerationRequest(f"steps must be a positive integer, got {steps!r}")
        if not isinstance(guidance, (int, float)) or isinstance(guidance, bool) or not guidance >= 0:
            raise InvalidGenerationRequest(f"guidance must be a number >= 0, got {guidance!r}")
        r = self.rules
        for label, value in (("num_frames", num_frames), ("height", height), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidGenerationRequest(f"{label} must be a positive integer, got {value!r}")
        if (num_frames - 1) % r.frame_step:
            lower = (num_frames - 1) // r.frame_step * r.frame_step + 1
            raise InvalidGenerationRequest(
                f"{self.name} needs {r.describe()}: num_frames {num_frames} is not {r.frame_step}k+1 "
                f"(try {lower} or {lower + r.frame_step})"
            )
        for label, value in (("height", height), ("width", width)):
            if value % r.size_step:
                raise InvalidGenerationRequest(
                    f"{self.name} needs {r.describe()}: {label} {value} is not a multiple of {r.size_step}"
                )

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
        """Generate one clip: uint8 frames (T, H, W, 3) at the family's frame rate, with what made it."""
        import torch

        d = self.defaults
        steps = d["steps"] if steps is None else steps
        guidance = d["guidance"] if guidance is None else guidance
        num_frames = d["num_frames"] if num_frames is None else num_frames
        height = d["height"] if height is None else height
        width = d["width"] if width is None else width
        negative_prompt = d["negative_prompt"] if negative_prompt is None else negative_prompt
        self.validate(prompt=prompt, steps=steps, guidance=guidance, num_frames=num_frames, height=height, width=width)
        if seed is None:
            seed = secrets.randbits(63)  # recorded in the metadata so the clip can be made again
        elif not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise InvalidGenerationRequest(f"seed must be a non-negative integer, got {seed!r}")
        if cancel is not None and cancel():
            raise GenerationCancelled("cancelled before the first step")
        # A CPU generator gives the same starting noise on every device, so a seed means the same clip.
        generator = torch.Generator(device="cpu").manual_seed(seed)
        request = dict(prompt=prompt, negative_prompt=negative_prompt, steps=steps, guidance=float(guidance))
        request.update(num_frames=num_frames, height=height, width=width, generator=generator)

        def on_step(step: int, total: int) -> bool:
            if progress is not None:
                progress(step, total)
            return cancel is not None and bool(cancel())

        started = time.perf_counter()
        with self._lock:
            if self.name == "wan":
                from generation.diffusers_backend.wan_sampler import sample_wan

                # Batching the guidance pair doubles the activations; who offloads to save memory keeps two passes.
                batch_cfg = not self.options["cpu_offload"]
                video = sample_wan(self.pipe, on_step=on_step, batch_cfg=batch_cfg, **request)
            else:
                video = self._run_pipeline(on_step, **request)
        frames = (np.clip(video, 0.0, 1.0) * 255.0).round().astype(np.uint8)
        if frames.shape != (num_frames, height, width, 3):
            raise GenerationError(
                f"{self.name} returned frames {frames.shape}, not the ({num_frames}, {height}, {width}, 3) asked for"
            )
        metadata = {
            "backend": self.name,
            "pipeline": self.family.pipeline_class,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "steps": steps,
            "guidance": float(guidance),
            "num_frames": num_frames,
            "height": height,
            "width": width,
            "seconds": round(time.perf_counter() - started, 3),
            **{k: v for k, v in self.options.items() if k != "folder"},
            "weights": self.options["folder"],
        }
        return Clip(frames=frames, fps=float(d["fps"]), metadata=metadata)

    def _run_pipeline(self, on_step: Any, *, steps: int, guidance: float, generator: Any, **request: Any) -> np.ndarray:
        """LTX-Video and CogVideoX through their own __call__ (both already batch the guidance passes)."""
        pipe = self.pipe

        def callback(pipeline: Any, i: int, t: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if on_step(i + 1, pipeline._num_timesteps or steps):
                # The pipelines would still decode after `interrupt`; leaving now saves a VAE decode nobody wants.
                pipeline._interrupt = True
                raise _Interrupted(i + 1)
            return tensors

        extra: dict[str, Any] = {}
        if self.name == "ltx-video":
            extra["frame_rate"] = int(round(self.defaults["fps"]))
        if self.name == "cogvideox":
            extra["max_sequence_length"] = pipe.transformer.config.max_text_seq_length
        try:
            out = pipe(
                num_inference_steps=steps,
                guidance_scale=guidance,
                generator=generator,
                output_type="np",
                callback_on_step_end=callback,
                **request,
                **extra,
            )
        except _Interrupted as stop:
            pipe.maybe_free_model_hooks()
            raise GenerationCancelled(f"cancelled after step {stop.args[0]} of {steps}") from None
        return np.asarray(out.frames[0])
