"""A page photographed turned: its rows' tilt, and the picture turned upright for a second reading.

Segmentation's rules (pieces of one digit stacked or side by side, rows chained left to right) and the
classifier (MNIST's digits stand upright) expect writing that runs level. A sheet photographed turned by
10–15° breaks an open 4 or a 5's cap from its digit and chains rows wrongly. The tilt is measured on the first
reading's rows (:func:`row_tilt`); past ``TILT_MIN`` the reader reads the picture turned upright too
(:func:`turn`) and keeps the reading the classifier is clearly surer of (``SURER``): a row written rising across an
upright page, its digits upright, reads as well or better as it was (``edgecnn.reader``).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

TILT_MIN = 5.0    # degrees: rows tilted less than this are read as they are
ROW_MIN = 3       # the tilt is measured on rows of at least this many digits
SURER = 0.005     # the turned reading stands when its mean confidence is this much higher (near 1, ties are noise)


def row_tilt(boxes, rows) -> float | None:
    """The rows' tilt in degrees (positive: falling to the right, image y down), or None without a row of
    ``ROW_MIN`` boxes. One least-squares slope of the box centres, each row about its own mean (pooled)."""
    sxy = sxx = 0.0
    for row in rows:
        if len(row) < ROW_MIN:
            continue
        c = np.array([(boxes[i][0] + boxes[i][2] / 2, boxes[i][1] + boxes[i][3] / 2) for i in row], np.float64)
        d = c - c.mean(axis=0)
        sxy += float(d[:, 0] @ d[:, 1])
        sxx += float(d[:, 0] @ d[:, 0])
    return math.degrees(math.atan2(sxy, sxx)) if sxx > 0 else None


def turn(gray: np.ndarray, degrees: float, border: int = cv2.BORDER_REPLICATE) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` turned by ``degrees`` (OpenCV's sense: positive turns counter-clockwise) on a canvas that holds
    all of it, its border continued outward (a filled corner would add straight edges that read as 1s; ``border``
    ``cv2.BORDER_CONSTANT`` fills it with 0 instead); and the 2×3 affine map from the turned picture's pixels back
    to ``gray``'s."""
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(math.ceil(h * sin + w * cos)), int(math.ceil(h * cos + w * sin))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    turned = cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=border)
    return turned, cv2.invertAffineTransform(m)


def box_back(box, back: np.ndarray, w0: int, h0: int) -> tuple[int, int, int, int]:
    """The box (x, y, w, h) of the turned picture as the upright box that holds it in the ``w0``×``h0``
    picture ``back`` maps to (outward to whole pixels, inside the picture)."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ back.T
    x0, y0 = (int(max(0, min(v, lim - 1))) for v, lim in zip(np.floor(corners.min(axis=0)), (w0, h0)))
    x1, y1 = (int(min(v, lim)) for v, lim in zip(np.ceil(corners.max(axis=0)), (w0, h0)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)
