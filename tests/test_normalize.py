"""MNIST-style normalization of segmented crops: 20-px box, centre of mass at the centre, range."""

from __future__ import annotations

import numpy as np
import pytest

from edgecnn.normalize import center_of_mass, normalize_digit
from edgecnn.segment import segment
from runtime_helpers import digits_image


def _bbox(img):
    ys, xs = np.nonzero(img > 0.05)
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


@pytest.mark.parametrize("labels", [(0, 1, 2), (3, 4, 5), (6, 7, 8, 9)])
def test_crops_are_mnist_like(labels):
    img, _, _ = digits_image(labels)
    seg = segment(img)
    assert len(seg.digits) == len(labels)
    for d in seg.digits:
        c = d.crop
        assert c.shape == (28, 28) and c.dtype == np.float32
        assert c.min() >= 0 and c.max() <= 1 and c.max() > 0.9
        h, w = _bbox(c)
        assert max(h, w) in (19, 20, 21)  # longer side ≈ 20 px (a faint edge pixel may add one)
        cy, cx = center_of_mass(c)
        assert abs(cy - 14.5) <= 1.0 and abs(cx - 14.5) <= 1.0


def test_normalize_mnist_roundtrip(mnist_test):
    x = mnist_test.images[:200].astype(np.float32) / 255
    diff = np.mean([np.abs(normalize_digit(a) - a).mean() for a in x])
    assert diff < 1e-3


def test_normalize_odd_inputs():
    assert normalize_digit(np.zeros((0, 0))).shape == (28, 28)
    assert normalize_digit(np.full((3, 3), np.nan)).max() == 0
    one = normalize_digit(np.ones((1, 1)))
    assert one.max() == 1 and one.sum() == 400  # a 1×1 dot is scaled to the 20×20 box
    wide = normalize_digit(np.ones((2, 100)))
    assert _bbox(wide)[1] == 20
