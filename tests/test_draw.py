"""Annotated photos: the rows panel hides no digit when a corner is free, and no two labels overlap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from edgecnn.draw import _overlap, _place_labels, _rows_panel, annotate
from edgecnn.reader import Digit, Reading


def reading(boxes, labels=None, conf=1.0):
    crop = np.zeros((28, 28), np.float32)
    labels = labels or ["3"] * len(boxes)
    rows = sorted({b[1] // 100 for b in boxes})
    return Reading([Digit(l, conf, b, rows.index(b[1] // 100), crop) for l, b in zip(labels, boxes)], (600, 800))


def test_rows_panel_avoids_a_digit_in_the_top_left_corner():
    img = np.full((600, 800, 3), 200, np.uint8)
    boxes = [(10, 10, 60, 80), (100, 20, 60, 80), (10, 300, 60, 80)]  # the old panel covered the first digit
    _, panel, _, hidden = _rows_panel(img, ["333", "3"], [(x, y, x + w, y + h) for x, y, w, h in boxes], 0.8, 1)
    assert all(_overlap(panel, (x, y - 30, x + w, y + h)) == 0 for x, y, w, h in boxes) and hidden == 0


@pytest.mark.parametrize("gap", [2, 10, 30])
def test_labels_of_close_digits_do_not_overlap(gap):
    """Narrow boxes side by side (the portrait example): each label gets its own place."""
    img = np.full((640, 480, 3), 230, np.uint8)
    boxes = [(80 + i * (35 + gap), 120 + (i % 2) * 10, 35, 55) for i in range(4)]
    boxes += [(80 + i * (35 + gap), 200, 35, 55) for i in range(4)]
    r = reading(boxes, conf=0.62)
    placed = _place_labels(img, r.digits, [], 0.8, 1)
    rects = [rect for _, rect, _, _ in placed]
    assert all(_overlap(a, b) == 0 for a, b in itertools.combinations(rects, 2)), rects
    assert all(0 <= x0 and x1 <= 480 and 0 <= y0 and y1 <= 640 for x0, y0, x1, y1 in rects)


def test_annotate_keeps_the_frame_size_and_draws():
    img = np.full((480, 640, 3), 200, np.uint8)
    out = annotate(img, reading([(10, 10, 60, 80), (300, 200, 50, 70)], ["4", "?"], 0.95))
    assert out.shape == img.shape and (out != img).any()
    assert (img == 200).all()  # the input is left alone


def test_a_panel_that_would_hide_a_digit_goes_in_a_margin_of_a_saved_picture():
    """A page full of digits has no free corner: the rows panel covered the first digits of the top rows."""
    img = np.full((600, 800, 3), 200, np.uint8)
    boxes = [(x, y, 40, 60) for y in (20, 120, 220, 320, 420, 520) for x in range(10, 760, 60)]
    r = reading(boxes)
    framed = annotate(img, r)  # a video frame keeps its size: the panel hides some digits
    saved = annotate(img, r, margin=True)
    assert framed.shape == img.shape
    assert any((framed[y + bh // 2, x] == 255).all() for x, y, bw, bh in boxes)  # under the panel
    h, w = saved.shape[:2]
    assert h == 600 and w > 800
    assert (saved[:, 800:] != 200).any() and (saved[:, :800] == framed[:, :800]).any()
    # every digit's box is drawn whole: its outline differs from the page all around
    for x, y, bw, bh in boxes:
        assert (saved[y + bh // 2, x] != 200).any() and (saved[y + bh // 2, x + bw - 1] != 200).any()
    # no free corner needed: nothing changes
    few = reading([(300, 250, 40, 60)])
    assert annotate(img, few, margin=True).shape == img.shape
