"""What moderation returns: plain data the platform stores, shows to reviewers and puts in audit events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Decision = Literal["allow", "review", "block"]


@dataclass(frozen=True)
class FrameEvidence:
    frame_index: int
    label: str
    score: float
    category: str
    box: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    categories: dict[str, float]
    reasons: list[str]
    normalised_text: str = ""
    evidence: list[FrameEvidence] = field(default_factory=list)

    @property
    def flagged(self) -> list[str]:
        """Categories named in the reasons for this decision, most severe score first."""
        ranked = sorted(self.categories.items(), key=lambda kv: -kv[1])
        return [c for c, _ in ranked if any(c in r for r in self.reasons)]

    def as_dict(self) -> dict:
        return asdict(self)
