"""moderate_frames: the NudeNet detector on sampled frames of a generated clip, mapped onto the taxonomy,
and, where an operator configures a local open_clip checkpoint, CLIP zero-shot scores as a second signal."""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

import numpy as np

from .errors import InvalidFrames, ModelUnavailable
from .policy import Policy, default_policy
from .taxonomy import CATEGORIES
from .verdict import FrameEvidence, Verdict


def sample_indices(num_frames: int, fps: float, per_second: float) -> list[int]:
    """At least `per_second` frames a second, plus the first and the last."""
    step = max(1, int(fps // per_second)) if fps >= per_second else 1
    return sorted(set(range(0, num_frames, step)) | {0, num_frames - 1})


class NudityDetector:
    """NudeNet's shipped ONNX detector (320n) through onnxruntime."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nudenet
            import onnxruntime
            from nudenet import NudeDetector
        except ImportError as exc:
            raise ModelUnavailable(f"the NudeNet detector cannot be loaded: {exc}") from exc
        model_path = Path(nudenet.__file__).parent / "320n.onnx"
        if not model_path.is_file():
            raise ModelUnavailable(f"NudeNet model missing at {model_path}; reinstall nudenet")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("CLEARFRAME_SAFETY_THREADS", "2"))
        options.inter_op_num_threads = 1
        self._detector = NudeDetector(model_path=str(model_path))
        self._detector.onnx_session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def detect(self, frames: list[np.ndarray]) -> list[list[dict]]:
        # NudeNet reads arrays as RGBA (it converts RGBA→BGR, then back to RGB for the network).
        rgba = [np.dstack([f, np.full(f.shape[:2], 255, np.uint8)]) for f in frames]
        with self._lock:
            return self._detector.detect_batch(rgba, batch_size=8)


class ClipZeroShot:
    """CLIP zero-shot similarity of frames to category descriptions, from a local open_clip checkpoint."""

    PROMPTS: dict[str, list[str]] = {
        "sexual": ["a photo of a naked person", "explicit pornographic content"],
        "violence/graphic": ["a photo of gore and blood", "a mutilated dead body"],
        "violence": ["a photo of people fighting with weapons", "a violent attack"],
        "self-harm": ["a photo of self harm cuts on a wrist"],
        "violent-extremism": ["extremist propaganda with a terrorist flag"],
    }
    BENIGN = ["a photo of a landscape", "a photo of an everyday object", "a photo of people in clothes",
              "an abstract animation of shapes"]

    def __init__(self, model_name: str, checkpoint: str | Path) -> None:
        try:
            import open_clip
            import torch
        except ImportError as exc:
            raise ModelUnavailable(f"open_clip cannot be loaded: {exc}") from exc
        if not Path(checkpoint).is_file():
            raise ModelUnavailable(f"CLIP checkpoint not found: {checkpoint}")
        self._torch = torch
        self.model, _, self.preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=str(checkpoint), load_weights=True)
        self.model.eval()
        tokenizer = open_clip.get_tokenizer(model_name)
        self.labels = [(c, p) for c, prompts in self.PROMPTS.items() for p in prompts] + [
            ("benign", p) for p in self.BENIGN]
        with torch.inference_mode():
            text = self.model.encode_text(tokenizer([p for _, p in self.labels]))
            self.text = torch.nn.functional.normalize(text.float(), dim=-1)

    def scores(self, frames: list[np.ndarray]) -> dict[str, float]:
        from PIL import Image

        torch = self._torch
        batch = torch.stack([self.preprocess(Image.fromarray(f)) for f in frames])
        with torch.inference_mode():
            image = torch.nn.functional.normalize(self.model.encode_image(batch).float(), dim=-1)
            probs = (100.0 * image @ self.text.T).softmax(dim=-1)  # (N, labels)
        out: dict[str, float] = {}
        for column, (category, _) in enumerate(self.labels):
            if category != "benign":
                out[category] = max(out.get(category, 0.0), float(probs[:, column].max()))
        return out


_detector: NudityDetector | None = None
_clip: ClipZeroShot | None = None
_lock = threading.Lock()


def nudity_detector() -> NudityDetector:
    global _detector
    with _lock:
        if _detector is None:
            _detector = NudityDetector()
    return _detector


def configured_clip() -> ClipZeroShot | None:
    """The CLIP signal if CLEARFRAME_CLIP_MODEL and CLEARFRAME_CLIP_CHECKPOINT name a local model."""
    global _clip
    name, checkpoint = os.environ.get("CLEARFRAME_CLIP_MODEL"), os.environ.get("CLEARFRAME_CLIP_CHECKPOINT")
    if not name or not checkpoint:
        return None
    with _lock:
        if _clip is None:
            _clip = ClipZeroShot(name, checkpoint)
    return _clip


def _check(frames: np.ndarray, fps: float) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        shape = getattr(frames, "shape", None)
        raise InvalidFrames(f"frames must be a uint8 array of shape (T, H, W, 3), got {type(frames).__name__} "
                            f"{getattr(frames, 'dtype', '')} {shape}")
    if frames.shape[0] == 0 or frames.shape[1] < 16 or frames.shape[2] < 16:
        raise InvalidFrames(f"no frames to check, or frames too small: {frames.shape}")
    if not isinstance(fps, int | float) or not math.isfinite(fps) or fps <= 0:
        raise InvalidFrames(f"fps must be a positive number, got {fps!r}")


def moderate_frames(frames: np.ndarray, fps: float, policy: Policy | None = None,
                    clip: ClipZeroShot | None = None) -> Verdict:
    """Check a generated clip; evidence lists frame index, detector label and score."""
    policy = policy or default_policy()
    _check(frames, fps)
    fp = policy.frames
    indices = sample_indices(frames.shape[0], fps, fp.samples_per_second)
    sampled = [frames[i] for i in indices]
    detections = nudity_detector().detect(sampled)
    scores = dict.fromkeys(CATEGORIES, 0.0)
    evidence: list[FrameEvidence] = []
    for index, found in zip(indices, detections, strict=True):
        for d in found:
            label, score = d["class"], float(d["score"])
            if score < fp.min_detection_score:
                continue
            if label in fp.explicit_labels:
                category, weight = "sexual", 1.0
            elif label in fp.suggestive_labels:
                category, weight = "sexual", 0.5
            else:
                continue
            scores[category] = max(scores[category], score * weight)
            evidence.append(FrameEvidence(index, label, round(score, 4), category, tuple(int(v) for v in d["box"])))
    clip = clip or configured_clip()
    if clip is not None:
        for category, score in clip.scores(sampled).items():
            scores[category] = max(scores[category], score)
            if score >= policy.thresholds[category].review:
                evidence.append(FrameEvidence(-1, f"clip:{category}", round(score, 4), category))

    reasons: list[str] = []
    reviewable = {c for c in CATEGORIES if scores[c] >= policy.thresholds[c].review}
    blocking = {c for c in CATEGORIES if scores[c] >= policy.thresholds[c].block} | (reviewable & policy.severe)
    for c in sorted(reviewable):
        labels = sorted({e.label for e in evidence if e.category == c})
        reasons.append(f"frames: {c} {scores[c]:.2f} ({', '.join(labels)})")
    decision = "block" if blocking else "review" if reviewable else "allow"
    return Verdict(decision=decision, categories={c: round(s, 4) for c, s in scores.items()}, reasons=reasons,
                   evidence=evidence)
