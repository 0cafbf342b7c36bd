"""A picture's fill: the constant border an editor or a scanner adds around a turned or letterboxed picture.

A page turned by a few degrees on a canvas of its own size leaves four triangles of white or black in the corners;
a picture letterboxed to another shape has black bars along two sides. A camera makes such a region only where it
is blown out or crushed, and then it fades into the picture instead of stepping from it. To the paper
estimate a fill is what it is not: a white fill brighter than the paper made the whole page read as light ink on a
dark board, and a black fill made its edge a row of 1s and raised the ink thresholds over every digit (a photo lost
whole). So each fill pixel takes the value of the nearest pixel of the picture: the picture's edge continued
outward, as a camera would have seen more paper.
"""

from __future__ import annotations

import cv2
import numpy as np

FILL_LEVELS = 2          # a fill is white or black: within this many levels of 255 or 0 (JPEG)
FILL_RUN = 0.05          # ... reaching along one side of the picture for this share of its length at least
FILL_AREA = (0.002, 0.5)  # ... and covering this share of the picture (more: the paper itself, blown out)
FILL_SOLID = 0.8         # ... solid: this share of its convex hull (scattered noise at one level is not)
FILL_STEP = 16.0         # ... and standing this many levels from the picture beside it (blown-out paper does not)
FILL_EDGE = 8            # JPEG rings along a fill's edge, a block (8 px) deep: the fill is widened by as much
_K3 = np.ones((3, 3), np.uint8)


def continue_fill(gray: np.ndarray) -> np.ndarray:
    """``gray`` with its fill (white or black, touching a corner or spanning a side, solid, without holes, a step
    from the picture beside it) replaced by the nearest pixels of the picture; ``gray`` itself when it has none
    (the usual case, decided on its border). The regions are found on every 4th pixel, then taken at full size."""
    h, w = gray.shape
    if min(h, w) < 32:
        return gray
    level = _border_level(gray)
    if level is None:
        return gray
    lo, hi = (0, FILL_LEVELS) if level < 128 else (255 - FILL_LEVELS, 255)
    f = 4 if min(h, w) >= 128 else 1
    coarse = np.ascontiguousarray(gray[f // 2:: f, f // 2:: f])
    regions = _regions(coarse, lo, hi)
    if regions is None:
        return gray
    # at full size: the pieces of the fill's level that the regions found reach (a thin tip no coarse pixel saw;
    # closed, so that JPEG's stray pixels do not cut it off)
    same = cv2.morphologyEx(cv2.inRange(gray, lo, hi), cv2.MORPH_CLOSE, _K3)
    _, pieces = cv2.connectedComponents(same, connectivity=8)
    seen = pieces[(cv2.resize(regions, (w, h), interpolation=cv2.INTER_NEAREST) > 0) & (same > 0)]
    fill = np.where(np.isin(pieces, seen[seen > 0]), np.uint8(255), np.uint8(0))
    fill = cv2.dilate(fill, np.ones((2 * FILL_EDGE + 1, 2 * FILL_EDGE + 1), np.uint8))
    _, nearest = cv2.distanceTransformWithLabels(fill, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    picture = np.flatnonzero(fill.ravel() == 0)  # label k is the k-th of these, in raster order
    if picture.size == 0:
        return gray
    out = gray.copy()
    where = np.flatnonzero(fill.ravel())
    out.ravel()[where] = gray.ravel()[picture[nearest.ravel()[where] - 1]]
    return out


def _border_level(gray: np.ndarray) -> int | None:
    """0 or 255 when a side of ``gray`` runs unbroken at that level (±``FILL_LEVELS``) for ``FILL_RUN`` of it."""
    rows, cols = gray[[0, -1]], gray[:, [0, -1]].T
    if FILL_LEVELS < min(rows.min(), cols.min()) and max(rows.max(), cols.max()) < 255 - FILL_LEVELS:
        return None  # no side reaches white or black: the usual frame
    for side in (*rows, *cols):
        for level, at in ((0, side <= FILL_LEVELS), (255, side >= 255 - FILL_LEVELS)):
            edges = np.flatnonzero(np.diff(np.concatenate(([0], at.view(np.int8), [0]))))
            if edges.size and int((edges[1::2] - edges[::2]).max()) >= FILL_RUN * side.size:
                return level
    return None


def _regions(small: np.ndarray, lo: int, hi: int) -> np.ndarray | None:
    """The fill of ``small`` (255 where it is), or None: the solid, hole-less regions at levels ``lo``–``hi`` that
    touch a corner or span a side, cover ``FILL_AREA`` of the picture and stand ``FILL_STEP`` from what lies beside."""
    h, w = small.shape
    same = cv2.inRange(small, lo, hi)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(same, connectivity=4)
    corners = {int(labels[0, 0]), int(labels[0, -1]), int(labels[-1, 0]), int(labels[-1, -1])}
    fill = np.zeros_like(small)
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        spans = (bw == w and (y == 0 or y + bh == h)) or (bh == h and (x == 0 or x + bw == w))
        if not (i in corners or spans) or not FILL_AREA[0] * h * w <= area <= FILL_AREA[1] * h * w:
            continue
        region = (labels[y: y + bh, x: x + bw] == i).view(np.uint8)
        outline, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if area < FILL_SOLID * cv2.contourArea(cv2.convexHull(np.concatenate(outline))):
            continue
        _, _, inner, _ = cv2.connectedComponentsWithStats(1 - region, connectivity=8)
        if any(_inside(s, bw, bh) for s in inner[1:]):  # a hole (writing in it): this is paper
            continue
        mask = np.where(labels == i, np.uint8(255), np.uint8(0))
        beside = cv2.subtract(cv2.dilate(mask, _K3, iterations=3), cv2.dilate(mask, _K3))
        if abs(float(np.median(small[beside > 0])) - (lo + hi) / 2) < FILL_STEP:  # blown-out paper fades out
            continue
        fill = cv2.bitwise_or(fill, mask)
    return fill if cv2.countNonZero(fill) else None


def _inside(stats_row, bw: int, bh: int) -> bool:
    """Is a component of the region's complement (in the region's box) a hole, off the box's border and bigger
    than a speck (a pixel or two of JPEG noise)?"""
    x, y, w, h, area = (int(v) for v in stats_row[:5])
    return x > 0 and y > 0 and x + w < bw and y + h < bh and area >= 16
