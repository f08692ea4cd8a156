"""Video I/O with PyAV: H.264 MP4 out, any accepted container in, within deployment limits."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from .errors import (
    CorruptVideo,
    InvalidFrames,
    ProvenanceError,
    TooManyPixels,
    UnsupportedVideo,
    VideoTooLarge,
    VideoTooLong,
)

# FFmpeg demuxer names we accept: MP4/MOV family, Matroska/WebM, AVI.
ACCEPTED_CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi"})
# Decoded frames shorter than this share of what the container declares mean the file was cut off.
TRUNCATION_TOLERANCE = 0.9


@dataclass(frozen=True)
class VideoLimits:
    """What a deployment agrees to decode; anything beyond raises a typed error before or while decoding."""

    max_bytes: int = 256 * 1024 * 1024  # size of the uploaded file
    max_seconds: float = 120.0  # duration, declared or decoded
    max_pixels: int = 1920 * 1088  # width * height of one frame
    max_frames: int = 3600  # decoded frames
    max_side: int = 4096  # longest side of a frame


@dataclass
class DecodedVideo:
    """Frames (uint8, T x H x W x 3, RGB) and what the container said about them."""

    frames: np.ndarray
    fps: float
    container: str = ""
    codec: str = ""
    duration: float = 0.0
    timestamps: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the frames."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Return frames as a C-contiguous uint8 (T, H, W, 3) array or raise InvalidFrames."""
    if not isinstance(frames, np.ndarray):
        raise InvalidFrames(f"frames must be a numpy array, got {type(frames).__name__}")
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise InvalidFrames(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    if frames.dtype != np.uint8:
        raise InvalidFrames(f"frames must be uint8, got {frames.dtype}")
    t, h, w, _ = frames.shape
    if t < 1:
        raise InvalidFrames("frames hold no frame")
    if h < 16 or w < 16:
        raise InvalidFrames(f"frames of {w}x{h} are too small; at least 16x16 is needed")
    return np.ascontiguousarray(frames)


def _check_fps(fps: float) -> float:
    try:
        fps = float(fps)
    except (TypeError, ValueError) as exc:
        raise InvalidFrames(f"fps must be a number, got {fps!r}") from exc
    if not (0.5 <= fps <= 240.0):
        raise InvalidFrames(f"fps must lie between 0.5 and 240, got {fps}")
    return fps


def encode_video(frames: np.ndarray, fps: float, path, *, crf: int = 18, preset: str = "veryfast",
                 codec: str = "libx264") -> Path:
    """Encode RGB frames to H.264 MP4 (yuv420p, faststart) at `path`; returns the path.

    Odd widths or heights are refused (yuv420p needs even sides). `codec="libvpx-vp9"` with a
    .webm path writes VP9 WebM instead, which the attack suite uses.
    """
    frames = check_frames(frames)
    fps = _check_fps(fps)
    _, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise InvalidFrames(f"frames of {w}x{h}: width and height must be even for yuv420p")
    path = Path(path)
    rate = Fraction(fps).limit_denominator(1001)
    options = {"crf": str(crf)}
    container_options = {}
    if codec == "libx264":
        options["preset"] = preset
        container_options["movflags"] = "+faststart"
    elif codec == "libvpx-vp9":
        options.update({"b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"})
    with av.open(str(path), mode="w", options=container_options) as container:
        stream = container.add_stream(codec, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.thread_count = 2
        for image in frames:
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _byte_size(source) -> int:
    if isinstance(source, (str, os.PathLike)):
        try:
            return os.stat(source).st_size
        except FileNotFoundError as exc:
            raise UnsupportedVideo(f"no such file: {source}") from exc
    if isinstance(source, (bytes, bytearray, memoryview)):
        return len(source)
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size


def _open_input(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    target = str(source) if isinstance(source, (str, os.PathLike)) else source
    try:
        container = av.open(target, mode="r", metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise UnsupportedVideo("not a video file FFmpeg can read (MP4, MOV, WebM, MKV or AVI expected)") from exc
    except FileNotFoundError as exc:
        raise UnsupportedVideo(f"no such file: {source}") from exc
    except av.error.FFmpegError as exc:
        raise CorruptVideo(f"cannot open the video: {exc}") from exc
    return container


class VideoReader:
    """Streams RGB frames of one video stream, enforcing limits as it goes."""

    def __init__(self, source: str | os.PathLike | BinaryIO | bytes, limits: VideoLimits | None = None):
        self.limits = limits or VideoLimits()
        size = _byte_size(source)
        if size > self.limits.max_bytes:
            raise VideoTooLarge(f"the file has {size} bytes; this deployment accepts at most {self.limits.max_bytes}")
        if size == 0:
            raise UnsupportedVideo("the file is empty")
        self.container = _open_input(source)
        try:
            self._check_header()
        except ProvenanceError:
            self.container.close()
            raise

    def _check_header(self) -> None:
        limits = self.limits
        name = self.container.format.name
        if name not in ACCEPTED_CONTAINERS:
            raise UnsupportedVideo(f"container '{name}' is not accepted; send MP4, MOV, WebM, MKV or AVI")
        if not self.container.streams.video:
            raise UnsupportedVideo("the file holds no video stream")
        self.stream = self.container.streams.video[0]
        ctx = self.stream.codec_context
        if ctx is None:
            raise CorruptVideo("the video stream has no decoder parameters: the file is damaged")
        w, h = ctx.width, ctx.height
        if not w or not h:
            raise CorruptVideo("the video stream declares no frame size")
        if max(w, h) > limits.max_side:
            raise TooManyPixels(f"frames of {w}x{h} exceed the longest side of {limits.max_side}")
        if w * h > limits.max_pixels:
            raise TooManyPixels(f"frames of {w}x{h} hold {w * h} pixels; at most {limits.max_pixels} are accepted")
        rate = self.stream.average_rate or self.stream.guessed_rate or self.stream.base_rate
        self.fps = float(rate) if rate else 0.0
        duration = 0.0
        if self.stream.duration and self.stream.time_base:
            duration = float(self.stream.duration * self.stream.time_base)
        elif self.container.duration:
            duration = self.container.duration / av.time_base
        self.declared_duration = duration
        if duration > limits.max_seconds:
            raise VideoTooLong(f"the video lasts {duration:.1f} s; at most {limits.max_seconds:g} s are accepted")
        self.declared_frames = int(self.stream.frames or 0)
        if self.declared_frames > limits.max_frames:
            raise VideoTooLong(f"the video holds {self.declared_frames} frames; "
                               f"at most {limits.max_frames} are accepted")
        self.codec = ctx.name
        self.container_name = name

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        """Yield (time in seconds, RGB uint8 frame) in presentation order."""
        limits = self.limits
        count = 0
        self.stream.thread_type = "AUTO"
        try:
            for frame in self.container.decode(self.stream):
                count += 1
                if count > limits.max_frames:
                    raise VideoTooLong(f"the video holds more than {limits.max_frames} frames")
                t = float(frame.time) if frame.time is not None else (count - 1) / (self.fps or 1.0)
                if t > limits.max_seconds:
                    raise VideoTooLong(f"the video runs past {limits.max_seconds:g} s")
                if frame.width * frame.height > limits.max_pixels or max(frame.width, frame.height) > limits.max_side:
                    raise TooManyPixels(f"a frame of {frame.width}x{frame.height} exceeds the limits")
                yield t, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise CorruptVideo(f"the video is damaged or truncated: decoding failed after {count} frames "
                               f"({exc})") from exc
        if count == 0:
            raise CorruptVideo("no frame could be decoded; the file is truncated or damaged")
        if self.declared_frames and count < TRUNCATION_TOLERANCE * self.declared_frames:
            raise CorruptVideo(f"only {count} of {self.declared_frames} declared frames could be decoded; "
                               "the file is truncated")
        self.decoded_frames = count

    def close(self) -> None:
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def iter_video(source, limits: VideoLimits | None = None) -> tuple[float, Iterator[tuple[float, np.ndarray]]]:
    """Open a video and return (fps, iterator of (seconds, frame)); frames are decoded one at a time."""
    reader = VideoReader(source, limits)

    def generate():
        with reader:
            yield from reader.frames()

    return reader.fps, generate()


def decode_video(path_or_stream, limits: VideoLimits | None = None) -> DecodedVideo:
    """Decode a whole video into RGB frames, refusing anything beyond `limits` with a typed error."""
    with VideoReader(path_or_stream, limits) as reader:
        times, frames = [], []
        for t, image in reader.frames():
            times.append(t)
            frames.append(image)
        fps = reader.fps
        if not fps and len(times) > 1:
            fps = (len(times) - 1) / max(times[-1] - times[0], 1e-6)
        return DecodedVideo(frames=np.stack(frames), fps=fps, container=reader.container_name,
                            codec=reader.codec, duration=len(frames) / (fps or 1.0),
                            timestamps=np.asarray(times))
