"""Rule layer: curated, word-boundary-aware term lists per category, kept as data files."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InvalidPolicy
from .taxonomy import CATEGORIES


@dataclass(frozen=True)
class RuleHits:
    block: dict[str, tuple[str, ...]]    # category -> matched block terms
    review: dict[str, tuple[str, ...]]   # category -> matched review terms
    minors: tuple[str, ...]
    public_figures: tuple[str, ...]
    reality_claims: tuple[str, ...] = ()


def _fold(term: str) -> str:
    """Case-fold a term's non-ASCII letters the way prompts are folded before matching ("Schießerei" is matched
    as "schiesserei"); ASCII is left alone so that escapes such as \\W keep their meaning (matching ignores
    case anyway)."""
    return "".join(c if c.isascii() else c.casefold() for c in term)


def _compile(terms: list[str], source: Path, key: str) -> re.Pattern | None:
    if not terms:
        return None
    try:
        return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{_fold(t)})" for t in terms) + r")(?!\w)", re.IGNORECASE)
    except re.error as exc:
        raise InvalidPolicy(f"bad pattern in {source} [{key}]: {exc}") from exc


@dataclass(frozen=True)
class RuleSet:
    allow: re.Pattern | None
    block: dict[str, re.Pattern]
    review: dict[str, re.Pattern]
    minors: re.Pattern | None
    figures: re.Pattern | None
    reality: re.Pattern | None = None

    def match(self, text: str) -> RuleHits:
        """Match on the normalised text after removing allowed look-alike phrases."""
        if self.allow is not None:
            text = self.allow.sub(" ", text)

        def found(pattern: re.Pattern | None) -> tuple[str, ...]:
            return tuple(dict.fromkeys(m.group().strip() for m in pattern.finditer(text))) if pattern else ()

        block = {c: hits for c, p in self.block.items() if (hits := found(p))}
        review = {c: hits for c, p in self.review.items() if (hits := found(p))}
        return RuleHits(block=block, review=review, minors=found(self.minors), public_figures=found(self.figures),
                        reality_claims=found(self.reality))


@lru_cache(maxsize=8)
def load_rules(term_files: tuple[Path, ...], figure_files: tuple[Path, ...]) -> RuleSet:
    allow: list[str] = []
    block: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    review: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    minors: list[str] = []
    reality: list[str] = []
    for path in term_files:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidPolicy(f"cannot read term file {path}: {exc}") from exc
        allow += data.get("allow_phrases", [])
        minors += data.get("minors", {}).get("terms", [])
        reality += data.get("reality_claims", {}).get("terms", [])
        for category in CATEGORIES:
            section = data.get(category, {})
            block[category] += section.get("block", [])
            review[category] += section.get("review", [])
        unknown = set(data) - set(CATEGORIES) - {"allow_phrases", "minors", "reality_claims"}
        if unknown:
            raise InvalidPolicy(f"unknown sections in {path}: {', '.join(sorted(unknown))}")
    figures: list[str] = []
    for path in figure_files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                figures.append(re.escape(line.casefold()).replace(r"\ ", r"\s+"))
    return RuleSet(
        allow=_compile(allow, Path("allow_phrases"), "allow_phrases"),
        block={c: p for c in CATEGORIES if (p := _compile(block[c], Path(c), "block"))},
        review={c: p for c in CATEGORIES if (p := _compile(review[c], Path(c), "review"))},
        minors=_compile(minors, Path("minors"), "minors"),
        reality=_compile(reality, Path("reality_claims"), "reality_claims"),
        figures=_compile(sorted(figures, key=len, reverse=True), Path("figures"), "figures"),
    )
