"""The procedural world the built-in model learns: captioned scenes of moving shapes, rendered in torch.

A scene is one or two objects (shape, colour, motion, speed, size) over a background. Captions are drawn
from many templates and synonyms so that the text side learns meaning rather than one sentence. Some
(colour, shape, motion) combinations and some templates are held out of training entirely; evaluation
prompts use them to measure compositional generalisation and robustness to unseen paraphrases.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import torch

SHAPES = ("circle", "square", "triangle")
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "white")
MOTIONS = ("left", "right", "up", "down", "bounce", "grow", "shrink")
SPEEDS = ("slow", "fast")
SIZES = ("small", "big")
BACKGROUNDS = ("dark", "light", "gradient")

# Saturated, well separated colours so a detector can name them by the nearest palette entry.
PALETTE = {
    "red": (220, 40, 40),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 180, 60),
    "blue": (40, 90, 230),
    "purple": (150, 60, 200),
    "white": (245, 245, 245),
}
# Backgrounds stay grey so that no object colour can be mistaken for the backdrop.
BACKGROUND_TOP = {"dark": (22, 22, 30), "light": (170, 170, 165), "gradient": (25, 25, 45)}
BACKGROUND_BOTTOM = {"dark": (22, 22, 30), "light": (170, 170, 165), "gradient": (150, 150, 170)}

COLOUR_WORDS = {
    "red": ("red", "crimson", "scarlet"),
    "orange": ("orange", "tangerine", "amber"),
    "yellow": ("yellow", "golden", "lemon"),
    "green": ("green", "emerald", "lime"),
    "blue": ("blue", "azure", "cobalt"),
    "purple": ("purple", "violet", "plum"),
    "white": ("white", "snowy", "ivory"),
}
SHAPE_WORDS = {
    "circle": ("circle", "ball", "disc", "dot"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle", "wedge", "pyramid"),
}
MOTION_WORDS = {
    "left": ("moves left", "slides to the left", "drifts left", "travels leftward", "heads left"),
    "right": ("moves right", "slides to the right", "drifts right", "travels rightward", "heads right"),
    "up": ("moves up", "rises", "floats upward", "climbs", "drifts up"),
    "down": ("moves down", "falls", "sinks", "drops", "descends"),
    "bounce": ("bounces", "bounces up and down", "hops", "keeps bouncing"),
    "grow": ("grows", "gets bigger", "expands", "swells"),
    "shrink": ("shrinks", "gets smaller", "contracts", "dwindles"),
}
SPEED_WORDS = {"slow": ("slowly", "gently", "at a slow pace"), "fast": ("quickly", "fast", "rapidly")}
SIZE_WORDS = {"small": ("small", "little", "tiny"), "big": ("big", "large", "huge")}
BACKGROUND_WORDS = {
    "dark": ("dark", "black", "dim"),
    "light": ("light", "pale", "bright"),
    "gradient": ("gradient", "fading", "shaded"),
}
BACKGROUND_NOUNS = ("background", "backdrop")

# {obj} is "size colour shape", {motion} the motion phrase with its speed, {bg} "bg-word bg-noun".
TRAIN_TEMPLATES = (
    "a {obj} {motion} on a {bg}",
    "the {obj} {motion} against a {bg}",
    "on a {bg}, a {obj} {motion}",
    "a {bg} with a {obj} that {motion}",
    "{obj} {motion}, {bg}",
    "video of a {obj} that {motion} over a {bg}",
    "one {obj} {motion} in front of a {bg}",
)
HELD_OUT_TEMPLATES = (
    "watch as a {obj} {motion} across a {bg}",
    "{bg}; there is a {obj} and it {motion}",
    "animation: a {obj} {motion}, set on a {bg}",
)
# Never rendered for training: evaluation asks for them to test composition.
HELD_OUT_COMBINATIONS = frozenset(
    {
        ("red", "triangle", "up"),
        ("orange", "circle", "left"),
        ("yellow", "square", "grow"),
        ("green", "circle", "bounce"),
        ("blue", "triangle", "right"),
        ("purple", "square", "down"),
        ("white", "triangle", "shrink"),
        ("blue", "square", "left"),
        ("red", "circle", "shrink"),
        ("purple", "circle", "right"),
        ("green", "triangle", "down"),
        ("orange", "square", "up"),
    }
)

FRAMES = 16
SIZE = 64
RADIUS = {"small": 6.0, "big": 10.0}
SPEED = {"slow": 1.3, "fast": 2.4}  # pixels per frame at 64x64


@dataclass(frozen=True)
class SceneObject:
    """One object of a scene, in the words the captions use."""

    shape: str
    colour: str
    motion: str
    speed: str
    size: str


@dataclass(frozen=True)
class Scene:
    """A captionable scene: one or two objects over a background."""

    objects: tuple[SceneObject, ...]
    background: str

    def attributes(self) -> dict:
        """Plain-data attributes (what the detector should find), for JSON and tests."""
        return {"background": self.background, "objects": [asdict(o) for o in self.objects]}


def is_held_out(obj: SceneObject) -> bool:
    """True if the object's (colour, shape, motion) combination is kept out of training."""
    return (obj.colour, obj.shape, obj.motion) in HELD_OUT_COMBINATIONS


