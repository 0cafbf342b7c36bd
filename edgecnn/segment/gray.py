"""Input: any image array to uint8 grey, and the check that a frame can hold writing at all."""

from __future__ import annotations

import cv2
import numpy as np

_LEVELS = np.arange(256, dtype=np.float64)

def to_gray(image) -> np.ndarray:
    """Any 2-D or 3-D numeric array → 2-D uint8 grey (BGR channel order, alpha composited onto white)."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or a.size == 0:
        shape = a.shape[:2] if a.ndim >= 2 else (1, 1)
        return np.full(shape, 255, np.uint8)
    a = to_u8(a)
    if a.ndim == 2:
        return a
    c = a.shape[2]
    if c == 2:
        gray, alpha = a[:, :, 0], a[:, :, 1]
    elif c == 3:
        return cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_BGR2GRAY)
    else:
        gray = cv2.cvtColor(np.ascontiguousarray(a[:, :, :3]), cv2.COLOR_BGR2GRAY)
        alpha = a[:, :, 3] if c == 4 else None
    if alpha is None or alpha.min() == 255:
        return np.ascontiguousarray(gray)
    al = alpha.astype(np.float32) / 255.0
    return np.round(gray * al + 255.0 * (1.0 - al)).astype(np.uint8)


def to_u8(a: np.ndarray) -> np.ndarray:
    """Any numeric array → uint8: 16/12-bit scaled by their full range, floats in [0, 1] or their own range."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if np.issubdtype(a.dtype, np.integer):
        hi = int(a.max())
        lo = int(a.min())
        if lo >= 0 and hi <= 255:
            return a.astype(np.uint8)
        if lo >= 0:  # 16-bit (or 12-bit in 16): scale by the brightest value the type can hold
            full = 65535 if hi > 4095 else 4095
            return (a.astype(np.float32) * (255.0 / full)).round().clip(0, 255).astype(np.uint8)
        a = a.astype(np.float64)
    a = np.nan_to_num(a.astype(np.float64, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0 and hi <= 1.0:
        a = a * 255.0
    elif lo < 0 or hi > 255:
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return a.round().clip(0, 255).astype(np.uint8)


MIN_CONTRAST = 16        # grey levels between paper and ink that a pen or pencil makes at least


def has_contrast(gray: np.ndarray) -> bool:
    """Could ``gray`` hold writing? A dark or blank frame (sensor noise, compression blocks a few
    grey levels apart) spans fewer than ``MIN_CONTRAST`` levels: no pen makes so little contrast,
    and flattening would only amplify the noise."""
    lo, hi = cv2.minMaxLoc(gray)[:2]
    return hi - lo >= MIN_CONTRAST


def otsu(hist: np.ndarray) -> tuple[int, float, float]:
    """Otsu's split of a 256-bin grey-level histogram: its level (the upper class lies above it), the upper class's
    share of the pixels, and the share of the variance the split explains (0 for a single level): near 1 for paper
    and ink, 0.75 for uniform noise, 0.64 for a Gaussian spread."""
    cum = np.cumsum(hist, dtype=np.float64)
    total = float(cum[-1])
    w0 = cum / total
    mu = np.cumsum(hist * _LEVELS) / total
    num = mu[-1] * w0 - mu
    num *= num
    den = w0 * (1 - w0)
    # the between-class variance of each level (levels with an empty class: -1)
    between = np.divide(num[:-1], den[:-1], out=np.full(255, -1.0), where=den[:-1] != 0)
    level = int(between.argmax())
    variance = float(hist @ (_LEVELS * _LEVELS)) / total - mu[-1] ** 2
    return level, 1.0 - float(w0[level]), float(between[level]) / variance if variance > 0 else 0.0
