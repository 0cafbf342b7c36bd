"""A digit filling a close-up: its strokes touch every side of the image (issue 13, class 3)."""

from __future__ import annotations

import cv2
import numpy as np

from edgecnn import DigitReader
from edgecnn.segment import segment
from edgecnn.tooling.synth import mnist_test


def _closeup(label: int, k: int = 0) -> np.ndarray:
    """The ``k``-th MNIST test ``label`` cut to its ink's box and blown up 20×: a marker digit filling the frame."""
    images, ys = mnist_test()
    d = images[np.flatnonzero(ys == label)[k]]
    rows, cols = np.nonzero(d > 50)
    d = d[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    big = cv2.resize(d, (d.shape[1] * 20, d.shape[0] * 20), interpolation=cv2.INTER_CUBIC)
    return (235 - big.astype(np.float32) * 0.8).astype(np.uint8)


def test_a_digit_filling_the_frame_is_read():
    # before: a component touching the sides and spanning 60% of the image was always dropped as a page edge
    reader = DigitReader()
    right = sum(reader.read(_closeup(label, k)).rows == [str(label)] for label in range(2, 10) for k in range(3))
    assert right >= 16, f"{right}/24"


def test_page_edges_and_frames_still_are_not_digits():
    page = np.full((480, 640), 230, np.uint8)
    cv2.line(page, (0, 400), (640, 300), 60, 3)        # another sheet's edge across the view
    cv2.rectangle(page, (0, 0), (639, 479), 40, 6)     # a frame around it
    assert segment(page).digits == []
