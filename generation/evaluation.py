"""Objective adherence: generate clips for held-out prompts and read them back with the world detector."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .detector import detect
from .preview import contact_sheet
from .world import FRAMES, EvaluationPrompt, evaluation_prompts, render

ATTRIBUTES = ("colour", "shape", "motion", "background")
SPLITS = ("paraphrase", "combination")


@dataclass
class EvaluationReport:
    """Accuracy per attribute and split, temporal consistency, and one row per prompt."""

    rows: list[dict] = field(default_factory=list)

    def accuracy(self, attribute: str | None = None, split: str | None = None) -> float:
        """Share of correct attribute readings; None means all attributes or all splits."""
        attributes = ATTRIBUTES if attribute is None else (attribute,)
        picked = [r for r in self.rows if split is None or r["split"] == split]
        checks = [r["correct"][a] for r in picked for a in attributes]
        return float(np.mean(checks)) if checks else 0.0

    def rate(self, key: str, split: str | None = None) -> float:
        picked = [r[key] for r in self.rows if split is None or r["split"] == split]
        return float(np.mean(picked)) if picked else 0.0

    def summary(self) -> dict:
        out = {"prompts": len(self.rows)}
        for split in (None, *SPLITS):
            name = split or "all"
            out[name] = {a: round(self.accuracy(a, split), 4) for a in ATTRIBUTES}
            out[name]["overall"] = round(self.accuracy(None, split), 4)
            out[name]["stable"] = round(self.rate("stable", split), 4)
            out[name]["single_object_rate"] = round(self.rate("single_object_rate", split), 4)
        return out

    def table(self) -> str:
        """Human-readable accuracy table, one line per split."""
        header = f"{'split':<12}" + "".join(f"{a:>12}" for a in (*ATTRIBUTES, "overall", "stable"))
        lines = [header]
        for split in (None, *SPLITS):
            values = [self.accuracy(a, split) for a in ATTRIBUTES]
            values += [self.accuracy(None, split), self.rate("stable", split)]
            lines.append(f"{split or 'all':<12}" + "".join(f"{v:>12.1%}" for v in values))
        return "\n".join(lines)


def _row(prompt: EvaluationPrompt, frames: np.ndarray) -> dict:
    found = detect(frames)
    want = prompt.scene.objects[0]
    expected = {"colour": want.colour, "shape": want.shape, "motion": want.motion}
    expected["background"] = prompt.scene.background
    return {
        "prompt": prompt.prompt,
        "split": prompt.split,
        "expected": expected,
        "detected": found.as_dict(),
        "correct": {a: getattr(found, a) == expected[a] for a in ATTRIBUTES},
        "stable": found.stable,
        "single_object_rate": found.single_object_rate,
    }


def evaluate(
    generate_batch: Callable[[list[str], int], np.ndarray],
    *,
    count: int = 100,
    batch_size: int = 10,
    seed: int = 0,
    prompt_seed: int = 1234,
    sheet: str | Path | None = None,
    sheet_rows: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> EvaluationReport:
    """Score clips from generate_batch(prompts, seed) -> uint8 (B, T, H, W, 3) on `count` held-out prompts."""
    prompts = evaluation_prompts(count, seed=prompt_seed)
    report = EvaluationReport()
    kept: list[np.ndarray] = []
    for start in range(0, count, batch_size):
        chunk = prompts[start:start + batch_size]
        frames = generate_batch([p.prompt for p in chunk], seed + start)
        for prompt, clip in zip(chunk, frames, strict=True):
            report.rows.append(_row(prompt, clip))
            if len(kept) < sheet_rows:
                kept.append(clip)
        if progress is not None:
            progress(min(start + batch_size, count), count)
    if sheet is not None and kept:
        labels = []
        for row in report.rows[: len(kept)]:
            wrong = [a for a in ATTRIBUTES if not row["correct"][a]]
            verdict = "ok" if not wrong else "wrong " + ", ".join(f"{a}={row['detected'][a]}" for a in wrong)
            labels.append(f"[{row['split']}] {row['prompt']}  ({verdict})")
        contact_sheet(kept, labels, sheet)
    return report


def reference_batch(prompt_seed: int = 1234, count: int = 100) -> Callable[[list[str], int], np.ndarray]:
    """A generate_batch that renders the true scene of each evaluation prompt: the detector's own ceiling."""
    scenes = {p.prompt: p.scene for p in evaluation_prompts(count, seed=prompt_seed)}

    def generate_batch(prompts: list[str], seed: int) -> np.ndarray:
        rng = random.Random(seed)
        clips = [render(scenes[p], rng) for p in prompts]  # (3, T, H, W) in [0, 1]
        return np.stack([(c.permute(1, 2, 3, 0).numpy() * 255).round().astype(np.uint8) for c in clips])

    return generate_batch


__all__ = ["ATTRIBUTES", "FRAMES", "EvaluationReport", "evaluate", "reference_batch"]
