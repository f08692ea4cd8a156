"""inspect: everything a file says about where it came from: C2PA, watermark and fingerprint."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field

from . import watermark
from .fingerprint import Fingerprint, FingerprintSampler
from .manifest import C2paResult, read_manifest
from .video import VideoLimits, VideoReader


@dataclass
class Inspection:
    """The C2PA result, the watermark result with its per-second map, the fingerprint and what was decoded."""

    c2pa: C2paResult
    watermark: watermark.WatermarkResult
    fingerprint: Fingerprint
    sha256: str
    video: dict = field(default_factory=dict)

    @property
    def payload_matches_manifest(self) -> bool | None:
        """Whether the watermark payload equals the manifest's soft binding (None when either is missing)."""
        bound = self.c2pa.soft_binding_payload
        if bound is None or self.watermark.payload is None:
            return None
        return bound == self.watermark.payload

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {"sha256": self.sha256, "video": self.video, "c2pa": self.c2pa.to_dict(),
                "watermark": self.watermark.to_dict(), "fingerprint": self.fingerprint.to_dict(),
                "payload_matches_manifest": self.payload_matches_manifest}


def _sha256(source) -> str:
    digest = hashlib.sha256()
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        source.seek(0)
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
        source.seek(0)
    return digest.hexdigest()


def inspect(path_or_stream, *, trust_anchors=None, limits: VideoLimits | None = None,
            key: bytes = watermark.DEFAULT_KEY) -> Inspection:
    """Inspect a video file or binary stream; frames are decoded one at a time within `limits`.

    `trust_anchors` (PEM bytes or text, or a path) decides whether a valid manifest also reads as trusted.
    Raises the video errors of `decode_video` for anything that is not an acceptable video.
    """
    source = path_or_stream
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    detector = watermark.Detector(key)
    sampler = FingerprintSampler()
    with VideoReader(source, limits) as reader:
        count = 0
        for t, frame in reader.frames():
            detector.add(t, frame)
            sampler.add(t, frame)
            count += 1
            height, width = frame.shape[:2]
        video = {"width": width, "height": height, "frames": count, "fps": round(reader.fps, 3),
                 "duration": round(count / reader.fps, 3) if reader.fps else None,
                 "container": reader.container_name, "codec": reader.codec}
    c2pa_result = read_manifest(source, trust_anchors=trust_anchors)
    return Inspection(c2pa=c2pa_result, watermark=detector.result(), fingerprint=sampler.result(),
                      sha256=_sha256(source), video=video)
