"""Writing of two sizes on one page: small digits among big ones are read, dots beside numbers are not."""

from __future__ import annotations

import cv2
import numpy as np

from edgecnn.segment import segment
from edgecnn.tooling.synth import mnist_test


def _page(small_size: int = 22, dot: bool = False):
    """A 960×720 page: three big marker digits in a row, two small ones on a line of their own (and a full stop)."""
    images, ys = mnist_test()
    page = np.full((720, 960), 238, np.uint8)

    def put(label, x, y, size, k=0):
        d = images[np.flatnonzero(ys == label)[k]]
        d = cv2.resize(d, (size, size), interpolation=cv2.INTER_CUBIC)
        page[y: y + size, x: x + size] = np.minimum(page[y: y + size, x: x + size], 255 - d)

    for i, label in enumerate((4, 1, 3)):
        put(label, 120 + 260 * i, 80, 200)
    put(6, 200, 520, small_size)
    put(7, 600, 520, small_size)
    if dot:
        cv2.circle(page, (330, 270), 5, 30, -1)  # a full stop after the big digits' row
    return page


def test_small_digits_beside_big_ones_are_kept():
    # before: anything under 0.4 of the page's digit height was dropped as a speck
    seg = segment(_page())
    assert [len(r) for r in seg.rows] == [3, 2]


def test_a_full_stop_and_specks_stay_out():
    seg = segment(_page(dot=True))
    assert [len(r) for r in seg.rows] == [3, 2]  # the dot is solid and beside a digit
    assert [len(r) for r in segment(_page(small_size=10)).rows] == [3]  # too small to read: specks
