"""Preview files for model work: MP4 clips and PNG contact sheets (the platform's sealed path is elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_mp4(frames: np.ndarray, fps: float, path: str | Path) -> Path:
    """Encode uint8 frames (T, H, W, 3) as an H.264 MP4 (yuv420p, so every player opens it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t, h, w, _ = frames.shape
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "18", "preset": "medium"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def read_mp4(path: str | Path) -> tuple[np.ndarray, float]:
    """Decode a video file to uint8 frames (T, H, W, 3) and its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        fps = float(stream.average_rate or 0)
    return np.stack(frames), fps


def contact_sheet(
    clips: Sequence[np.ndarray], labels: Sequence[str], path: str | Path, *, columns: int = 6, cell: int = 96
) -> Path:
    """One row per clip: `columns` frames spread over its length, each `cell` pixels square, with its label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = len(clips)
    dpi = 100
    fig, axes = plt.subplots(
        rows, columns, figsize=(columns * cell / dpi, rows * (cell + 22) / dpi), dpi=dpi, squeeze=False
    )
    for row, (clip, label) in enumerate(zip(clips, labels, strict=True)):
        picks = np.linspace(0, clip.shape[0] - 1, columns).round().astype(int)
        for col, index in enumerate(picks):
            ax = axes[row][col]
            ax.imshow(clip[index], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_title(label, fontsize=7, loc="left", x=0.0, ha="left")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01, wspace=0.04, hspace=0.35)
    fig.savefig(path)
    plt.close(fig)
    return path
