"""Video I/O: round trips, and every kind of bad input refused with its typed error."""

import io

import av
import numpy as np
import pytest

from provenance import (
    CorruptVideo,
    InvalidFrames,
    TooManyPixels,
    UnsupportedVideo,
    VideoLimits,
    VideoTooLarge,
    VideoTooLong,
    decode_video,
    encode_video,
)
from provenance.video import iter_video


def _psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2))


def test_encode_decode_round_trip(tmp_path, scene):
    path = encode_video(scene, 16, tmp_path / "v.mp4")
    video = decode_video(path)
    assert video.frames.shape == scene.shape
    assert video.fps == pytest.approx(16)
    assert video.codec == "h264" and "mp4" in video.container
    assert _psnr(video.frames, scene) > 28  # 4:2:0 chroma on saturated edges costs the most
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    # faststart: the movie header comes before the media data
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")


def test_decode_from_stream_and_bytes(tmp_path, scene):
    data = encode_video(scene[:8], 16, tmp_path / "v.mp4").read_bytes()
    assert decode_video(io.BytesIO(data)).frames.shape[0] == 8
    assert decode_video(data).frames.shape[0] == 8


def test_iter_video_streams_frames(tmp_path, scene):
    path = encode_video(scene[:8], 16, tmp_path / "v.mp4")
    fps, frames = iter_video(path)
    times = [t for t, _ in frames]
    assert fps == pytest.approx(16) and len(times) == 8 and times == sorted(times)


def test_webm_is_accepted(tmp_path, scene):
    path = encode_video(scene[:8], 16, tmp_path / "v.webm", codec="libvpx-vp9")
    video = decode_video(path)
    assert video.codec == "vp9" and video.frames.shape == (8, 256, 256, 3)


def test_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is a text file, not a video\n" * 20)
    with pytest.raises(UnsupportedVideo, match="not a video"):
        decode_video(path)


def test_still_image_is_not_a_video(tmp_path, scene):
    path = tmp_path / "still.png"
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 256, 256, "rgb24"
        out.mux(stream.encode(av.VideoFrame.from_ndarray(scene[0], format="rgb24")))
        out.mux(stream.encode(None))
    with pytest.raises(UnsupportedVideo):
        decode_video(path)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(UnsupportedVideo, match="empty"):
        decode_video(tmp_path / "empty.mp4")
    with pytest.raises(UnsupportedVideo, match="no such file"):
        decode_video(tmp_path / "missing.mp4")


def test_truncated_file(tmp_path, scene):
    data = encode_video(scene, 16, tmp_path / "v.mp4").read_bytes()
    with pytest.raises(CorruptVideo, match="truncated"):
        decode_video(data[: len(data) // 2])


def test_too_large(tmp_path, scene):
    path = encode_video(scene[:4], 16, tmp_path / "v.mp4")
    with pytest.raises(VideoTooLarge):
        decode_video(path, VideoLimits(max_bytes=path.stat().st_size - 1))


def test_too_long(tmp_path, scene):
    path = encode_video(scene, 16, tmp_path / "v.mp4")  # 2 s, 32 frames
    with pytest.raises(VideoTooLong):
        decode_video(path, VideoLimits(max_seconds=1.0))
    with pytest.raises(VideoTooLong):
        decode_video(path, VideoLimits(max_frames=10))


def test_too_many_pixels(tmp_path, scene):
    path = encode_video(scene[:4], 16, tmp_path / "v.mp4")
    with pytest.raises(TooManyPixels):
        decode_video(path, VideoLimits(max_pixels=128 * 128))
    with pytest.raises(TooManyPixels):
        decode_video(path, VideoLimits(max_side=200))


@pytest.mark.parametrize("frames", [
    np.zeros((4, 64, 64), dtype=np.uint8),
    np.zeros((4, 64, 64, 3), dtype=np.float32),
    np.zeros((0, 64, 64, 3), dtype=np.uint8),
    np.zeros((4, 63, 64, 3), dtype=np.uint8),
])
def test_bad_frames_refused(tmp_path, frames):
    with pytest.raises(InvalidFrames):
        encode_video(frames, 16, tmp_path / "v.mp4")


def test_bad_fps_refused(tmp_path, scene):
    with pytest.raises(InvalidFrames, match="fps"):
        encode_video(scene[:2], 0, tmp_path / "v.mp4")
