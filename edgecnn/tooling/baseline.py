"""The straightforward digit-reading pipeline, as a yardstick for what edgecnn's frame costs.

What most digit-reading repositories do: grey → inverse Otsu threshold → external contours with
an area over 50 px → each box padded to a square plus a 4 px border → 28×28 area resize. It is a
segmenter (``image → Segmentation``), so ``DigitReader(segmenter=straightforward)`` reads with it,
through the same model and the same one batched onnxruntime call as edgecnn's own pipeline:
:mod:`edgecnn.tooling.frametime` and ``edgecnn bench --frames`` time the two interleaved on the
same frames. It has none of edgecnn's illumination, line erasure, grouping, reading order or
stroke matching, so it misreads photos that edgecnn reads; it is here for its time, not its answers.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..segment import Found, Segmentation, to_gray

MIN_AREA = 50   # contours at most this big (px²) are noise
BORDER = 4      # px of background around the square before the resize


def straightforward(image) -> Segmentation:
    """Digits as the usual tutorial pipeline finds them: one row, left to right."""
    gray = to_gray(image)
    binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = sorted(cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > MIN_AREA)
    out = Segmentation()
    for x, y, w, h in boxes:
        side = max(w, h)
        square = np.zeros((side, side), np.uint8)
        top, left = (side - h) // 2, (side - w) // 2
        square[top: top + h, left: left + w] = binary[y: y + h, x: x + w]
        square = cv2.copyMakeBorder(square, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=0)
        crop = cv2.resize(square, (28, 28), interpolation=cv2.INTER_AREA).astype(np.float32) * np.float32(1 / 255)
        out.digits.append(Found((x, y, w, h), 0, crop))
    out.regroup()
    return out
