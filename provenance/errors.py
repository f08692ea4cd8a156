"""Typed errors of the provenance package; each message says what was wrong and what to do."""


class ProvenanceError(Exception):
    """Base of every error the provenance package raises."""


class UnsupportedVideo(ProvenanceError):
    """The input is not a video in a container and codec this deployment accepts."""


class CorruptVideo(ProvenanceError):
    """The input claims to be a video but cannot be decoded completely (truncated or damaged)."""


class VideoTooLarge(ProvenanceError):
    """The file is larger than the deployment's byte limit."""


class VideoTooLong(ProvenanceError):
    """The video lasts longer, or holds more frames, than the deployment's limits."""


class TooManyPixels(ProvenanceError):
    """A frame is larger than the deployment's pixel or side-length limit."""


class InvalidFrames(ProvenanceError, ValueError):
    """Frames handed to the package are not a uint8 array of shape (T, H, W, 3) with a usable size."""


class CredentialsError(ProvenanceError):
    """Signing credentials are missing, unreadable, expired or do not belong together."""


class ManifestError(ProvenanceError):
    """Signing or reading a C2PA manifest failed."""


class PayloadError(ProvenanceError, ValueError):
    """A watermark payload is not the expected number of bits."""
