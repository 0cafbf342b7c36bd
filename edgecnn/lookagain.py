"""A second look at the digits the model is unsure of: the crop moved a little, the readings averaged.

A photographed digit sits in its 28×28 field a pixel or a few degrees away from where MNIST's would, and a
reading near a class boundary (a crossed 7 against a 9, a flagged 1 against a 9) can turn on that. For every
reading under ``UNSURE``, the crop is also read shifted one pixel up, down, left and right and turned ±10°
about its centre of mass, and the mean of the seven readings stands (test-time augmentation). Sure readings,
nearly all of a camera frame's, are not read again; the unsure ones of an image go to the model in one batch.
"""

from __future__ import annotations

from typing import Callable, Sequence

import cv2
import numpy as np

from .normalize import CENTER, SIZE

UNSURE = 0.9                                    # readings under this are looked at again
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))     # (dx, dy) px
TURNS = (-10.0, 10.0)                           # degrees, about the centre of mass (where MNIST puts it)

_PIVOT = (CENTER[1] - 0.5, CENTER[0] - 0.5)     # (x, y) in pixel indices
_MOVES = [np.float32([[1, 0, dx], [0, 1, dy]]) for dx, dy in SHIFTS] + \
         [cv2.getRotationMatrix2D(_PIVOT, angle, 1.0) for angle in TURNS]


def views(crop: np.ndarray) -> list[np.ndarray]:
    """``crop`` (28×28 float32) and its moved copies (ink moved out of the field is lost, none moves in)."""
    return [crop] + [cv2.warpAffine(crop, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0) for m in _MOVES]


def look_again(crops: Sequence[np.ndarray], probs: np.ndarray, classify: Callable[[np.ndarray], np.ndarray],
               unsure: float = UNSURE) -> np.ndarray:
    """``probs`` with each row under ``unsure`` replaced by the mean over :func:`views` of its crop.

    ``crops``: the 28×28 float32 crops (any sequence, one per row of ``probs``: N×classes); ``classify`` maps an
    N×28×28×1 batch to probabilities.
    """
    low = np.flatnonzero(probs.max(axis=1) < unsure) if len(probs) else np.zeros(0, np.intp)
    if low.size == 0:
        return probs
    batch = np.stack([v for i in low for v in views(np.reshape(crops[i], (SIZE, SIZE)))])[..., None]
    out = probs.copy()
    out[low] = classify(batch).reshape(low.size, -1, probs.shape[1]).mean(axis=1)
    return out
