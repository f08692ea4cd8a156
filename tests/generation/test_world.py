import random
import re

import torch

from generation import world


def test_render_is_a_clip_in_unit_range():
    rng = random.Random(3)
    clip = world.render(world.sample_scene(rng), rng)
    assert clip.shape == (3, world.FRAMES, world.SIZE, world.SIZE)
    assert clip.dtype == torch.float32
    assert 0.0 <= float(clip.min()) and float(clip.max()) <= 1.0


def test_training_scenes_never_contain_held_out_combinations():
    rng = random.Random(0)
    for _ in range(3000):
        scene = world.sample_scene(rng, two_object_rate=0.3)
        assert not any(world.is_held_out(obj) for obj in scene.objects)


def test_captions_use_synonyms_and_name_the_attributes():
    rng = random.Random(1)
    scene = world.Scene((world.SceneObject("circle", "red", "right", "fast", "big"),), "dark")
    captions = {world.caption(scene, rng, full=True) for _ in range(200)}
    assert len(captions) > 50  # many templates and synonyms, not one sentence
    for text in captions:
        assert any(w in text for w in world.COLOUR_WORDS["red"])
        assert any(w in text for w in world.SHAPE_WORDS["circle"])
        assert any(w in text for w in world.BACKGROUND_WORDS["dark"])
    assert any("crimson" in c for c in captions) and any("scarlet" in c for c in captions)


def test_evaluation_prompts_are_held_out():
    prompts = world.evaluation_prompts(40)
    splits = [p.split for p in prompts]
    assert splits.count("combination") == splits.count("paraphrase") == 20
    for p in prompts:
        obj = p.scene.objects[0]
        if p.split == "combination":
            assert world.is_held_out(obj)
        else:
            assert not world.is_held_out(obj)
            # An unseen paraphrase: the sentence fits a template that training never uses.
            assert any(_fits(t, p.prompt) for t in world.HELD_OUT_TEMPLATES)
    assert not set(world.HELD_OUT_TEMPLATES) & set(world.TRAIN_TEMPLATES)


def _fits(template: str, text: str) -> bool:
    pattern = re.sub(r"\\\{\w+\\\}", ".+", re.escape(template))
    return re.fullmatch(pattern, text) is not None


def test_moving_objects_move_the_named_way():
    rng = random.Random(5)
    for motion, axis, sign in (("right", 3, 1), ("left", 3, -1), ("down", 2, 1), ("up", 2, -1)):
        scene = world.Scene((world.SceneObject("square", "white", motion, "fast", "small"),), "dark")
        clip = world.render(scene, rng)
        mass = clip[0] - clip[0].min()  # red channel above the dark backdrop, (T, H, W)
        coords = torch.arange(world.SIZE, dtype=torch.float32)
        profile = mass.sum(dim=1 if axis == 3 else 2)  # (T, W) or (T, H)
        centre = (profile * coords).sum(-1) / profile.sum(-1)
        assert sign * float(centre[-1] - centre[0]) > 20
