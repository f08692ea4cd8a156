import random

import numpy as np

from generation import world
from generation.detector import detect


def _frames(clip, scale: int = 1) -> np.ndarray:
    frames = (clip.permute(1, 2, 3, 0).numpy() * 255).round().astype(np.uint8)
    return frames.repeat(scale, axis=1).repeat(scale, axis=2)


def test_detector_reads_rendered_scenes():
    rng = random.Random(11)
    wrong = 0
    total = 0
    for i in range(60):
        scene = world.sample_scene(rng, two_object_rate=0.0, held_out=i % 2 == 0)
        found = detect(_frames(world.render(scene, rng), scale=1 + i % 4))
        obj = scene.objects[0]
        for want, got in ((obj.colour, found.colour), (obj.shape, found.shape), (obj.motion, found.motion),
                          (scene.background, found.background)):
            wrong += want != got
            total += 1
        assert found.stable
    assert wrong / total < 0.02


def test_noise_is_not_a_stable_object():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(16, 64, 64, 3), dtype=np.uint8)
    assert not detect(noise).stable


def test_empty_background_has_no_object():
    frames = np.full((16, 64, 64, 3), 22, dtype=np.uint8)
    found = detect(frames)
    assert found.background == "dark"
    assert found.colour is None and found.motion is None and not found.stable
