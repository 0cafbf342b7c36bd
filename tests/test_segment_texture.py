"""Textured paper (a dot grid's printed dots, flecks in recycled paper or a speckled surface) is no writing: the dots
neither set the digit height nor are read as digits, and a row of dots is no printed line to erase."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgecnn.segment import segment
from edgecnn.tooling.synth import make_photo, textured
from runtime_helpers import digits_image


@pytest.mark.parametrize("kind, least", [("dots", 26), ("flecks", 27)])
def test_textured_bench_photos_keep_their_digits(kind, least):
    """Bench photos (seeds 1000–1029) on textured paper: before, a dozen dots or more set the digit height to their
    own, and each was read as a digit (dozens to hundreds a photo; 15 and 11 of 30 kept their digit counts)."""
    right = 0
    for seed in range(1000, 1030):
        p = make_photo(seed)
        seg = segment(textured(p.image, seed, kind))
        right += [len(r) for r in seg.rows] == [len(r) for r in p.rows]
    assert right >= least, right


def _dot_grid(img: np.ndarray, pitch: int = 16, level: int = 140, offset: int = 5, radius: int = 1) -> np.ndarray:
    out = img.copy()
    for y in range(offset, img.shape[0], pitch):
        for x in range(offset, img.shape[1], pitch):
            cv2.circle(out, (x, y), radius, level, -1, cv2.LINE_AA)
    return np.minimum(out, img)


def test_a_page_of_dots_alone_holds_no_digits():
    page = _dot_grid(np.full((480, 640), 225, np.uint8))
    assert segment(page).digits == []


@pytest.mark.parametrize("pitch", [20, 40])
@pytest.mark.parametrize("radius", [1, 2])
def test_dots_among_few_digits_are_dropped(pitch, radius):
    """Three digits on a dot grid: before, the dots (190 to 770 of them) set the digit height and were read as 10 to
    22 rows of digits."""
    img, truth, _ = digits_image((3, 1, 4), size=(640, 480))
    seg = segment(_dot_grid(img, pitch=pitch, level=120, radius=radius))
    assert [len(r) for r in seg.rows] == [3]


def test_a_row_of_dots_through_the_digits_is_no_line():
    """A row of the grid's dots runs through the middle of a row of digits: taken for a printed line, it was drawn as
    one and wiped the strokes along it, cutting each digit in two (its points cover 15–40% of its span; a printed
    line's, crossed by strokes, most of it)."""
    img, truth, boxes = digits_image((2, 0, 8, 5), rows=2, size=(640, 300))
    middle = boxes[0][1] + boxes[0][3] // 2
    seg = segment(_dot_grid(img, pitch=14, level=110, offset=middle % 14))
    assert [len(r) for r in seg.rows] == [4, 4]


def test_a_pencil_digit_cut_into_chunks_by_a_grid_is_no_texture():
    """Squared bench photo 7019: the grid's lines cut a pencil 3 into compact chunks a third of a digit tall, a dozen
    of them, that passed for texture and went (the row "303" read "3"); a dot is under 2.5% of the picture's side."""
    from edgecnn.reader import DigitReader

    p = make_photo(7019, paper="squared")
    assert DigitReader().read(p.image).rows == p.rows == ["303"]
