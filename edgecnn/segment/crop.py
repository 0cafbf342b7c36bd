"""One candidate → the 28×28 crop the model sees: its own grey-level ink, normalized like MNIST."""

from __future__ import annotations

import cv2
import numpy as np

from ..normalize import match_stroke, normalize_clean

_K3 = np.ones((3, 3), np.uint8)
_LEVELS32 = np.arange(256, dtype=np.float32)


def digit_crop(ink: np.ndarray, labels: np.ndarray, box, ids) -> np.ndarray:
    """The 28×28 crop of one digit: its own grey-level ink, MNIST stroke width, normalized."""
    x, y, w, h = box
    own = labels[y: y + h, x: x + w]
    mask = ((own == ids[0]) if len(ids) == 1 else np.isin(own, ids)).view(np.uint8) * np.uint8(255)
    # the digit's outline filled: the faint ink inside its loops belongs to it too
    outline, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(mask, outline, -1, 255, -1)
    mask = cv2.dilate(mask, _K3)
    roi = cv2.bitwise_and(ink[y: y + h, x: x + w], mask)
    # the stroke's core level: 75th percentile of the digit's own ink pixels (roi is 0 off the mask)
    hist = cv2.calcHist([roi], [0], None, [256], [0, 256]).ravel()
    hist[0] = 0
    total = cv2.countNonZero(roi)  # = the histogram's sum without level 0
    hi = float(hist.cumsum().searchsorted(0.75 * total)) if total else 1.0
    # min(ink / hi, 1) as a 256-entry float32 table (same float32 arithmetic, one pass over the pixels)
    soft = cv2.LUT(roi, np.minimum(_LEVELS32 * (1.0 / max(hi, 1.0)), 1.0))
    return normalize_clean(match_stroke(soft))
