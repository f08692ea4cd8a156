"""Test clips the evaluate command and the tests build for themselves: procedural scenes and natural images
(scikit-image's samples) panned and zoomed, with texture, flat areas and motion."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import ndimage

NATURAL_IMAGES = ("astronaut", "camera", "cat", "chelsea", "coffee", "rocket", "brick", "grass", "gravel", "moon",
                  "coins", "clock", "hubble_deep_field", "immunohistochemistry", "retina")


@cache
def natural_image(name: str) -> np.ndarray:
    """A scikit-image sample as (H, W, 3) float32 in 0..255."""
    import skimage.data

    image = np.asarray(getattr(skimage.data, name)())
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return image[..., :3].astype(np.float32)


def _sample(image: np.ndarray, cy: float, cx: float, scale: float, h: int, w: int) -> np.ndarray:
    """Bilinear window of h x w output pixels centred at (cy, cx), `scale` source pixels per output pixel."""
    ys = cy + (np.arange(h, dtype=np.float32) - h / 2) * scale
    xs = cx + (np.arange(w, dtype=np.float32) - w / 2) * scale
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    return np.stack([ndimage.map_coordinates(image[..., c], [yy, xx], order=1, mode="reflect")
                     for c in range(3)], axis=-1)


def natural_clip(rng: np.random.Generator, size=(256, 256), frames: int = 32, name: str | None = None) -> np.ndarray:
    """A sample image panned and zoomed over `frames` frames: uint8 (T, H, W, 3)."""
    h, w = size
    image = natural_image(name or str(rng.choice(NATURAL_IMAGES)))
    ih, iw = image.shape[:2]
    fit = min(ih / h, iw / w)
    s0, s1 = fit * rng.uniform(0.45, 0.9), fit * rng.uniform(0.45, 0.9)
    out = np.empty((frames, h, w, 3), dtype=np.uint8)
    start = rng.uniform(0.3, 0.7, size=2) * (ih, iw)
    end = rng.uniform(0.3, 0.7, size=2) * (ih, iw)
    for t in range(frames):
        a = t / max(frames - 1, 1)
        cy, cx = (1 - a) * start + a * end
        scale = (1 - a) * s0 + a * s1
        out[t] = np.clip(_sample(image, cy, cx, scale, h, w) + 0.5, 0, 255).astype(np.uint8)
    return out


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    noise = rng.normal(size=(h, w)).astype(np.float32)
    return ndimage.gaussian_filter(noise, sigma=rng.uniform(0.8, 4.0))


def procedural_clip(rng: np.random.Generator, size=(256, 256), frames: int = 32) -> np.ndarray:
    """A gradient sky, a textured ground and a few moving textured or flat shapes: uint8 (T, H, W, 3)."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top, bottom = rng.uniform(0, 255, size=3), rng.uniform(0, 255, size=3)
    horizon = rng.uniform(0.3, 0.8) * h
    sky = top + (bottom - top) * (yy / h)[..., None]
    ground_tex = _texture(rng, h, 2 * w)
    ground_tex *= 40 / (ground_tex.std() + 1e-6)
    ground_col = rng.uniform(40, 200, size=3)
    shapes = []
    for _ in range(rng.integers(2, 6)):
        tex = _texture(rng, h, w)
        shapes.append(dict(
            pos=rng.uniform(0, 1, size=2) * (h, w), vel=rng.uniform(-3, 3, size=2), r=rng.uniform(0.05, 0.25) * h,
            col=rng.uniform(0, 255, size=3), tex=tex * rng.choice([0.0, 30.0]) / (tex.std() + 1e-6),
            square=bool(rng.integers(0, 2))))
    pan = rng.uniform(-2, 2)
    out = np.empty((frames, h, w, 3), dtype=np.uint8)
    for t in range(frames):
        shift = int(round(pan * t)) % w
        ground = ground_col + np.roll(ground_tex, shift, axis=1)[:, :w, None]
        img = np.where((yy > horizon)[..., None], ground, sky)
        for s in shapes:
            cy, cx = s["pos"] + s["vel"] * t
            if s["square"]:
                inside = (np.abs(yy - cy) < s["r"]) & (np.abs(xx - cx) < s["r"])
            else:
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 < s["r"] ** 2
            img = np.where(inside[..., None], s["col"] + s["tex"][..., None], img)
        out[t] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out


def clip_source(index: int) -> str:
    """What clip number `index` of `make_clip` shows: the sample image's name, or "procedural"."""
    return NATURAL_IMAGES[(index // 2) % len(NATURAL_IMAGES)] if index % 2 == 0 else "procedural"


def make_clip(index: int, size=(256, 256), frames: int = 32, seed: int = 0) -> np.ndarray:
    """Clip number `index` of a reproducible set: even numbers natural images, odd numbers procedural scenes."""
    rng = np.random.default_rng([seed, index])
    if index % 2 == 0:
        return natural_clip(rng, size, frames, name=clip_source(index))
    return procedural_clip(rng, size, frames)
