"""Frame moderation: the real NudeNet detector on plain scenes, the label mapping, sampling, bad input, and the
CLIP zero-shot path with a small random-weight open_clip model built from config."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import skimage.data
from PIL import Image

from safety import frames as frames_module
from safety import moderate_frames
from safety.errors import InvalidFrames, ModelUnavailable
from safety.frames import ClipZeroShot, nudity_detector, sample_indices


def _pan(image: np.ndarray, num_frames: int = 24, size: int = 320) -> np.ndarray:
    """A clip that pans across a still image, the way the provenance evaluation builds natural clips."""
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = np.asarray(Image.fromarray(image[..., :3]).resize((size + num_frames * 4, size)))
    return np.stack([image[:, 4 * t: 4 * t + size] for t in range(num_frames)])


def _grace_hopper() -> np.ndarray:
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return np.asarray(Image.open(path).convert("RGB"))


def _shapes_clip() -> np.ndarray:
    clip = np.full((16, 128, 128, 3), 20, np.uint8)
    for t in range(16):
        clip[t, 40:80, 10 + 4 * t: 50 + 4 * t] = (220, 40, 40)
    return clip


@pytest.mark.parametrize(
    "clip",
    [
        pytest.param(_pan(skimage.data.astronaut()), id="astronaut"),
        pytest.param(_pan(skimage.data.coffee()), id="coffee"),
        pytest.param(_pan(skimage.data.chelsea()), id="cat"),
        pytest.param(_pan(skimage.data.rocket()), id="rocket"),
        pytest.param(_pan(_grace_hopper()), id="portrait"),
        pytest.param(_shapes_clip(), id="shapes"),
    ],
)
def test_plain_scenes_are_allowed(clip):
    verdict = moderate_frames(clip, fps=8)
    assert verdict.decision == "allow", verdict.reasons
    assert verdict.categories["sexual"] < 0.45


def test_the_shipped_detector_really_runs_on_people():
    # The detector sees the faces in the two portraits (labels it does not map onto the taxonomy).
    found = nudity_detector().detect([skimage.data.astronaut(), _grace_hopper()])
    assert [{d["class"] for d in frame} for frame in found] == [{"FACE_FEMALE"}, {"FACE_FEMALE"}]


class _ScriptedDetector:
    """Stands in for NudeNet to check how its labels map onto the taxonomy."""

    def __init__(self, per_call: list[list[dict]]) -> None:
        self.per_call = per_call
        self.seen = 0

    def detect(self, frames):
        self.seen = len(frames)
        return [self.per_call[i] if i < len(self.per_call) else [] for i in range(len(frames))]


def _detection(label, score):
    return {"class": label, "score": score, "box": [1, 2, 30, 40]}


@pytest.mark.parametrize(
    ("label", "score", "decision", "category_score"),
    [
        ("FEMALE_GENITALIA_EXPOSED", 0.91, "block", 0.91),
        ("FEMALE_BREAST_EXPOSED", 0.60, "review", 0.60),
        ("BELLY_EXPOSED", 0.95, "review", 0.475),  # suggestive labels count half
        ("BUTTOCKS_EXPOSED", 0.30, "allow", 0.0),  # below the detector score that counts
        ("FACE_FEMALE", 0.99, "allow", 0.0),  # not sexual at all
    ],
)
def test_labels_map_onto_the_taxonomy(monkeypatch, label, score, decision, category_score):
    detector = _ScriptedDetector([[], [_detection(label, score)]])
    monkeypatch.setattr(frames_module, "nudity_detector", lambda: detector)
    verdict = moderate_frames(_shapes_clip(), fps=8)
    assert verdict.decision == decision
    assert verdict.categories["sexual"] == pytest.approx(category_score, abs=1e-3)
    if decision != "allow":
        (evidence,) = verdict.evidence
        second_sample = sample_indices(16, 8, 2)[1]
        assert (evidence.frame_index, evidence.label, evidence.category) == (second_sample, label, "sexual")
        assert evidence.box == (1, 2, 30, 40)


def test_sampling_covers_every_second_and_both_ends():
    indices = sample_indices(80, 16, 2)
    assert indices[0] == 0 and indices[-1] == 79
    for second in range(5):
        assert sum(16 * second <= i < 16 * (second + 1) for i in indices) >= 2
    assert sample_indices(3, 24, 2) == [0, 2]
    assert sample_indices(10, 1, 2) == list(range(10))


@pytest.mark.parametrize(
    ("frames", "fps"),
    [
        (np.zeros((4, 64, 64, 3), np.float32), 8),
        (np.zeros((4, 64, 64), np.uint8), 8),
        (np.zeros((0, 64, 64, 3), np.uint8), 8),
        (np.zeros((4, 8, 8, 3), np.uint8), 8),
        ([[0]], 8),
        (np.zeros((4, 64, 64, 3), np.uint8), 0),
        (np.zeros((4, 64, 64, 3), np.uint8), float("nan")),
    ],
)
def test_bad_frames_are_refused(frames, fps):
    with pytest.raises(InvalidFrames):
        moderate_frames(frames, fps)


TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture
def tiny_clip_checkpoint(tmp_path):
    import open_clip
    import torch
    from safetensors.torch import save_file

    config = tmp_path / "clearframe-tiny-clip.json"
    config.write_text(json.dumps(TINY_CLIP), encoding="utf-8")
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("clearframe-tiny-clip")
    checkpoint = tmp_path / "tiny-clip.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(checkpoint))
    return "clearframe-tiny-clip", checkpoint


def test_clip_zero_shot_adds_a_second_signal(tiny_clip_checkpoint, monkeypatch):
    name, checkpoint = tiny_clip_checkpoint
    clip = ClipZeroShot(name, checkpoint)
    scores = clip.scores(list(_shapes_clip()[:3]))
    assert set(scores) == set(ClipZeroShot.PROMPTS)
    assert all(0.0 <= s <= 1.0 for s in scores.values())

    monkeypatch.setenv("CLEARFRAME_CLIP_MODEL", name)
    monkeypatch.setenv("CLEARFRAME_CLIP_CHECKPOINT", str(checkpoint))
    monkeypatch.setattr(frames_module, "_clip", None)
    verdict = moderate_frames(_shapes_clip(), fps=8)
    for category, score in ClipZeroShot(name, checkpoint).scores(
        [_shapes_clip()[i] for i in sample_indices(16, 8, 2)]
    ).items():
        assert verdict.categories[category] == pytest.approx(score, abs=1e-3)


def test_a_missing_clip_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable, match="not found"):
        ClipZeroShot("ViT-B-32", tmp_path / "absent.pt")
