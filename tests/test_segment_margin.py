"""A long upright line beside the writing (a notebook's printed margin rule, a pen's line down the page) is no digit,
nor part of the digit that touches it; a close-up's long 1 is no such line."""

from __future__ import annotations

import cv2
import numpy as np

from edgecnn.segment import segment
from edgecnn.tooling.synth import make_photo, margined
from runtime_helpers import digits_image


def _row():
    img, _, boxes = digits_image((8, 3, 5), size=(480, 360))
    return img, boxes[0][0]  # the first digit's left edge


def test_a_printed_margin_rule_touching_a_digit_is_erased():
    """A lone thin red rule from top to bottom through the first digit's left edge: with no second line parallel to
    it, the eraser left it, and the digit joined to it was dropped with it as a page edge."""
    img, x = _row()
    page = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    cv2.line(page, (x, 0), (x, img.shape[0] - 1), (90, 90, 220), 2, cv2.LINE_AA)
    seg = segment(np.minimum(page, cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)))
    assert [len(r) for r in seg.rows] == [3]


def test_a_pen_line_down_the_page_is_cut_from_the_digit_it_touches():
    """A pen's line 4 px wide, too thick for a printed rule, not reaching the picture's border: cut away as a line
    under digits is (the digit joined to it was dropped as a rule much taller than the writing)."""
    img, x = _row()
    cv2.line(img, (x, 12), (x + 3, img.shape[0] - 13), 40, 4)
    assert [len(r) for r in segment(img).rows] == [3]


def test_a_close_up_long_one_is_no_margin_rule():
    for thick, (top, bottom) in ((9, (30, 270)), (4, (10, 290))):
        img = np.full((300, 220), 230, np.uint8)
        cv2.line(img, (110, top), (114, bottom), 30, thick)
        assert len(segment(img).digits) == 1


def test_margined_bench_photos_keep_their_digits():
    """Bench photos (seeds 1000–1029) with a margin rule down the left side: before, a digit touching it was lost, and
    a stretch of it that stood out was read as a 1 (27 of 30 kept their digit counts)."""
    right = 0
    for seed in range(1000, 1030):
        p = make_photo(seed)
        right += [len(r) for r in segment(margined(p.image, seed)).rows] == [len(r) for r in p.rows]
    assert right >= 29, right
