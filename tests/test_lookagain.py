"""A second look at unsure readings: the crop moved a pixel or turned a little, the readings averaged."""

from __future__ import annotations

import numpy as np

from edgecnn.lookagain import UNSURE, look_again, views
from edgecnn.normalize import center_of_mass


def _digit() -> np.ndarray:
    crop = np.zeros((28, 28), np.float32)
    crop[6:23, 12:17] = 1.0  # a 1, its centre of mass near MNIST's
    return crop


class _Edgy:
    """Reads the crop it was shown as a 9 (55%), any other view as a 7 (80%); counts the crops it reads."""

    def __init__(self, original: np.ndarray):
        self.original, self.seen = original, 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.seen += len(batch)
        out = np.zeros((len(batch), 10), np.float32)
        for k, crop in enumerate(batch.reshape(len(batch), 28, 28)):
            out[k, 9], out[k, 7] = (0.55, 0.45) if np.array_equal(crop, self.original) else (0.2, 0.8)
        return out


def test_views_are_the_crop_moved_a_pixel_four_ways_and_turned_both_ways():
    crop = _digit()
    moved = views(crop)
    assert len(moved) == 7 and moved[0] is crop
    cy, cx = center_of_mass(crop)
    shifts = {tuple(np.round(np.subtract(center_of_mass(v), (cy, cx)), 3)) for v in moved[1:5]}
    assert shifts == {(0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0)}
    for turned in moved[5:]:  # turned about the centre of mass: it stays, the ink is kept
        assert np.allclose(center_of_mass(turned), (cy, cx), atol=0.3)
        assert abs(turned.sum() - crop.sum()) < 0.05 * crop.sum()
        assert not np.array_equal(turned, crop)


def test_an_unsure_reading_is_the_mean_of_its_views():
    crop = _digit()
    classify = _Edgy(crop)
    probs = classify(crop[None, ..., None])
    out = look_again(crop[None, ..., None], probs, classify)
    assert out.argmax() == 7  # the moved views outvote the edgy first reading
    assert np.isclose(out[0, 7], (0.45 + 6 * 0.8) / 7) and np.isclose(out[0].sum(), 1.0)
    assert probs[0, 9] == np.float32(0.55)  # the input is left as it was


def test_sure_readings_are_not_read_again_and_the_unsure_ones_go_in_one_batch():
    crops = np.stack([_digit()] * 5)[..., None]
    probs = np.zeros((5, 10), np.float32)
    probs[:, 3] = [0.99, 0.5, UNSURE, 0.6, 0.95]
    calls = []

    def classify(batch):
        calls.append(len(batch))
        return np.full((len(batch), 10), 0.1, np.float32)

    out = look_again(crops, probs, classify)
    assert calls == [2 * 7]  # the two under UNSURE, seven views each, one call
    assert np.array_equal(out[[0, 2, 4]], probs[[0, 2, 4]])
    assert np.allclose(out[[1, 3]], 0.1)
    assert look_again(crops[:0], probs[:0], classify) is not None and calls == [14]  # nothing to read: no call


def test_the_reader_looks_again_at_what_it_is_unsure_of():
    from edgecnn import DigitReader
    from edgecnn.segment import Found, Segmentation

    crop = _digit()

    class Model:
        labels = [str(k) for k in range(10)]
        predict = _Edgy(crop)

    def one_box(image):
        return Segmentation(digits=[Found((0, 0, 10, 10), 0, crop)], rows=[[0]])

    reading = DigitReader(segmenter=one_box, classifier=Model()).read(np.zeros((40, 40), np.uint8))
    assert reading.rows == ["7"] and np.isclose(reading.digits[0].confidence, (0.45 + 6 * 0.8) / 7)
    once = DigitReader(segmenter=one_box, classifier=Model(), look_again=False).read(np.zeros((40, 40), np.uint8))
    assert once.rows == ["9"]  # the straightforward yardstick of `edgecnn bench` reads each crop once
