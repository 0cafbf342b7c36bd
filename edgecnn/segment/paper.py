"""The paper: polarity, uneven lighting flattened into an ink image, and the sheet on a desk."""

from __future__ import annotations

import cv2
import numpy as np

_K3 = np.ones((3, 3), np.uint8)
_K5 = np.ones((5, 5), np.uint8)


def ink_image(gray: np.ndarray) -> tuple[np.ndarray, str]:
    """Flatten the illumination; return uint8 ink (bright where written, ~0 on paper) and the polarity."""
    h, w = gray.shape
    f = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    # polarity: which way do pixels stray from the local median (on an 8× smaller image: cheap)
    tiny = cv2.resize(small, (max(1, small.shape[1] // 2), max(1, small.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    k = min(2 * max(1, min(tiny.shape) // 12) + 1, 15)
    local = cv2.medianBlur(tiny, k) if min(tiny.shape) >= k else np.full_like(tiny, int(np.median(tiny)))
    diff = tiny.astype(np.int16) - local.astype(np.int16)
    dark = int((diff < -12).sum())
    bright = int((diff > 12).sum())
    polarity = "light" if bright > 1.5 * dark else "dark"
    if polarity == "light":
        gray = cv2.bitwise_not(gray)
        small = cv2.bitwise_not(small)
    kk = max(3, (max(small.shape) // 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kk, kk))
    # the paper: a max filter removes strokes thinner than the kernel, a blur smooths it
    bg = cv2.dilate(small, kernel)
    bg = cv2.blur(bg, (kk, kk))
    # bilinear upsampling keeps a minimum ≥ 1, so the full-size max(bg, 1) is needed only if bg has zeros
    floor = cv2.minMaxLoc(bg)[0] < 1
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    if floor:
        bg = cv2.max(bg, 1)
    flat = cv2.divide(gray, bg, bg, scale=255)
    ink = cv2.bitwise_not(flat, flat)
    sheet = sheet_mask(small, gray) if f > 1 else None
    if sheet is not None:
        ink = cv2.bitwise_and(ink, cv2.resize(sheet, (w, h), interpolation=cv2.INTER_NEAREST))
    return ink, polarity


def sheet_mask(small: np.ndarray, gray: np.ndarray) -> np.ndarray | None:
    """Where the sheet of paper is, on ``small`` (``gray`` reduced; ink dark); None if it fills the view.

    A photo of a sheet lying on a desk shows a large bright region (the sheet) against darker
    surroundings. A flat sheet is convex, so the region's convex hull is the sheet, shadows on
    it included. It counts only if its outline is a sharp step along most of its length, measured
    on ``gray`` (a paper edge rises within 3 px; a vignette or a shadow's penumbra does not). The
    writing lies on the sheet, so ink is only looked for inside it, away from its rim: the desk's
    grain, the sheet's shadowed edge and other sheets beside it are never taken for digits.
    """
    level, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if cv2.countNonZero(bright) > 0.9 * small.size:  # paper (and its writing) fills the view
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[biggest, cv2.CC_STAT_AREA] < 0.15 * small.size:
        return None
    outline, _ = cv2.findContours(np.where(labels == biggest, np.uint8(255), np.uint8(0)),
                                  cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = [max(outline, key=cv2.contourArea)]
    hull = cv2.convexHull(outline[0])
    sheet = np.zeros_like(small)
    cv2.fillConvexPoly(sheet, hull, 255)
    if cv2.countNonZero(sheet) > 0.9 * small.size or not _two_edges(hull, small.shape):
        return None
    if np.median(small[sheet == 0]) >= level:  # around the hull: mostly paper too (a grid, a loop)
        return None
    # the hull's outline away from the image border: mostly a sharp step?
    rim = np.zeros_like(small)
    cv2.polylines(rim, [hull], True, 255, 1)
    rim[:2, :] = rim[-2:, :] = 0
    rim[:, :2] = rim[:, -2:] = 0
    on_rim = cv2.countNonZero(rim)
    if on_rim == 0:
        return None
    f = gray.shape[0] // small.shape[0]
    step = cv2.dilate(cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, _K3), np.ones((2 * f + 1, 2 * f + 1), np.uint8))
    step = step[f // 2:: f, f // 2:: f][: small.shape[0], : small.shape[1]]
    coarse = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, _K5)[: step.shape[0], : step.shape[1]]  # a step, not a thin line
    sharp = cv2.bitwise_and(cv2.min(step, coarse), rim[: step.shape[0], : step.shape[1]])
    sharp = cv2.threshold(sharp, 35, 255, cv2.THRESH_BINARY)[1]
    # ... and the bright region's own outline runs along the hull there: straight sides, not a
    # curved shadow edge that the hull only cuts across
    edge = np.zeros_like(small)
    cv2.drawContours(edge, outline, -1, 255, 5)
    if cv2.countNonZero(cv2.bitwise_and(sharp, edge[: step.shape[0], : step.shape[1]])) < 0.6 * on_rim:
        return None
    return cv2.erode(sheet, _K3, iterations=2)


def _two_edges(hull: np.ndarray, shape) -> bool:
    """Does the hull show two sheet edges inside the image, at an angle to each other?

    A sheet on a desk shows two or more of its sides; the lit part of a page cut by one
    straight shadow shows a single line.
    """
    h, w = shape
    poly = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    angles = []
    for p, q in zip(poly, np.roll(poly, -1, axis=0)):
        on_border = all(min(x, y, w - 1 - x, h - 1 - y) <= 3 for x, y in (p, q))
        if on_border or np.hypot(*(q - p)) < 0.15 * min(h, w):
            continue
        angles.append(np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0])) % 180)
    return any(min(abs(a - b), 180 - abs(a - b)) > 30 for i, a in enumerate(angles) for b in angles[i + 1:])
