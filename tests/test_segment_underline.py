"""A line drawn under a row of digits (an underline, a sum's bar) is no piece of them, whether or not it touches them."""

from __future__ import annotations

import cv2
import pytest

from edgecnn.segment import segment
from edgecnn.tooling.synth import make_photo, underlined
from runtime_helpers import digits_image


@pytest.mark.parametrize("gap, least", [((0.1, 0.3), 27), ((-0.05, 0.05), 23)], ids=["apart", "touching"])
def test_underlined_bench_photos_keep_their_digits(gap, least):
    """Bench photos (seeds 1000–1029) with a line under each row: before, the line was merged with the digits over it
    (as a broken stroke's lower piece) or touched them, and chained the row into one candidate (7 and 8 of 30 kept
    their digits). A line touching a single digit it outruns less than 3 times is not cut (a 2's long foot)."""
    right = 0
    for seed in range(1000, 1030):
        p = make_photo(seed)
        seg = segment(underlined(p, seed, gap))
        right += [len(r) for r in seg.rows] == [len(r) for r in p.rows]
    assert right >= least, right


def _joined_by_a_line(at: str):
    """Two rows of 3 1 4 7 with a pen line through the first row's feet, touching every digit of it (``at="foot"``),
    or with the second row moved up under that line, so that it touches the second row's heads too (``"between"``)."""
    img, truth, boxes = digits_image((3, 1, 4, 7), rows=2, size=(800, 260))  # the line under half the width: no rule
    first, second = boxes[:4], boxes[4:]
    y = min(b[1] + b[3] for b in first) - 3  # through every digit's lowest stroke
    if at == "between":  # the second row's highest head 4 px under the line's middle
        up = min(b[1] for b in second) - (y + 4)
        top = min(b[1] for b in second) - 4
        img[top - up:-up] = img[top:].copy()
        img[img.shape[0] - up:] = 235
    cv2.line(img, (min(b[0] for b in first) - 12, y), (max(b[0] + b[2] for b in first) + 12, y), 30, 5)
    return img


@pytest.mark.parametrize("at", ["foot", "between"])
def test_a_line_joined_to_the_digits_is_cut_away(at):
    seg = segment(_joined_by_a_line(at))
    assert [len(r) for r in seg.rows] == [4, 4]
