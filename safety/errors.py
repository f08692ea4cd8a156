"""Typed errors of the safety package; each message says what to change."""


class SafetyError(Exception):
    """Base class of every error the safety package raises on purpose."""


class InvalidPrompt(SafetyError, ValueError):
    """The prompt cannot be moderated as given (empty, too long, not text)."""


class InvalidPolicy(SafetyError, ValueError):
    """The policy file is malformed or names an unknown category."""


class InvalidFrames(SafetyError, ValueError):
    """Frames are not uint8 (T, H, W, 3) or the frame rate is not positive."""


class ModelUnavailable(SafetyError):
    """A model the policy needs could not be loaded (missing file, bad checkpoint)."""
