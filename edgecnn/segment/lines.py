"""Printed rules and grid lines (ruled or squared paper): found, fitted and subtracted from the ink."""

from __future__ import annotations

import cv2
import numpy as np

LINE_FLOOR = 5.0         # a line's ink, averaged along it, stands this far above the paper (scaled on faint pages)
LINE_KEEP = 1.4          # a printed line is subtracted at this many times its own ink level


def erase_lines(ink: np.ndarray, paper: tuple[float, float], strength: float = 1.0) -> np.ndarray | None:
    """``ink`` with printed rules and grid lines subtracted; None if it has none.

    Lines are found on a half-size image: long horizontal or vertical runs (±2° of tilt) whose
    ink, averaged along them, stands out of the paper (``paper`` = its median and sigma): at least
    a third of the page long, thin for their length, and two of them parallel and across most of
    the page (a lone margin rule across them counts too), so a digit's long stroke is not taken
    for one. Each line is fitted (robust to the strokes that cross it) and subtracted at
    ``LINE_KEEP`` times its own ink level; strokes that cross it are bridged over it. On a page of
    faint ink (``strength`` < 1, see :func:`components._strength`) faint lines count too.
    """
    h, w = ink.shape
    if min(h, w) < 64:
        return None
    small = cv2.resize(ink, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    margin = max(LINE_FLOOR * strength, 2.0 * paper[1])
    floor = paper[0] + margin
    # first a look at a quarter-size image (a thin line keeps about half its level there), little
    # smoothed so that rows of digits do not pass for lines: most pages stop here, cheaply
    quarter = cv2.resize(small, (sw // 2, sh // 2), interpolation=cv2.INTER_AREA)
    if not any(cv2.countNonZero(_long_runs(quarter, horizontal, paper[0] + 0.5 * margin, smooth=3)) for horizontal in (True, False)):
        return None
    families = []
    for horizontal in (True, False):
        extent = sw if horizontal else sh
        band = _long_runs(small, horizontal, floor)
        family = []
        families.append(family)
        if not cv2.countNonZero(band):
            continue
        n, labels, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, _ = stats[i]
            line = _fit_line(ink, labels[y: y + bh, x: x + bw] == i, x, y, horizontal, floor)
            if line is not None and line[2] <= 2 * max(bw, bh) / 25:  # thin: a stroke is thicker for its length
                family.append((line, max(bw, bh) >= 0.6 * extent))
    spans = [sum(across for _, across in f) for f in families]
    if max(spans) < 2:  # two parallel lines across most of the page
        return None
    # a family of fewer keeps only lines across the page (a margin rule), never a long stroke
    families = [[line for line, across in f if across or count >= 2] for f, count in zip(families, spans)]
    drawn = []
    for family in families:
        lines = np.zeros_like(ink)
        for p0, p1, thick, level in family:
            cv2.line(lines, p0, p1, min(255, round(LINE_KEEP * level)), thick + 2, cv2.LINE_8)
        drawn.append((lines, max((f[2] for f in family), default=0)))
    clean = cv2.subtract(ink, cv2.max(drawn[0][0], drawn[1][0]))
    # a stroke that crosses a line continues on both sides of it: bridge the line's pixels with
    # the lower of the two values just beyond it (paper beside a bare line, ink across a stroke)
    for (lines, thick), horizontal in zip(drawn, (True, False)):
        if thick:
            reach = thick + 3  # from any pixel of the drawn band (thick + 2 wide) to beyond it
            ends = np.zeros((2 * reach + 1, 1) if horizontal else (1, 2 * reach + 1), np.uint8)
            ends.flat[0] = ends.flat[-1] = 1
            bridge = cv2.erode(clean, ends)
            on = lines > 0
            clean[on] = np.maximum(clean[on], bridge[on])
    return clean


def _long_runs(img: np.ndarray, horizontal: bool, floor: float, smooth: int = 9) -> np.ndarray:
    """Where ``img``, averaged over ``smooth`` px along rows (columns), stays above ``floor`` for a third of its width (height)."""
    length = max(7, (img.shape[1] if horizontal else img.shape[0]) // 3)
    slack = 2 * max(1, round(0.035 * length)) + 1  # ±2° of tilt over the run
    along, across, smooth = ((length, 1), (1, slack), (smooth, 1)) if horizontal else ((1, length), (slack, 1), (1, smooth))
    run = cv2.dilate(cv2.blur(img, smooth), cv2.getStructuringElement(cv2.MORPH_RECT, across))
    run = cv2.morphologyEx(run, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    return cv2.threshold(run, floor, 255, cv2.THRESH_BINARY)[1]


def _fit_line(ink, band, x, y, horizontal: bool, floor: float):
    """Fit a straight line to the ink of one half-size band.

    Returns ``((x0, y0), (x1, y1), thickness, level)`` in full-size pixels, or None. Each column
    (row, for a vertical line) gives one point, its darkest pixel: the strokes crossing the line
    touch few columns, and a robust fit ignores them.
    """
    h, w = ink.shape
    x0, y0 = 2 * x, 2 * y
    roi = ink[y0: y0 + 2 * band.shape[0], x0: x0 + 2 * band.shape[1]]
    inside = cv2.resize(band.view(np.uint8), (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_NEAREST)
    vals = roi * inside
    if not horizontal:
        vals = vals.T
    at = vals.argmax(axis=0)
    cols = np.arange(vals.shape[1])
    peak = vals[at, cols]
    ok = peak > floor
    if ok.sum() < 20:
        return None
    level = float(np.median(peak[ok]))
    # thickness: per column, the pixels above half the line's level (median over columns)
    thick = int(np.median((vals[:, ok] > max(floor, 0.5 * level)).sum(axis=0)))
    pts = np.column_stack([cols[ok], at[ok]]) if horizontal else np.column_stack([at[ok], cols[ok]])
    vx, vy, cx, cy = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    t = 2.0 * max(h, w)
    cx, cy = cx + x0, cy + y0
    return ((int(round(cx - t * vx)), int(round(cy - t * vy))), (int(round(cx + t * vx)), int(round(cy + t * vy))), thick, level)
