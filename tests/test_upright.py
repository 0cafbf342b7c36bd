"""edgecnn.upright and the reader's second reading of a turned page."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edgecnn.upright import box_back, row_tilt, turn


@pytest.fixture(scope="module")
def readers():
    from edgecnn import DigitReader

    return DigitReader(min_confidence=0.0), DigitReader(min_confidence=0.0, upright=False)


def test_row_tilt_is_the_rows_pooled_slope():
    # two rows falling 1 px in 10 to the right, one of them higher; centres jitter with the digits' heights
    boxes = [(x, 100 + x // 10 + dy, 30, 40 + 2 * dy) for x, dy in zip(range(0, 300, 60), (0, 2, -2, 1, 0))]
    boxes += [(x, 300 + x // 10, 30, 40) for x in range(0, 240, 60)]
    tilt = row_tilt(boxes, [list(range(5)), list(range(5, 9))])
    assert tilt == pytest.approx(math.degrees(math.atan(0.1)), abs=1.0)
    assert row_tilt(boxes, [[0, 1], [5, 6]]) is None  # two digits make no row to measure


def test_turn_holds_the_whole_picture_and_maps_boxes_back():
    gray = np.full((200, 300), 230, np.uint8)
    gray[20:60, 250:280] = 0  # a dark block near a corner
    turned, back = turn(gray, 12.0)
    assert turned.shape[1] > 300 and turned.shape[0] > 200  # the corners are kept, not cut off
    assert int(turned.min()) == 0 and turned[0, 0] == 230  # the block is inside, the corners continue the border
    x, y, w, h = cv2.boundingRect((turned < 115).view(np.uint8))
    bx, by, bw, bh = box_back((x, y, w, h), back, 300, 200)
    # the upright box that holds the block, turned back: the block, wider by the two turns' corners
    assert bx <= 250 and by <= 20 and bx + bw >= 280 and by + bh >= 60
    c, s = math.cos(math.radians(12)), math.sin(math.radians(12))
    w1, h1 = 30 * c + 40 * s, 30 * s + 40 * c
    assert bw <= w1 * c + h1 * s + 3 and bh <= w1 * s + h1 * c + 3


@pytest.mark.parametrize("seed", [1001, 1053])
def test_a_photo_turned_12_degrees_reads_as_upright(readers, seed):
    """Turned clockwise by 12°, an open 4's arm stood apart from its stem (1001 read 174372 as 1754372) and a row's
    last digit fell into the row below (1053): read turned level, both read as the upright photo does."""
    from edgecnn.tooling.synth import make_photo, turned

    upright, plain = readers
    p = make_photo(seed)
    image = turned(p.image, -12.0)
    assert plain.read(image).rows != p.rows
    reading = upright.read(image)
    assert reading.rows == p.rows
    # each box, in the turned photo's pixels, holds its digit: the photo's boxes turned the same way
    m = cv2.getRotationMatrix2D((p.image.shape[1] / 2, p.image.shape[0] / 2), -12.0, 1.0)
    for d, (x, y, w, h) in zip(reading.digits, p.boxes):
        cx, cy = m @ np.array([x + w / 2, y + h / 2, 1.0])
        bx, by, bw, bh = d.box
        assert bx <= cx <= bx + bw and by <= cy <= by + bh


def test_a_rising_row_of_upright_digits_keeps_its_reading(readers):
    """Writing that rises across a level page (each digit upright, the row at 8°) is read as it was: turned level,
    its digits would lean, and the surer reading is the first."""
    from edgecnn.tooling.synth import mnist_test

    images, ys = mnist_test()
    page = np.full((360, 640), 235, np.uint8)
    labels = (3, 1, 4, 7, 2)
    for c, want in enumerate(labels):
        d = cv2.resize(images[int(np.flatnonzero(ys == want)[3])], (84, 84), interpolation=cv2.INTER_CUBIC)
        x0, y0 = 40 + c * 110, 220 - round(c * 110 * math.tan(math.radians(8)))
        page[y0: y0 + 84, x0: x0 + 84] = np.minimum(page[y0: y0 + 84, x0: x0 + 84], 255 - d)
    upright, plain = readers
    assert upright.read(page).rows == plain.read(page).rows == ["".join(map(str, labels))]
