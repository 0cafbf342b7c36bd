"""edgecnn.tooling.photobench: the synthetic photo benchmark, photos turned on a filled canvas or shadowed too."""

from __future__ import annotations

import cv2
import numpy as np

from edgecnn.tooling.photobench import main
from edgecnn.tooling.synth import FRAMES, SHADOWS, TEXTURES, framed, make_photo, shadowed, textured, turned, underlined


def test_turned_photos_keep_their_size_and_fill_the_corners():
    image = make_photo(1000).image
    white, black, going_on = (turned(image, 10.0, fill) for fill in ("white", "black", "continue"))
    assert white.shape == black.shape == going_on.shape == image.shape
    assert (white[0, 0] == 255).all() and (black[0, 0] == 0).all()
    assert 0 < int(going_on[0, 0].max()) < 255  # the border continued: a paper or board colour


def test_the_benchmark_reads_turned_photos(capsys):
    assert main(["--count", "2", "--turn", "-12", "--fill", "white"]) == 0
    out = capsys.readouterr().out
    assert "2 photos" in out and "digit accuracy" in out
    accuracy = float(out.split("digit accuracy (edit distance): ")[1].split("%")[0])
    assert 0 <= accuracy <= 100 and not np.isnan(accuracy)


def test_shadowed_photos_are_darker_on_one_side_only_and_deterministic():
    image = make_photo(1000).image
    for kind in SHADOWS:
        shade = shadowed(image, 1000, kind)
        assert shade.shape == image.shape and shade.dtype == np.uint8
        assert (shade == shadowed(image, 1000, kind)).all()
        ratio = shade.astype(np.float32).mean(axis=2) / np.maximum(image.astype(np.float32).mean(axis=2), 1)
        assert ratio.max() > 0.97 and np.percentile(ratio, 5) < 0.75  # part lit as it was, part a third darker


def test_the_benchmark_reads_shadowed_photos(capsys):
    assert main(["--count", "2", "--shadow", "hand"]) == 0
    assert "2 photos" in capsys.readouterr().out


def test_pen_marks_are_drawn_in_the_ink_around_or_under_each_row():
    p = make_photo(1003)  # one row
    for image in (underlined(p, 1003), *(framed(p, 1003, shape) for shape in FRAMES)):
        changed = np.any(image != p.image, axis=2)
        assert image.shape == p.image.shape and changed.any()
        x, y, w, h = p.boxes[0]
        assert not changed[y + h // 2, x + w // 2]  # the marks go around the writing, not through its middle
    assert (framed(p, 1003, "box") == framed(p, 1003, "box")).all()
    assert (underlined(p, 1003, image=framed(p, 1003)) != framed(p, 1003)).any()  # marks add up


def test_textured_paper_darkens_only_small_dots_and_is_deterministic():
    p = make_photo(1003)
    for kind in TEXTURES:
        image = textured(p.image, 1003, kind)
        darker = np.any(image < p.image, axis=2)
        assert (image <= p.image).all() and darker.any() and (image == textured(p.image, 1003, kind)).all()
        n, _, stats, _ = cv2.connectedComponentsWithStats(darker.view(np.uint8))
        assert n > 100 and np.median(stats[1:, cv2.CC_STAT_AREA]) <= 16  # many dots, each a few pixels


def test_the_benchmark_reads_textured_photos(capsys):
    assert main(["--count", "2", "--texture", "dots"]) == 0
    assert "digit accuracy" in capsys.readouterr().out
