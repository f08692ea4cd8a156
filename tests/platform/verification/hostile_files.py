"""A corpus of hostile uploads for the verify endpoint, built from a few real small videos.

Each entry is (name, bytes, kind). kinds "not_video" and "over_limits" must be refused with a 4xx; kind "damaged" files
(bit flips, cuts) may still decode to a short clip, so they get a 4xx or an ordinary verdict, never a 5xx.
"""

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

import provenance


def _clip(seconds: float, fps: float, size: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return np.stack([np.roll(base, 2 * t, axis=1) for t in range(max(1, int(seconds * fps)))])


def _encode(frames, fps, folder: Path, name: str) -> bytes:
    path = folder / name
    provenance.encode_video(frames, fps, path)
    return path.read_bytes()


def _webm(frames, fps, folder: Path) -> bytes:
    import av

    path = folder / "clip.webm"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libvpx-vp9", rate=int(fps))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def _patch_box(data: bytes, box: bytes, patch) -> bytes:
    """Apply `patch(bytearray, offset_of_box_payload)` to every box of this type."""
    out = bytearray(data)
    start = 0
    while (index := out.find(box, start)) != -1:
        patch(out, index + 4)
        start = index + 4
    return bytes(out)


def _huge_dimensions(data: bytes) -> bytes:
    def tkhd(out, at):  # width and height are the last 8 bytes of a version-0 tkhd (84-byte payload)
        out[at + 76: at + 84] = struct.pack(">II", 60000 << 16, 40000 << 16)

    def avc1(out, at):  # sample entry: 6 reserved, 2 index, 16 pre-defined, then width and height
        out[at + 24: at + 28] = struct.pack(">HH", 60000, 40000)

    return _patch_box(_patch_box(data, b"tkhd", tkhd), b"avc1", avc1)


def _huge_duration(data: bytes) -> bytes:
    def mvhd(out, at):  # version 0: flags(4), created(4), modified(4), timescale(4), duration(4)
        out[at + 16: at + 20] = struct.pack(">I", 0xFFFFFFF0)

    def mdhd(out, at):
        out[at + 16: at + 20] = struct.pack(">I", 0xFFFFFFF0)

    return _patch_box(_patch_box(data, b"mvhd", mvhd), b"mdhd", mdhd)


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_clip(0.1, 10)[0]).save(buffer, format=fmt)
    return buffer.getvalue()


def build_corpus(folder: Path, *, flips: int = 300, cuts: int = 120) -> list[tuple[str, bytes, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    mp4 = _encode(_clip(2, 8), 8, folder, "clip.mp4")
    webm = _webm(_clip(1, 8, seed=1), 8, folder)
    files: list[tuple[str, bytes, str]] = [("zero-byte.mp4", b"", "not_video")]

    rng = np.random.default_rng(2024)
    for n in range(cuts):
        source = mp4 if n % 3 else webm
        files.append((f"truncated-{n}.mp4", source[: int(rng.integers(1, len(source) - 1))], "damaged"))
    for n in range(flips):
        data = bytearray(mp4 if n % 4 else webm)
        for _ in range(int(rng.integers(1, 64))):
            position = int(rng.integers(0, len(data)))
            data[position] ^= 1 << int(rng.integers(0, 8))
        files.append((f"bit-flipped-{n}.mp4", bytes(data), "damaged"))

    files.append(("huge-dimensions.mp4", _huge_dimensions(mp4), "damaged"))
    files.append(("huge-duration.mp4", _huge_duration(mp4), "damaged"))
    files.append(("too-many-pixels.mp4", _encode(np.zeros((2, 2000, 2000, 3), np.uint8), 8, folder, "big.mp4"),
                  "over_limits"))
    files.append(("too-long.mp4", _encode(_clip(40, 1, size=32), 1, folder, "long.mp4"), "over_limits"))
    files.append(("thousands-of-frames.mp4", _encode(_clip(4000 / 240, 240, size=16), 240, folder, "many.mp4"),
                  "over_limits"))

    not_videos = {
        "image.png.mp4": _image("PNG"), "image.jpg.mp4": _image("JPEG"), "image.gif.mp4": _image("GIF"),
        "page.html.mp4": b"<!doctype html><script>alert(1)</script>",
        "script.sh.mp4": b"#!/bin/sh\nrm -rf /\n", "script.py.mp4": b"import os\nos.system('id')\n",
        "doc.pdf.mp4": b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n",
        "text.mp4": "une vidéo, promis".encode(), "nul.mp4": b"\x00" * 4096,
        "gzip.mp4": gzip.compress(mp4), "svg.mp4": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        # polyglots: a video container's magic bytes in front of something else entirely
        "ftyp-html.mp4": struct.pack(">I", 24) + b"ftypisom" + b"\x00" * 12 + b"<html><script>x</script></html>",
        "ftyp-only.mp4": mp4[:32],
        "ebml-garbage.webm": b"\x1a\x45\xdf\xa3" + bytes(rng.integers(0, 255, 2000, dtype=np.uint8)),
        "riff-avi-garbage.avi": b"RIFF\x00\x10\x00\x00AVI LIST" + b"\x00" * 64,
    }
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("clip.mp4", mp4)
    not_videos["archive.zip.mp4"] = zipped.getvalue()
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w") as archive:
        info = tarfile.TarInfo("clip.mp4")
        info.size = len(mp4)
        archive.addfile(info, io.BytesIO(mp4))
    not_videos["archive.tar.mp4"] = tarred.getvalue()
    for n in range(60):
        not_videos[f"random-{n}.mp4"] = bytes(rng.integers(0, 255, int(rng.integers(1, 20000)), dtype=np.uint8))
    files += [(name, data, "not_video") for name, data in not_videos.items()]
    return files
