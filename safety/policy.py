"""The moderation policy: thresholds per category, severe categories, term lists (a TOML file)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .errors import InvalidPolicy
from .taxonomy import ALWAYS_SEVERE, CATEGORIES

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY_PATH = PACKAGE_DIR / "policy.toml"
DEFAULT_TERMS_PATH = PACKAGE_DIR / "data" / "terms.toml"
DEFAULT_FIGURES_PATH = PACKAGE_DIR / "data" / "public_figures.txt"


@dataclass(frozen=True)
class Thresholds:
    review: float
    block: float


@dataclass(frozen=True)
class FramePolicy:
    explicit_labels: tuple[str, ...]
    suggestive_labels: tuple[str, ...]
    min_detection_score: float = 0.45
    samples_per_second: float = 2.0


@dataclass(frozen=True)
class Policy:
    thresholds: dict[str, Thresholds]
    severe: frozenset[str]
    severe_combinations: tuple[frozenset[str], ...]
    term_files: tuple[Path, ...]
    figure_files: tuple[Path, ...]
    frames: FramePolicy
    max_length: int = 2000
    source: str = field(default="", compare=False)

    def with_review(self, review: float) -> Policy:
        """This policy with every category that is not severe reviewed at `review` (a block level below it is
        raised to it); severe categories keep their own thresholds. `python -m safety train --cross-validate
        --review` judges the folds at several such levels."""
        if not 0.0 <= review <= 1.0:
            raise InvalidPolicy(f"a review threshold must lie in 0..1, not {review}")
        thresholds = {c: t if c in self.severe else Thresholds(review, max(review, t.block))
                      for c, t in self.thresholds.items()}
        return replace(self, thresholds=thresholds, source=f"{self.source} with review {review:g}")


def _path_list(raw, base: Path, key: str) -> tuple[Path, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise InvalidPolicy(f"{key} must be a list of file paths")
    paths = tuple((base / p) if not Path(p).is_absolute() else Path(p) for p in raw)
    for path in paths:
        if not path.is_file():
            raise InvalidPolicy(f"{key}: no such file {path}")
    return paths


def load_policy(path: str | Path = DEFAULT_POLICY_PATH) -> Policy:
    """Read and check a policy file; unknown categories and thresholds outside 0..1 are refused."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidPolicy(f"policy file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidPolicy(f"policy file {path} is not valid TOML: {exc}") from exc

    thresholds: dict[str, Thresholds] = {}
    for name, value in raw.get("thresholds", {}).items():
        if name not in CATEGORIES:
            raise InvalidPolicy(f"unknown category {name!r} in {path}; known: {', '.join(CATEGORIES)}")
        try:
            review, block = float(value["review"]), float(value["block"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPolicy(f"thresholds.{name} needs numeric review and block values") from exc
        if not (0.0 <= review <= block <= 1.0):
            raise InvalidPolicy(f"thresholds.{name}: need 0 <= review <= block <= 1, got {review}, {block}")
        thresholds[name] = Thresholds(review, block)
    missing = [c for c in CATEGORIES if c not in thresholds]
    if missing:
        raise InvalidPolicy(f"{path} has no thresholds for {', '.join(missing)}")

    severe = set(raw.get("severe", []))
    unknown = severe - set(CATEGORIES)
    if unknown:
        raise InvalidPolicy(f"unknown severe categories: {', '.join(sorted(unknown))}")
    combos = []
    for combo in raw.get("severe_combinations", []):
        if not set(combo) <= set(CATEGORIES):
            raise InvalidPolicy(f"unknown category in severe_combinations: {combo}")
        combos.append(frozenset(combo))

    frames_raw = raw.get("frames", {})
    frames = FramePolicy(
        explicit_labels=tuple(frames_raw.get("explicit_labels", ())),
        suggestive_labels=tuple(frames_raw.get("suggestive_labels", ())),
        min_detection_score=float(frames_raw.get("min_detection_score", 0.45)),
        samples_per_second=float(frames_raw.get("samples_per_second", 2.0)),
    )
    max_length = int(raw.get("max_length", 2000))
    if max_length < 1:
        raise InvalidPolicy("max_length must be positive")
    base = path.parent
    return Policy(
        thresholds=thresholds,
        severe=frozenset(severe) | ALWAYS_SEVERE,
        severe_combinations=tuple(combos),
        term_files=(DEFAULT_TERMS_PATH, *_path_list(raw.get("extra_terms", []), base, "extra_terms")),
        figure_files=(DEFAULT_FIGURES_PATH,
                      *_path_list(raw.get("extra_public_figures", []), base, "extra_public_figures")),
        frames=frames,
        max_length=max_length,
        source=str(path),
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)
