"""Provenance: video I/O, invisible watermark, signed C2PA manifests, fingerprints and inspection."""

from .credentials import Credentials, init_dev_keys, load_credentials
from .errors import (
    CorruptVideo,
    CredentialsError,
    InvalidFrames,
    ManifestError,
    PayloadError,
    ProvenanceError,
    TooManyPixels,
    UnsupportedVideo,
    VideoTooLarge,
    VideoTooLong,
)
from .video import DecodedVideo, VideoLimits, decode_video, encode_video

__all__ = [
    "CorruptVideo", "Credentials", "CredentialsError", "DecodedVideo", "InvalidFrames", "ManifestError",
    "PayloadError", "ProvenanceError", "TooManyPixels", "UnsupportedVideo", "VideoLimits", "VideoTooLarge",
    "VideoTooLong", "decode_video", "encode_video", "init_dev_keys", "load_credentials",
]
