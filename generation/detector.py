"""A detector of the rendered world: reads background, object colour, shape and motion back out of a clip.

It knows nothing of the model; it measures pixels. On clips rendered by generation.world it must be
right nearly always, which is what makes its verdict on generated clips an objective adherence score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .world import PALETTE

MIN_OBJECT_PIXELS = 8  # at 64x64; smaller blobs are noise, not an object
MAX_OBJECT_FRACTION = 0.25  # the biggest rendered object covers about 13% of the frame; more is a smear
DIFFERENCE_THRESHOLD = 60  # summed |RGB| difference from the background that marks an object pixel


@dataclass(frozen=True)
class Detection:
    """What the detector read from one clip; None where it could not tell."""

    background: str
    colour: str | None
    shape: str | None
    motion: str | None
    single_object_rate: float  # share of frames with exactly one object blob
    stable: bool  # one object in (nearly) every frame with a steady area or a steady trend

    def as_dict(self) -> dict:
        return {
            "background": self.background,
            "colour": self.colour,
            "shape": self.shape,
            "motion": self.motion,
            "single_object_rate": round(self.single_object_rate, 3),
            "stable": self.stable,
        }


def _to_native(frames: np.ndarray, size: int = 64) -> np.ndarray:
    """(T, H, W, 3) uint8 at any multiple of `size` -> float (T, size, size, 3) by area averaging."""
    t, h, w, _ = frames.shape
    if h % size or w % size:
        raise ValueError(f"frames of {h}x{w} are not a multiple of {size}")
    fh, fw = h // size, w // size
    return frames.astype(np.float32).reshape(t, size, fh, size, fw, 3).mean(axis=(2, 4))


def _background(frames: np.ndarray) -> tuple[str, np.ndarray]:
    """Per-row median over columns and time is the backdrop (objects cover under half of any row)."""
    rows = np.median(frames, axis=(0, 2))  # (H, 3)
    luminance = rows.mean(axis=1)
    top, bottom = luminance[:8].mean(), luminance[-8:].mean()
    if bottom - top > 50:
        kind = "gradient"
    else:
        kind = "dark" if luminance.mean() < 90 else "light"
    return kind, rows


def _shape(mask: np.ndarray) -> str:
    ys, xs = np.nonzero(mask)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    fill = mask.sum() / float(height * width)
    if fill > 0.9:
        return "square"
    if fill > 0.66:
        return "circle"
    return "triangle"


def _motion(xs: np.ndarray, ys: np.ndarray, areas: np.ndarray) -> str | None:
    if len(xs) < 4:
        return None
    k = max(1, len(areas) // 4)
    growth = areas[-k:].mean() / max(areas[:k].mean(), 1.0)
    if growth > 1.6:
        return "grow"
    if growth < 1 / 1.6:
        return "shrink"
    dx, dy = xs[-1] - xs[0], ys[-1] - ys[0]
    step_y = np.diff(ys)
    rise, fall = -step_y[step_y < 0].sum(), step_y[step_y > 0].sum()
    # A bounce goes both ways vertically; a steady climb or fall goes (almost) one way.
    if min(rise, fall) > 4 and abs(dx) < max(rise, fall):
        return "bounce"
    if max(abs(dx), abs(dy)) < 5:
        return "static"
    if abs(dx) >= abs(dy):
        return "right" if dx > 0 else "left"
    return "down" if dy > 0 else "up"


def detect(frames: np.ndarray) -> Detection:
    """Read background, colour, shape, motion and temporal consistency from (T, H, W, 3) uint8 frames."""
    clip = _to_native(frames)
    background, rows = _background(clip)
    difference = np.abs(clip - rows[None, :, None, :]).sum(axis=-1)  # (T, H, W)
    masks = difference > DIFFERENCE_THRESHOLD
    xs, ys, areas, colours, shapes, singles = [], [], [], [], [], 0
    for t in range(clip.shape[0]):
        labels, count = ndimage.label(masks[t])
        if count == 0:
            continue
        sizes = ndimage.sum_labels(masks[t], labels, index=np.arange(1, count + 1))
        sizes[sizes > MAX_OBJECT_FRACTION * masks[t].size] = 0  # a blob over much of the frame is not an object
        blobs = int((sizes >= MIN_OBJECT_PIXELS).sum())
        singles += blobs == 1
        if sizes.max() < MIN_OBJECT_PIXELS:
            continue
        main = labels == (int(np.argmax(sizes)) + 1)
        # Drop the anti-aliased rim so the colour is read from the object's body.
        body = ndimage.binary_erosion(main) if main.sum() > 30 else main
        yy, xx = np.nonzero(main)
        xs.append(xx.mean())
        ys.append(yy.mean())
        areas.append(float(main.sum()))
        colours.append(np.median(clip[t][body], axis=0))
        shapes.append(_shape(main))
    frames_total = clip.shape[0]
    if not areas:
        return Detection(background, None, None, None, 0.0, False)
    colour = np.median(np.stack(colours), axis=0)
    names = list(PALETTE)
    distances = [np.linalg.norm(colour - np.array(PALETTE[n], dtype=np.float32)) for n in names]
    shape = max(set(shapes), key=shapes.count)
    areas_arr = np.array(areas)
    steps = np.abs(np.diff(areas_arr)) / np.maximum(np.maximum(areas_arr[:-1], areas_arr[1:]), 1.0)
    single_rate = singles / frames_total
    stable = single_rate >= 0.9 and len(areas) == frames_total and bool((steps < 0.5).all())
    motion = _motion(np.array(xs), np.array(ys), areas_arr)
    return Detection(background, names[int(np.argmin(distances))], shape, motion, single_rate, stable)
