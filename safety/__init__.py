"""Clearframe's safety gate: layered prompt moderation and frame moderation.

    from safety import moderate_prompt, moderate_frames
    verdict = moderate_prompt("a red ball bouncing")   # Verdict(decision="allow", categories=..., reasons=...)
"""

from .errors import InvalidFrames, InvalidPolicy, InvalidPrompt, ModelUnavailable, SafetyError
from .frames import moderate_frames
from .normalise import NormalisedText, normalise
from .policy import Policy, default_policy, load_policy
from .prompt import moderate_prompt
from .taxonomy import CATEGORIES
from .verdict import FrameEvidence, Verdict


def warm_up() -> None:
    """Load every model now (sentence models, heads, profanity model, NudeNet) rather than on first use."""
    from .classifier import prompt_classifier
    from .frames import nudity_detector

    prompt_classifier()
    nudity_detector()


__all__ = [
    "CATEGORIES", "FrameEvidence", "InvalidFrames", "InvalidPolicy", "InvalidPrompt", "ModelUnavailable",
    "NormalisedText", "Policy", "SafetyError", "Verdict", "default_policy", "load_policy", "moderate_frames",
    "moderate_prompt", "normalise", "warm_up",
]
