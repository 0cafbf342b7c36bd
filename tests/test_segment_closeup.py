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


def _ink_share(img: np.ndarray) -> float:
    return float((img < 150).mean())


def test_a_digit_covering_half_the_close_up_is_read():
    # before: the ink set the paper's median and spread (the noise so measured swallowed the ink), and ink over 0.4 of
    # the picture was dropped as noise: all these read nothing
    reader = DigitReader()
    crowded = [(label, k) for label in (0, 2, 3, 4, 5, 6, 8, 9) for k in range(10)
               if _ink_share(_closeup(label, k)) >= 0.4]
    assert len(crowded) >= 15
    right = sum(reader.read(_closeup(label, k)).rows == [str(label)] for label, k in crowded)
    assert right >= 0.8 * len(crowded), f"{right}/{len(crowded)}"


def test_the_paper_statistics_of_a_half_inked_picture_are_the_papers():
    from edgecnn.segment.components import _hist_stats

    rng = np.random.default_rng(0)
    ink = np.clip(rng.normal(3, 2, (200, 200)), 0, 255)
    ink[:, 90:] = np.clip(rng.normal(200, 20, (200, 110)), 0, 255)  # 55% ink
    med, sigma, otsu, _ = _hist_stats(ink.astype(np.uint8))
    assert med <= 5 and sigma <= 4 and med + 4 * sigma < otsu
    noise = np.clip(rng.normal(20, 15, (200, 200)), 0, 255).astype(np.uint8)  # one spread: measured as it is
    med, sigma, _, _ = _hist_stats(noise)
    assert 17 <= med <= 23 and 12 <= sigma <= 18


def test_ink_over_half_the_picture_is_one_digit_only_when_drawn_in_strokes():
    from edgecnn.segment.components import _filling

    ring = np.zeros((400, 300), np.uint8)
    cv2.ellipse(ring, (150, 200), (110, 180), 0, 0, 360, 255, 70)   # a 0 in a thick marker, filling the frame
    assert [g[0] for g in _filling(ring)[0]] == [(5, 0, 291, 400)]
    mass = np.zeros((400, 300), np.uint8)                           # a dark object's corner: fills half its box,
    cv2.fillPoly(mass, [np.array([[0, 399], [299, 399], [150, 0]], np.int32)], 255)  # but is no stroke
    assert _filling(mass)[0] == []
    grain = (np.random.default_rng(0).random((400, 300)) < 0.5).astype(np.uint8) * 255  # noise: many pieces
    assert _filling(grain)[0] == []


def _drawn(label: int, k: int, size: int = 280, white_on_black: bool = True) -> np.ndarray:
    """The ``k``-th MNIST test ``label`` drawn as in a paint program: a thick round brush, the digit filling 95% of a
    ``size``² canvas, white on black as MNIST is (or black on white)."""
    images, ys = mnist_test()
    d = images[np.flatnonzero(ys == label)[k]]
    rows, cols = np.nonzero(d > 50)
    d = d[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1].astype(np.float32)
    s = 0.95 * size / max(d.shape)
    big = cv2.resize(d, (max(1, round(d.shape[1] * s)), max(1, round(d.shape[0] * s))), interpolation=cv2.INTER_CUBIC)
    brush = int(0.04 * size)
    big = cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (brush, brush))) > 100
    canvas = np.zeros((size, size), np.uint8)
    y0, x0 = (size - big.shape[0]) // 2, (size - big.shape[1]) // 2
    canvas[y0: y0 + big.shape[0], x0: x0 + big.shape[1]][big] = 255
    return canvas if white_on_black else 255 - canvas


def test_a_thick_digit_drawn_white_on_black_is_light_ink():
    # before: with strokes as wide as both polarity windows neither was clear, and dark ink was assumed (the black
    # canvas read as the ink): 9 of these 20 were light ink and 10 read
    from edgecnn.segment.paper import _polarity

    cases = [(label, k) for label in (0, 3, 8, 9) for k in range(5)]
    light = sum(_polarity(cv2.resize(_drawn(label, k), (70, 70), interpolation=cv2.INTER_AREA)) == "light"
                for label, k in cases)
    assert light >= 18, f"{light}/{len(cases)}"
    reader = DigitReader()
    right = sum(reader.read(_drawn(label, k)).rows == [str(label)] for label, k in cases)
    assert right >= 16, f"{right}/{len(cases)}"
    # the same digits black on white stay dark ink
    dark = sum(_polarity(cv2.resize(_drawn(label, k, white_on_black=False), (70, 70), interpolation=cv2.INTER_AREA))
               == "dark" for label, k in cases)
    assert dark >= 19, f"{dark}/{len(cases)}"


def test_when_no_window_is_clear_the_rim_tells_the_paper_of_a_two_levelled_picture():
    from edgecnn.segment.gray import otsu
    from edgecnn.segment.paper import TWO_LEVELS, _polarity

    def two_levels(img):
        return otsu(cv2.calcHist([img], [0], None, [256], [0, 256]).ravel())[2] >= TWO_LEVELS

    drawn = cv2.resize(_drawn(4, 0), (70, 70), interpolation=cv2.INTER_AREA)
    assert two_levels(drawn) and _polarity(drawn) == "light"
    noise = np.random.default_rng(0).integers(100, 156, (70, 70), dtype=np.uint8)  # one spread: dark, the default
    assert not two_levels(noise)
    assert _polarity(noise) == "dark"
