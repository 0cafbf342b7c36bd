"""MNIST-style normalization of one digit: the way the MNIST images themselves were made.

The longer side of the digit's bounding box is scaled to 20 px (aspect ratio kept,
area interpolation), the result is placed in a 28×28 field and shifted so that its
centre of mass sits at the field's centre. Ink is bright on black, values in [0, 1].
Before that, :func:`match_stroke` redraws a photographed digit with MNIST's stroke width
(thin pens thickened, markers thinned), so every writer's strokes look like MNIST's.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28
BOX = 20
# Where MNIST's centres of mass sit (row, col) with pixel centres at .5: measured on the
# training set as (14.49, 14.50) ± 0.29, i.e. on pixel index 14, not on the field's middle.
CENTER = (14.5, 14.5)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def normalize_digit(ink: np.ndarray, box: int = BOX, size: int = SIZE) -> np.ndarray:
    """Return a ``size``×``size`` float32 image in [0, 1] from ``ink`` (2-D, ink > 0 on a 0 background)."""
    out = np.zeros((size, size), np.float32)
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        return out
    if not cv2.checkRange(ink)[0]:  # NaN or ±inf somewhere
        ink = np.nan_to_num(ink, nan=0.0, posinf=0.0, neginf=0.0)
    # bounding box of the ink (> 0), then negatives clipped on the crop only (same values, less work)
    x, y, w, h = cv2.boundingRect((ink > 0).view(np.uint8))
    if w == 0:
        return out
    return _place(np.maximum(ink[y: y + h, x: x + w], 0), out, box, size)


def normalize_clean(ink: np.ndarray, box: int = BOX, size: int = SIZE) -> np.ndarray:
    """:func:`normalize_digit` for a 2-D float32 image already finite and ≥ 0 (skips those checks; same result)."""
    out = np.zeros((size, size), np.float32)
    x, y, w, h = cv2.boundingRect((ink > 0).view(np.uint8))
    if w == 0:
        return out
    return _place(ink[y: y + h, x: x + w], out, box, size)


def _place(crop: np.ndarray, out: np.ndarray, box: int, size: int) -> np.ndarray:
    """Scale the ink's bounding-box ``crop`` to ``box`` px and put its centre of mass at CENTER of ``out``."""
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, min(box, round(h * scale))), max(1, min(box, round(w * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, (nw, nh), interpolation=interpolation)
    peak = cv2.minMaxLoc(small)[1]
    if peak < FLOAT32_TINY:  # no ink, or only subnormal specks whose 1/peak would overflow to inf
        return out
    small *= 1.0 / peak
    m = cv2.moments(small)
    cy, cx = (m["m01"] / m["m00"], m["m10"] / m["m00"]) if m["m00"] > 0 else ((nh - 1) / 2, (nw - 1) / 2)
    top = min(max(round(CENTER[0] - 0.5 - cy), 0), size - nh)
    left = min(max(round(CENTER[1] - 0.5 - cx), 0), size - nw)
    out[top: top + nh, left: left + nw] = small
    return out


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a 2-D image, with pixel centres at .5."""
    m = cv2.moments(np.asarray(image, np.float32))
    if m["m00"] <= 0:
        return (image.shape[0] / 2, image.shape[1] / 2)
    return (m["m01"] / m["m00"] + 0.5, m["m10"] / m["m00"] + 0.5)


# ---------------------------------------------------------------------------- stroke width

CANON = 56           # digits are redrawn with their longer side this long (2.8 × MNIST's 20 px box)
STROKE_TARGET = 5.2    # MNIST's median stroke width at CANON scale (7.4 px at 4×, measured on the test set)

_K3 = np.ones((3, 3), np.uint8)
_DISKS = {k: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k + 1, k + 1)) for k in range(1, 40)}


def match_stroke(soft: np.ndarray) -> np.ndarray:
    """Redraw ``soft`` (ink in [0, 1]) with its longer side CANON px and MNIST's stroke width."""
    h, w = soft.shape
    s = CANON / max(h, w, 1)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    big = cv2.resize(soft, (nw, nh), interpolation=interp)
    pad = 8
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    sw = stroke_width(big)
    if sw <= 0:
        return big
    if sw < STROKE_TARGET * 0.8:
        k = min(39, int(round(STROKE_TARGET - sw)))
        if k >= 1:
            big = cv2.dilate(big, _DISKS[k])
    elif sw > STROKE_TARGET * 1.7:
        k = min(39, int(round((sw - STROKE_TARGET * 1.3))))
        if k >= 1:
            thin = cv2.erode(big, _DISKS[k])
            if cv2.minMaxLoc(thin)[1] > 0.5:
                big = thin
    return big


def stroke_width(img: np.ndarray) -> float:
    """Mean stroke width (px) of ink > 0.5: 2 × area / boundary length."""
    m = cv2.threshold(img, 0.5, 1.0, cv2.THRESH_BINARY)[1]
    a = cv2.countNonZero(m)
    if a == 0:
        return 0.0
    b = a - cv2.countNonZero(cv2.erode(m, _K3))
    return 2.0 * a / max(b, 1)