def sample_object(rng: random.Random, *, held_out: bool | None = False, motions=MOTIONS) -> SceneObject:
    """Draw one object; held_out=False excludes held-out combinations, True draws only those."""
    if held_out:
        colour, shape, motion = rng.choice(sorted(HELD_OUT_COMBINATIONS))
    else:
        while True:
            colour, shape, motion = rng.choice(COLOURS), rng.choice(SHAPES), rng.choice(motions)
            if held_out is None or (colour, shape, motion) not in HELD_OUT_COMBINATIONS:
                break
    return SceneObject(shape, colour, motion, rng.choice(SPEEDS), rng.choice(SIZES))


def sample_scene(rng: random.Random, *, two_object_rate: float = 0.15, held_out: bool = False) -> Scene:
    """Draw a training scene (held_out=False) or one built around a held-out combination."""
    background = rng.choice(BACKGROUNDS)
    if not held_out and rng.random() < two_object_rate:
        # Two objects share the frame one above the other, each moving along its own band.
        first, second = (
            sample_object(rng, motions=("left", "right", "grow", "shrink")) for _ in range(2)
        )
        first = SceneObject(first.shape, first.colour, first.motion, first.speed, "small")
        second = SceneObject(second.shape, second.colour, second.motion, second.speed, "small")
        return Scene((first, second), background)
    return Scene((sample_object(rng, held_out=held_out),), background)


def _object_phrase(rng: random.Random, obj: SceneObject, *, full: bool) -> tuple[str, str]:
    colour = rng.choice(COLOUR_WORDS[obj.colour])
    shape = rng.choice(SHAPE_WORDS[obj.shape])
    words = [colour, shape]
    if full or rng.random() < 0.7:
        words.insert(0, rng.choice(SIZE_WORDS[obj.size]))
    motion = rng.choice(MOTION_WORDS[obj.motion])
    if full or rng.random() < 0.7:
        motion = f"{motion} {rng.choice(SPEED_WORDS[obj.speed])}"
    return " ".join(words), motion


def caption(scene: Scene, rng: random.Random, *, templates=TRAIN_TEMPLATES, full: bool = False) -> str:
    """Describe a scene in one of the templates with random synonyms; full=True names every attribute."""
    bg = f"{rng.choice(BACKGROUND_WORDS[scene.background])} {rng.choice(BACKGROUND_NOUNS)}"
    if len(scene.objects) == 1:
        obj, motion = _object_phrase(rng, scene.objects[0], full=full)
        return rng.choice(templates).format(obj=obj, motion=motion, bg=bg)
    (obj_a, motion_a), (obj_b, motion_b) = (_object_phrase(rng, o, full=full) for o in scene.objects)
    return f"a {obj_a} {motion_a} above a {obj_b} that {motion_b}, on a {bg}"


def _trajectory(obj: SceneObject, rng: random.Random, band: tuple[float, float]) -> tuple:
    """Centre x, y and radius over FRAMES frames, kept inside the frame (and inside band vertically)."""
    t = torch.arange(FRAMES, dtype=torch.float32)
    r = RADIUS[obj.size]
    v = SPEED[obj.speed]
    lo, hi = band
    margin = 2.0
    travel = v * (FRAMES - 1)
    radius = torch.full((FRAMES,), r)

    def start(span_lo: float, span_hi: float) -> float:
        return rng.uniform(span_lo, max(span_lo, span_hi))

    if obj.motion in ("left", "right"):
        x0 = start(margin + r, SIZE - margin - r - travel)
        x = x0 + v * t if obj.motion == "right" else (SIZE - x0) - v * t
        y = torch.full((FRAMES,), start(lo + r + margin, hi - r - margin))
    elif obj.motion in ("up", "down"):
        y0 = start(margin + r, SIZE - margin - r - travel)
        y = y0 + v * t if obj.motion == "down" else (SIZE - y0) - v * t
        x = torch.full((FRAMES,), start(margin + r, SIZE - margin - r))
    elif obj.motion == "bounce":
        floor = SIZE - margin - r
        height = rng.uniform(18.0, 26.0)
        period = 10.0 if obj.speed == "slow" else 6.0
        phase = rng.uniform(0.0, period)
        y = floor - height * torch.abs(torch.sin(torch.pi * (t + phase) / period))
        x = torch.full((FRAMES,), start(margin + r, SIZE - margin - r))
    else:
        small, big = (4.0, 10.0) if obj.speed == "slow" else (3.5, 13.0)
        big = min(big, (hi - lo) / 2 - margin)
        ends = (small, big) if obj.motion == "grow" else (big, small)
        radius = ends[0] + (ends[1] - ends[0]) * t / (FRAMES - 1)
        x = torch.full((FRAMES,), start(margin + big, SIZE - margin - big))
        y = torch.full((FRAMES,), start(lo + margin + big, hi - margin - big))
    return x, y, radius


