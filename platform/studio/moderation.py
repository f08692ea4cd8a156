"""The prompt gate the studio calls on submit: the safety package, failing closed when it is absent."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from config.errors import DomainError, ServiceUnavailable


class ModerationUnavailable(ServiceUnavailable):
    code = "moderation_unavailable"


class InvalidPrompt(DomainError):
    code = "invalid_prompt"


@dataclass(frozen=True)
class PromptVerdict:
    decision: str  # allow | review | block
    categories: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"decision": self.decision, "categories": self.categories, "reasons": self.reasons}

    def flagged_categories(self) -> list[str]:
        return sorted(name for name, score in self.categories.items() if score >= 0.5)


def moderate_prompt(text: str) -> PromptVerdict:
    """Moderate with the safety package; no gate means no generation (fail closed)."""
    try:
        import safety
    except ImportError as exc:
        raise ModerationUnavailable("the prompt moderation gate is not installed; no job can be accepted") from exc
    try:
        verdict = safety.moderate_prompt(text)
    except safety.SafetyError as exc:
        raise InvalidPrompt(str(exc)) from exc
    return PromptVerdict(decision=verdict.decision, categories=dict(verdict.categories),
                         reasons=[str(r) for r in verdict.reasons])


def prompt_moderator():
    """The moderation function named by settings (tests and deployments may swap it)."""
    return import_string(settings.CLEARFRAME["PROMPT_MODERATOR"])
