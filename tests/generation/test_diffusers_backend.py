"""Wan, LTX-Video and CogVideoX backends, loaded from tiny random-weight folders exactly as an operator's would be."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from generation.diffusers_backend import DIFFUSERS_BACKENDS, load_diffusers_backend
from generation.types import BackendUnavailable, GenerationCancelled, InvalidGenerationRequest
from tests.generation.tiny_pipelines import save_tiny_pipeline

torch.set_num_threads(1)

# A small valid request per family (num_frames, height, width), set as the backend's defaults.
SMALL = {"wan": (5, 32, 48), "ltx-video": (9, 64, 96), "cogvideox": (9, 32, 48)}
PROMPT = "a red ball rolls across green grass"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("weights")
    return {name: save_tiny_pipeline(name, root / name) for name in DIFFUSERS_BACKENDS}


def load(name: str, folder: Path, **options):
    frames, height, width = SMALL[name]
    options = {"dtype": "float32", "steps": 3, "num_frames": frames, "height": height, "width": width, **options}
    return load_diffusers_backend(name, folder=folder, **options)


@pytest.fixture(scope="module")
def backends(folders):
    return {name: load(name, folders[name]) for name in folders}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    # Loading must never reach a hub: in offline mode every hub request raises instead of downloading.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_names():
    assert DIFFUSERS_BACKENDS == ("wan", "ltx-video", "cogvideox")


def test_import_does_not_load_diffusers():
    code = "import sys, generation.diffusers_backend; print('diffusers' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", DIFFUSERS_BACKENDS)
def test_generate_shapes_progress_and_metadata(backends, name):
    backend = backends[name]
    seen = []
    clip = backend.generate(PROMPT, seed=7, progress=lambda step, total: seen.append((step, total)))
    frames, height, width = SMALL[name]
    assert backend.name == name
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert clip.frames.shape == (frames, height, width, 3)
    assert clip.frames.dtype == np.uint8
    assert clip.frames.std() > 1.0  # a decoded random-weight video, not a blank
    assert clip.fps == {"wan": 16.0, "ltx-video": 25.0, "cogvideox": 8.0}[name]
    assert clip.metadata["seed"] == 7 and clip.metadata["backend"] == name and clip.metadata["steps"] == 3


@pytest.mark.parametrize("name", DIFFUSERS_BACKENDS)
def test_seed_determines_the_clip(backends, name):
    backend = backends[name]
    first = backend.generate(PROMPT, seed=11, steps=2)
    again = backend.generate(PROMPT, seed=11, steps=2)
    other = backend.generate(PROMPT, seed=12, steps=2)
    negative = backend.generate(PROMPT, seed=11, steps=2, negative_prompt="blurry ugly")
    np.testing.assert_array_equal(first.frames, again.frames)
    assert np.abs(first.frames.astype(int) - other.frames).mean() > 1.0
    # Random tiny text encoders move the output only slightly, but the negative prompt must reach the model.
    assert not np.array_equal(first.frames, negative.frames)
    unseeded = backend.generate(PROMPT, steps=1)
    assert isinstance(unseeded.metadata["seed"], int)  # a random seed is recorded so the clip can be remade
    np.testing.assert_array_equal(
        backend.generate(PROMPT, steps=1, seed=unseeded.metadata["seed"]).frames, unseeded.frames
    )


def test_wan_batched_guidance_matches_the_reference_pipeline(backends):
    # Clearframe's Wan loop runs the two guidance passes as one batch; the frames must be WanPipeline's.
    backend = backends["wan"]
    frames, height, width = SMALL["wan"]
    clip = backend.generate(PROMPT, seed=5, steps=3, guidance=5.0, negative_prompt="blurry")
    reference = backend.pipe(
        PROMPT,
        negative_prompt="blurry",
        num_frames=frames,
        height=height,
        width=width,
        num_inference_steps=3,
        guidance_scale=5.0,
        generator=torch.Generator().manual_seed(5),
        output_type="np",
    ).frames[0]
    expected = (np.clip(reference, 0, 1) * 255).round().astype(np.uint8)
    assert np.abs(clip.frames.astype(int) - expected).max() <= 1
    # The two-pass loop (used with cpu_offload) gives the same clip.
    from generation.diffusers_backend.wan_sampler import sample_wan

    two_pass = sample_wan(
        backend.pipe,
        prompt=PROMPT,
        negative_prompt="blurry",
        height=height,
        width=width,
        num_frames=frames,
        steps=3,
        guidance=5.0,
        generator=torch.Generator().manual_seed(5),
        batch_cfg=False,
    )
    np.testing.assert_allclose(two_pass, reference, atol=1e-4)


@pytest.mark.parametrize("layout", ["wan2.2-a14b", "wan2.2-ti2v"])
def test_wan_2_2_layouts_match_the_reference_pipeline(tmp_path, layout):
    # A14B switches to transformer_2 for the low-noise steps; TI2V gives every token its own timestep.
    backend = load("wan", save_tiny_pipeline(layout, tmp_path / layout))
    frames, height, width = SMALL["wan"]
    clip = backend.generate(PROMPT, seed=5, steps=4, guidance=4.0)
    reference = backend.pipe(
        PROMPT,
        num_frames=frames,
        height=height,
        width=width,
        num_inference_steps=4,
        guidance_scale=4.0,
        generator=torch.Generator().manual_seed(5),
        output_type="np",
    ).frames[0]
    expected = (np.clip(reference, 0, 1) * 255).round().astype(np.uint8)
    assert np.abs(clip.frames.astype(int) - expected).max() <= 1
    if layout == "wan2.2-a14b":
        shutil.rmtree(tmp_path / layout / "transformer_2")
        with pytest.raises(BackendUnavailable, match="missing transformer_2/"):
            load("wan", tmp_path / layout)


@pytest.mark.parametrize("name", DIFFUSERS_BACKENDS)
def test_cancel_stops_between_steps(backends, name):
    backend = backends[name]
    seen = []
    with pytest.raises(GenerationCancelled, match="after step 1 of 3"):
        backend.generate(PROMPT, seed=1, progress=lambda s, n: seen.append(s), cancel=lambda: len(seen) >= 1)
    assert seen == [1]
    with pytest.raises(GenerationCancelled, match="before the first step"):
        backend.generate(PROMPT, seed=1, progress=lambda s, n: seen.append(s), cancel=lambda: True)
    assert seen == [1]
    # The pipeline is usable again after a cancelled run, and gives the same clip as before.
    np.testing.assert_array_equal(backend.generate(PROMPT, seed=1).frames, backend.generate(PROMPT, seed=1).frames)


@pytest.mark.parametrize(
    ("name", "request_", "message"),
    [
        ("wan", {"num_frames": 6}, "4k\\+1"),
        ("wan", {"height": 40}, "multiple of 16"),
        ("ltx-video", {"num_frames": 5}, "8k\\+1"),
        ("ltx-video", {"width": 80}, "multiple of 32"),
        ("cogvideox", {"num_frames": 13}, "8k\\+1"),
        ("cogvideox", {"height": 24}, "multiple of 16"),
        ("wan", {"num_frames": 0}, "positive integer"),
        ("wan", {"steps": 0}, "steps"),
        ("wan", {"guidance": -1.0}, "guidance"),
        ("wan", {"seed": -3}, "seed"),
    ],
)
def test_bad_requests_are_refused_with_the_rule(backends, name, request_, message):
    with pytest.raises(InvalidGenerationRequest, match=message):
        backends[name].generate(PROMPT, **request_)


def test_empty_prompt_is_refused(backends):
    with pytest.raises(InvalidGenerationRequest, match="prompt"):
        backends["ltx-video"].generate("   ")


def test_missing_folder_and_components_are_named(folders, tmp_path):
    with pytest.raises(BackendUnavailable, match="does not exist"):
        load_diffusers_backend("wan", folder=tmp_path / "nowhere")
    with pytest.raises(BackendUnavailable, match="no weights folder"):
        load_diffusers_backend("wan", folder="")

    broken = tmp_path / "wan"
    shutil.copytree(folders["wan"], broken)
    shutil.rmtree(broken / "vae")
    shutil.rmtree(broken / "tokenizer")
    for weights in (broken / "transformer").glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(BackendUnavailable, match=r"missing transformer/\*.safetensors \(weights\), vae/, tokenizer/"):
        load_diffusers_backend("wan", folder=broken)

    (broken / "model_index.json").write_text("[1, 2]")
    with pytest.raises(BackendUnavailable, match="not a diffusers model index"):
        load_diffusers_backend("wan", folder=broken)
    (broken / "model_index.json").write_text("{not json")
    with pytest.raises(BackendUnavailable, match="not readable JSON"):
        load_diffusers_backend("wan", folder=broken)
    (broken / "model_index.json").unlink()
    with pytest.raises(BackendUnavailable, match="missing model_index.json"):
        load_diffusers_backend("wan", folder=broken)


def test_folder_of_another_family_is_refused(folders):
    with pytest.raises(BackendUnavailable, match="LTXPipeline"):
        load_diffusers_backend("wan", folder=folders["ltx-video"])


def test_bad_load_options(folders, monkeypatch):
    with pytest.raises(BackendUnavailable, match="choose one of wan, ltx-video, cogvideox"):
        load_diffusers_backend("sora", folder=folders["wan"])
    with pytest.raises(InvalidGenerationRequest, match="dtype"):
        load_diffusers_backend("wan", folder=folders["wan"], dtype="int8")
    with pytest.raises(InvalidGenerationRequest, match="unknown default"):
        load_diffusers_backend("wan", folder=folders["wan"], sampler="euler")
    with pytest.raises(InvalidGenerationRequest, match="fp8_matmuls needs dtype='bfloat16'"):
        load_diffusers_backend("wan", folder=folders["wan"], dtype="float32", fp8_matmuls=True)
    with pytest.raises(InvalidGenerationRequest, match="needs device='cuda'"):
        load_diffusers_backend("wan", folder=folders["wan"], cpu_offload=True)
    with pytest.raises(InvalidGenerationRequest, match="hub"):
        load_diffusers_backend("wan", folder=folders["wan"], attention_backend="flash_hub")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(BackendUnavailable, match="no CUDA GPU"):
        load_diffusers_backend("wan", folder=folders["wan"], device="cuda")


def test_memory_and_attention_options_apply_without_changing_the_clip(folders, backends):
    tuned = load("wan", folders["wan"], vae_tiling=True, vae_slicing=True, attention_backend="_native_math")
    assert tuned.pipe.vae.use_tiling and tuned.pipe.vae.use_slicing
    assert tuned.options["attention_backend"] == "_native_math"
    # At this size the VAE fits in one tile, so tiling and slicing must not change a single pixel; the math
    # attention kernel may differ from the default one only by float rounding.
    plain = backends["wan"].generate(PROMPT, seed=2, steps=2)
    assert np.abs(tuned.generate(PROMPT, seed=2, steps=2).frames.astype(int) - plain.frames).max() <= 1


def test_compiled_transformer_gives_the_same_clip(folders, backends):
    compiled = load("wan", folders["wan"], compile_transformer=True)
    assert compiled.pipe.transformer.blocks[0].attn1.fused_projections
    plain = backends["wan"].generate(PROMPT, seed=4, steps=2)
    assert np.abs(compiled.generate(PROMPT, seed=4, steps=2).frames.astype(int) - plain.frames).max() <= 1


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("wan", {"fp8_matmuls": True}),
        ("ltx-video", {"fp8_matmuls": True}),
        ("wan", {"step_cache": True}),
        ("wan", {"fp8_matmuls": True, "step_cache": True}),
    ],
)
def test_approximate_options_stay_closer_than_another_seed(folders, backends, name, options):
    # FP8 matmuls and step caching change the output a little; far less than drawing other noise does.
    # The float32 pipeline is the exact one; FP8 is used as it runs on a GPU, with the rest in bfloat16.
    fast = load(name, folders[name], **options, **({"dtype": "bfloat16"} if options.get("fp8_matmuls") else {}))
    steps = 10  # long enough for the cache schedule to skip steps (5 full, then every other, 2 full at the end)
    exact = backends[name].generate(PROMPT, seed=8, steps=steps).frames.astype(int)
    approx = fast.generate(PROMPT, seed=8, steps=steps).frames.astype(int)
    other_seed = backends[name].generate(PROMPT, seed=9, steps=steps).frames.astype(int)
    assert not np.array_equal(approx, exact)
    if options.get("fp8_matmuls"):  # the option is really in effect
        assert any(type(module).__name__ == "Float8Linear" for module in fast.pipe.transformer.modules())
    assert np.abs(approx - exact).mean() < 0.25 * np.abs(other_seed - exact).mean()
    assert all(fast.options[key] is value for key, value in options.items())


def test_attention_backend_must_run_the_model(folders):
    # LTX-Video masks its text attention, which the flash kernels cannot do.
    with pytest.raises(BackendUnavailable, match="_native_flash.*attn_mask"):
        load("ltx-video", folders["ltx-video"], attention_backend="_native_flash")
    with pytest.raises(BackendUnavailable, match="cudnn"):
        load("wan", folders["wan"], attention_backend="_native_cudnn")  # a GPU kernel, not on a CPU


def test_step_cache_is_wan_only_and_cogvideox_takes_no_attention_backend(folders):
    with pytest.raises(InvalidGenerationRequest, match="step_cache"):
        load("cogvideox", folders["cogvideox"], step_cache=True)
    with pytest.raises(InvalidGenerationRequest, match="always uses PyTorch SDPA"):
        load("cogvideox", folders["cogvideox"], attention_backend="_native_cudnn")


@pytest.mark.parametrize("name", ["wan", "ltx-video"])
def test_auto_attention_backend_picks_one_that_runs_here(folders, backends, name):
    from generation.diffusers_backend.acceleration import ATTENTION_CANDIDATES

    tuned = load(name, folders[name], attention_backend="auto")
    assert tuned.options["attention_backend"] in ATTENTION_CANDIDATES
    plain = backends[name].generate(PROMPT, seed=6, steps=2)
    assert np.abs(tuned.generate(PROMPT, seed=6, steps=2).frames.astype(int) - plain.frames).max() <= 1


def test_float8_linear_scaled_mm_call_matches_its_float32_reference():
    from generation.diffusers_backend.acceleration import float8_linear_class

    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48).to(torch.bfloat16)
    x = torch.randn(3, 10, 64).to(torch.bfloat16)  # (B, tokens, in)
    float8_linear = float8_linear_class()
    fused = float8_linear(linear, scaled_mm=True)(x)  # the call CUDA makes, run by PyTorch's CPU kernel
    reference = float8_linear(linear, scaled_mm=False)(x)
    assert fused.shape == (3, 10, 48) and fused.dtype == torch.bfloat16
    torch.testing.assert_close(fused, reference)
    exact = linear(x).float()
    # e4m3 keeps 3 mantissa bits: rounding errors of at most 2**-4 per operand.
    assert ((fused.float() - exact).norm() / exact.norm()).item() < 2**-4


def test_cached_steps_schedule():
    from generation.diffusers_backend.acceleration import cached_steps

    skipped = cached_steps(50)
    assert len(skipped) == 21
    assert not skipped & {0, 1, 2, 3, 4, 48, 49}
    assert all(i + 1 not in skipped for i in skipped)  # a full step between any two cached ones


def test_step_cache_adds_the_deep_blocks_residual_of_the_last_full_step():
    from generation.diffusers_backend.acceleration import StepCache

    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(8, 8)

        def forward(self, hidden: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
            return hidden + torch.tanh(self.linear(hidden) + context)

    torch.manual_seed(0)
    blocks = torch.nn.ModuleList(Block() for _ in range(4))
    plain = [*blocks]

    def run(hidden: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        for block in blocks:
            hidden = block(hidden, context)
        return hidden

    cache = StepCache(blocks)
    first, second, context = torch.randn(2, 8), torch.randn(2, 8), torch.randn(2, 8)
    full = run(first, context)
    expected = first
    for block in plain:
        expected = block(expected, context)
    torch.testing.assert_close(full, expected)  # a full step is the plain forward
    cache.skip = True
    residual = full - plain[0](first, context)
    torch.testing.assert_close(run(second, context), plain[0](second, context) + residual)


def wan_gpu_bench():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "wan_gpu_bench.py"
    spec = importlib.util.spec_from_file_location("wan_gpu_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_benchmark_runs_end_to_end_in_tiny_mode(tmp_path, capsys):
    bench = wan_gpu_bench()
    figures = tmp_path / "wan.json"
    assert bench.main(["--tiny", "--no-compile", "--no-text", "--steps", "8", "--json", str(figures)]) == 0
    out = json.loads(figures.read_text())
    rows = out["variants"]
    assert len(rows) == 6 and all(row["finite"] for row in rows.values())
    assert all(row["speedup"] > 0 and row["step_rel_diff"] >= 0 for name, row in rows.items() if "(a)" not in name)
    cached = [row for name, row in rows.items() if "cache" in name]
    assert cached and all(row["full_steps"] < row["timed_steps"] == 8 for row in cached)
    assert out["vae_decode"]["frames"] == 9 and out["float32_floor"] > 0
    assert "Clearframe / reference" in capsys.readouterr().out


def test_benchmark_refuses_without_cuda(monkeypatch, capsys):
    bench = wan_gpu_bench()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main([]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_benchmark_flop_count_matches_torch_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    bench = wan_gpu_bench()
    cfg = bench.TINY
    model = bench.build_transformer(cfg, torch.device("cpu")).float()
    model.set_attention_backend("_native_math")  # plain matmuls, which the counter sees
    latents = torch.randn(2, 16, 3, 8, 8)  # (B, C, T', h, w) -> 3 * 4 * 4 = 48 tokens
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(
            hidden_states=latents,
            timestep=torch.tensor([500.0, 500.0]),
            encoder_hidden_states=torch.randn(2, 16, cfg["text_dim"]),
        )
    assert counter.get_total_flops() == bench.wan_flops_per_forward(cfg, 2, 48, 16)


def test_an_attention_backend_stays_on_its_own_model(folders, backends):
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    default = _AttentionBackendRegistry._active_backend
    load("wan", folders["wan"], attention_backend="_native_flash")  # a kernel that refuses attention masks
    assert _AttentionBackendRegistry._active_backend == default
    # LTX-Video masks its text attention: it still runs after the Wan model chose a flash kernel.
    assert backends["ltx-video"].generate(PROMPT, seed=1, steps=1).frames.shape[0] == SMALL["ltx-video"][0]


def test_command_line_checks_folders_and_generates(folders, tmp_path, capsys):
    from generation.diffusers_backend.__main__ import main

    assert main(["check", "wan", str(folders["wan"])]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert main(["check", "cogvideox", str(folders["wan"])]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused == {"ok": False, "error": "BackendUnavailable", "message": refused["message"]}
    assert "WanPipeline" in refused["message"]

    out = tmp_path / "clip.npy"
    argv = ["generate", "wan", str(folders["wan"]), PROMPT, "--out", str(out), "--dtype", "float32"]
    argv += ["--steps", "2", "--frames", "5", "--height", "32", "--width", "48", "--seed", "3"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["shape"] == [5, 32, 48, 3] and result["metadata"]["seed"] == 3
    frames = np.load(out)
    assert frames.dtype == np.uint8 and frames.shape == (5, 32, 48, 3)
    assert main([arg if arg != "5" else "6" for arg in argv]) == 1  # 6 frames: not 4k+1
    assert "4k+1" in json.loads(capsys.readouterr().out)["message"]
