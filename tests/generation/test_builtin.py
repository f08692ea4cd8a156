import json

import numpy as np
import pytest
from safetensors import safe_open

import generation
from generation import Clip, GenerationCancelled, InvalidGenerationRequest, load_backend
from generation.builtin import FPS, BuiltinBackend
from generation.types import BackendUnavailable


def test_tiny_run_resumes_and_exports(tiny_run):
    run, weights = tiny_run
    state = json.loads((run / "train_state.json").read_text())
    assert state["step"] == 6
    losses = [float(line.split(",")[1]) for line in (run / "loss.csv").read_text().splitlines()[1:]]
    assert len(losses) == 6 and all(np.isfinite(losses))
    assert (run / "loss.png").stat().st_size > 0
    with safe_open(str(weights / "model.safetensors"), "pt") as f:
        assert f.metadata()["step"] == "6"
        assert all(f.get_slice(k).get_dtype() == "F16" for k in f.keys())


def test_clip_shape_fps_and_metadata(tiny_backend):
    steps_seen = []
    clip = tiny_backend.generate("a red ball moves right on a dark background", seed=3, steps=3,
                                 progress=lambda i, n: steps_seen.append((i, n)))
    assert isinstance(clip, Clip)
    assert clip.frames.shape == (16, 256, 256, 3) and clip.frames.dtype == np.uint8
    assert clip.fps == FPS >= 8
    assert steps_seen == [(1, 3), (2, 3), (3, 3)]
    assert clip.metadata["seed"] == 3 and clip.metadata["backend"] == "builtin"


def test_size_and_frame_count_options(tiny_backend):
    clip = tiny_backend.generate("a blue square rises", seed=0, steps=2, num_frames=9, height=128, width=192)
    assert clip.frames.shape == (9, 128, 192, 3)


def test_same_seed_same_clip_other_seed_other_clip(tiny_backend):
    prompt = "a small green triangle drifts left on a light backdrop"
    first = tiny_backend.generate(prompt, seed=42, steps=3, height=64, width=64)
    second = tiny_backend.generate(prompt, seed=42, steps=3, height=64, width=64)
    other = tiny_backend.generate(prompt, seed=43, steps=3, height=64, width=64)
    np.testing.assert_array_equal(first.frames, second.frames)
    assert not np.array_equal(first.frames, other.frames)


def test_seed_is_drawn_and_recorded_when_absent(tiny_backend):
    clip = tiny_backend.generate("a white disc bounces", steps=1, height=64, width=64)
    again = tiny_backend.generate("a white disc bounces", seed=clip.metadata["seed"], steps=1, height=64, width=64)
    np.testing.assert_array_equal(clip.frames, again.frames)


def test_negative_prompt_changes_the_guided_clip(tiny_backend):
    plain = tiny_backend.generate("a purple box shrinks", seed=1, steps=2, guidance=5.0, height=64, width=64)
    steered = tiny_backend.generate("a purple box shrinks", negative_prompt="a yellow ball", seed=1, steps=2,
                                    guidance=5.0, height=64, width=64)
    assert not np.array_equal(plain.frames, steered.frames)


def test_cancel_stops_sampling(tiny_backend):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(GenerationCancelled, match="step 2 of 10"):
        tiny_backend.generate("a red ball", seed=0, steps=10, cancel=cancel)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prompt": ""}, "prompt must be a non-empty string"),
        ({"prompt": "   "}, "prompt must be a non-empty string"),
        ({"prompt": "x" * 501}, "at most 500"),
        ({"steps": 0}, "steps must be an integer from 1"),
        ({"steps": 1000}, "steps must be an integer from 1"),
        ({"num_frames": 17}, "num_frames must be an integer from 1 to 16"),
        ({"num_frames": 0}, "num_frames"),
        ({"height": 32}, "height must be an integer from 64"),
        ({"width": 4096}, "width must be an integer from 64"),
        ({"width": 200}, "multiple of 16"),
        ({"guidance": -1.0}, "guidance must be a number"),
        ({"seed": -5}, "seed must be an integer"),
        ({"seed": "7"}, "seed must be an integer"),
        ({"negative_prompt": 3}, "negative_prompt must be a string"),
    ],
)
def test_bad_requests_raise_typed_errors(tiny_backend, options, message):
    request = {"prompt": "a red ball moves right", "seed": 0, "steps": 1, **options}
    with pytest.raises(InvalidGenerationRequest, match=message):
        tiny_backend.generate(request.pop("prompt"), **request)


def test_load_backend_builtin_with_weights_folder_is_cached(tiny_run):
    backend = load_backend("builtin", weights=tiny_run[1], device="cpu")
    assert backend.name == "builtin"
    assert load_backend("builtin", weights=str(tiny_run[1]), device="cpu") is backend


def test_load_backend_refuses_unknown_names_and_options(tiny_run):
    with pytest.raises(InvalidGenerationRequest, match="known backends: builtin, wan, ltx-video, cogvideox"):
        load_backend("sora")
    with pytest.raises(InvalidGenerationRequest, match="unknown option"):
        load_backend("builtin", weights=tiny_run[1], guidance_scale=3)


def test_missing_weights_folder_is_backend_unavailable(tmp_path):
    with pytest.raises(BackendUnavailable, match="model.safetensors"):
        BuiltinBackend(tmp_path)


def test_shipped_weights_generate_a_default_clip():
    clip = generation.generate("a big red ball moves right on a dark background", seed=0, steps=4)
    assert clip.frames.shape == (16, 256, 256, 3) and clip.fps >= 8
    assert clip.metadata["weights"].endswith("builtin")


def test_a_diffusers_backend_without_a_folder_is_a_clear_error():
    import generation

    with pytest.raises(generation.BackendUnavailable, match="local weights folder"):
        generation.load_backend("wan")