def _coverage(shape: str, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Anti-aliased coverage in [0, 1] from a signed distance (negative inside)."""
    if shape == "circle":
        sd = torch.sqrt(dx * dx + dy * dy) - r
    elif shape == "square":
        sd = torch.maximum(dx.abs(), dy.abs()) - 0.85 * r
    else:
        # Upright isosceles triangle: apex at the top, base at the bottom (y grows downward).
        sd = torch.maximum(dy - r, (dx.abs() - (dy + r) / 2) / 1.118)
    return (0.5 - sd).clamp(0.0, 1.0)


def render(scene: Scene, rng: random.Random) -> torch.Tensor:
    """Render a scene to a float clip in [0, 1], shape (3, FRAMES, SIZE, SIZE)."""
    rows = torch.linspace(0.0, 1.0, SIZE).view(1, SIZE, 1)
    top = torch.tensor(BACKGROUND_TOP[scene.background], dtype=torch.float32).view(3, 1, 1) / 255
    bottom = torch.tensor(BACKGROUND_BOTTOM[scene.background], dtype=torch.float32).view(3, 1, 1) / 255
    frame = top + (bottom - top) * rows  # (3, H, 1)
    clip = frame.unsqueeze(1).expand(3, FRAMES, SIZE, SIZE).clone()  # (3, T, H, W)
    grid = torch.arange(SIZE, dtype=torch.float32) + 0.5
    bands = [(0.0, float(SIZE))] if len(scene.objects) == 1 else [(0.0, SIZE / 2), (SIZE / 2, float(SIZE))]
    for obj, band in zip(scene.objects, bands, strict=True):
        x, y, r = _trajectory(obj, rng, band)
        dx = grid.view(1, 1, SIZE) - x.view(FRAMES, 1, 1)  # (T, 1, W)
        dy = grid.view(1, SIZE, 1) - y.view(FRAMES, 1, 1)  # (T, H, 1)
        alpha = _coverage(obj.shape, dx, dy, r.view(FRAMES, 1, 1)).unsqueeze(0)  # (1, T, H, W)
        colour = torch.tensor(PALETTE[obj.colour], dtype=torch.float32).view(3, 1, 1, 1) / 255
        clip = clip * (1 - alpha) + colour * alpha
    return clip


def training_batch(batch_size: int, rng: random.Random) -> tuple[torch.Tensor, list[str]]:
    """A batch of rendered training clips (B, 3, T, H, W) in [-1, 1] with their captions."""
    scenes = [sample_scene(rng) for _ in range(batch_size)]
    clips = torch.stack([render(s, rng) for s in scenes]) * 2 - 1
    return clips, [caption(s, rng) for s in scenes]


@dataclass(frozen=True)
class EvaluationPrompt:
    """A held-out prompt with the scene it asks for and which held-out split it belongs to."""

    prompt: str
    scene: Scene
    split: str  # "paraphrase" (unseen template) or "combination" (unseen colour-shape-motion)


def evaluation_prompts(count: int, seed: int = 1234) -> list[EvaluationPrompt]:
    """Half unseen paraphrases of training scenes, half unseen combinations; every attribute named."""
    rng = random.Random(seed)
    prompts = []
    for i in range(count):
        held = i % 2 == 1
        scene = sample_scene(rng, two_object_rate=0.0, held_out=held)
        templates = (TRAIN_TEMPLATES + HELD_OUT_TEMPLATES) if held else HELD_OUT_TEMPLATES
        text = caption(scene, rng, templates=templates, full=True)
        prompts.append(EvaluationPrompt(text, scene, "combination" if held else "paraphrase"))
    return prompts
