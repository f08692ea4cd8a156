"""The attack suite: each attack turns a sealed MP4 into the file a person might upload instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from .video import decode_video, encode_video


def _resize(frames: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize every frame with FFmpeg's bicubic scaler (what a transcoder would do)."""
    out = np.empty((frames.shape[0], h, w, 3), dtype=np.uint8)
    for i, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        out[i] = frame.reformat(width=w, height=h, interpolation="BICUBIC").to_ndarray(format="rgb24")
    return out


def reencode(crf: int) -> Callable:
    def attack(src: Path, dst: Path) -> Path:
        video = decode_video(src)
        return encode_video(video.frames, video.fps, dst, crf=crf, preset="medium")
    attack.__name__ = f"h264_crf{crf}"
    return attack


def downscale_half(src: Path, dst: Path) -> Path:
    video = decode_video(src)
    _, h, w, _ = video.frames.shape
    small = _resize(video.frames, h // 2 // 2 * 2, w // 2 // 2 * 2)
    return encode_video(_resize(small, h, w), video.fps, dst, crf=23, preset="medium")


def centre_crop(keep: float = 0.8) -> Callable:
    def attack(src: Path, dst: Path) -> Path:
        video = decode_video(src)
        _, h, w, _ = video.frames.shape
        ch, cw = int(h * keep) // 2 * 2, int(w * keep) // 2 * 2
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        return encode_video(video.frames[:, y0:y0 + ch, x0:x0 + cw], video.fps, dst, crf=23, preset="medium")
    attack.__name__ = f"centre_crop_{int(keep * 100)}"
    return attack


def brightness_contrast(brightness: float, contrast: float) -> Callable:
    """Scale contrast about mid-grey and shift brightness by a share of full scale."""
    def attack(src: Path, dst: Path) -> Path:
        video = decode_video(src)
        f = video.frames.astype(np.float32)
        f = (f - 128.0) * (1 + contrast) + 128.0 + 255.0 * brightness
        frames = np.clip(f + 0.5, 0, 255).astype(np.uint8)
        return encode_video(frames, video.fps, dst, crf=23, preset="medium")
    attack.__name__ = f"brightness{brightness:+.0%}_contrast{contrast:+.0%}"
    return attack


def halve_frame_rate(src: Path, dst: Path) -> Path:
    video = decode_video(src)
    return encode_video(video.frames[::2], video.fps / 2, dst, crf=23, preset="medium")


def trim_one_second(start: float = 1.0) -> Callable:
    def attack(src: Path, dst: Path) -> Path:
        video = decode_video(src)
        i0 = int(round(start * video.fps))
        i1 = i0 + int(round(video.fps))
        return encode_video(video.frames[i0:i1], video.fps, dst, crf=23, preset="medium")
    attack.__name__ = "trim_to_one_second"
    return attack


def strip_metadata(src: Path, dst: Path) -> Path:
    """Remux the streams into a fresh MP4: same compressed frames, no manifest."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            out.mux(packet)
    return dst


def to_webm(src: Path, dst: Path) -> Path:
    video = decode_video(src)
    return encode_video(video.frames, video.fps, dst, crf=32, codec="libvpx-vp9")


def attack_suite(trim_start: float = 1.0) -> list[tuple[str, Callable, str]]:
    """(name, attack, output suffix) for every attack of the suite."""
    return [
        ("H.264 CRF 23", reencode(23), ".mp4"),
        ("H.264 CRF 28", reencode(28), ".mp4"),
        ("H.264 CRF 35", reencode(35), ".mp4"),
        ("downscale 50% and back", downscale_half, ".mp4"),
        ("centre crop 80%", centre_crop(0.8), ".mp4"),
        ("brightness +20%", brightness_contrast(0.2, 0.0), ".mp4"),
        ("brightness -20%", brightness_contrast(-0.2, 0.0), ".mp4"),
        ("contrast +20%", brightness_contrast(0.0, 0.2), ".mp4"),
        ("contrast -20%", brightness_contrast(0.0, -0.2), ".mp4"),
        ("frame rate halved", halve_frame_rate, ".mp4"),
        ("trimmed to one second", trim_one_second(trim_start), ".mp4"),
        ("metadata stripped", strip_metadata, ".mp4"),
        ("WebM (VP9)", to_webm, ".webm"),
    ]
