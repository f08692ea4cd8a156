"""The moderation taxonomy shared by prompts, frames, the review queue and the dashboards."""

CATEGORIES: tuple[str, ...] = (
    "sexual",
    "sexual/minors",
    "harassment",
    "hate",
    "violence",
    "violence/graphic",
    "self-harm",
    "illicit",
    "violent-extremism",
    "likeness",
    "deception",
)

# Blocked outright, never sent to review, whatever the policy file says.
ALWAYS_SEVERE: frozenset[str] = frozenset({"sexual/minors"})
