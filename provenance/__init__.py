"""Provenance: video I/O, invisible watermark, signed C2PA manifests, fingerprints and inspection.

    creds = init_dev_keys("var/keys")                  # or load_credentials(chain, key, anchors)
    claims = Claims.for_generation(model="builtin", prompt=prompt, settings=settings)
    sealed = seal(frames, fps, claims, creds, "out.mp4")
    report = inspect("upload.mp4", trust_anchors=creds.trust_anchors_pem)
"""

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
from .fingerprint import MATCH_THRESHOLD as FINGERPRINT_MATCH_THRESHOLD
from .fingerprint import Fingerprint, fingerprint_distance, fingerprint_frames, fingerprints_match
from .inspection import Inspection, inspect
from .manifest import C2paResult, Claims
from .sealing import SealedVideo, new_payload, seal
from .video import DecodedVideo, VideoLimits, decode_video, encode_video
from .watermark import WatermarkResult

__all__ = [
    "FINGERPRINT_MATCH_THRESHOLD", "C2paResult", "Claims", "CorruptVideo", "Credentials", "CredentialsError",
    "DecodedVideo", "Fingerprint", "Inspection", "InvalidFrames", "ManifestError", "PayloadError", "ProvenanceError",
    "SealedVideo", "TooManyPixels", "UnsupportedVideo", "VideoLimits", "VideoTooLarge", "VideoTooLong",
    "WatermarkResult", "decode_video", "encode_video", "fingerprint_distance", "fingerprint_frames",
    "fingerprints_match", "init_dev_keys", "inspect", "load_credentials", "new_payload", "seal",
]
