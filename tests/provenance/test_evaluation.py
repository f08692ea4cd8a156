"""The evaluation's own bookkeeping: which clips an attack lost, and how much of them the attack saturated."""

import numpy as np

from provenance import watermark
from provenance.attacks import attack_suite, brightness_contrast
from provenance.clips import NATURAL_IMAGES, clip_source, make_clip
from provenance.evaluation import read_marks, report, saturated_share
from provenance.video import encode_video


def test_saturated_share_counts_pixels_black_or_white_in_every_channel():
    frame = np.full((4, 4, 3), 128, dtype=np.uint8)
    frame[0] = 0            # black: saturated
    frame[1] = 255          # white: saturated
    frame[2] = (0, 0, 90)   # dark but blue: it still has a chroma to move
    assert saturated_share([frame]) == 0.5
    assert saturated_share([]) == 0.0


def test_clip_source_names_the_image_make_clip_shows():
    assert clip_source(24) == "hubble_deep_field" == NATURAL_IMAGES[12]
    assert clip_source(7) == "procedural"
    deep_field = make_clip(24, size=(64, 64), frames=2)
    assert deep_field.mean() < 60  # the mostly black deep field, not another sample


def test_darkening_the_deep_field_saturates_most_of_it(tmp_path):
    clip = make_clip(24, size=(64, 64), frames=8)
    source = encode_video(clip, 16, tmp_path / "in.mp4", crf=15)
    darker = brightness_contrast(-0.2, 0.0)(source, tmp_path / "darker.mp4")
    _, _, plain = read_marks(source)
    _, _, darkened = read_marks(darker)
    assert darkened > 0.8 > plain


def test_the_report_names_the_clips_an_attack_lost():
    rows = {name: {"exact": [True, True], "detected": [True, True], "bits": [1.0, 1.0], "fp": [0.0, 0.0],
                   "lost": []} for name, _, _ in attack_suite()}
    rows["brightness -20%"].update(exact=[True, False], lost=["clip 24 (hubble_deep_field, 93% of pixels saturated)"])
    lines = []
    met = report(rows, {"psnr": [41.0], "ssim": [0.99]}, {"sealed valid+trusted": [True]}, [0.5], 0,
                 np.zeros(3), clips=2, unmarked=3, size=(64, 64), seconds=1.0, fps=16.0, out=lines.append)
    assert not met
    assert "  lost under brightness -20%: clip 24 (hubble_deep_field, 93% of pixels saturated)" in lines
    assert sum(line.startswith("  lost under") for line in lines) == 1
    assert watermark.ALGORITHM in lines[0]
