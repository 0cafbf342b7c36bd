"""Printed rules and grid lines (ruled or squared paper): found, fitted and subtracted from the ink."""

from __future__ import annotations

import cv2
import numpy as np

LINE_FLOOR = 5.0         # a line's ink, averaged along it, stands this far above the paper (scaled on faint pages)
ACROSS = 0.6             # a line across the page spans this share of it
LONE_THIN = 0.005        # a lone line across the page (a notebook's margin rule, no other line parallel to it) is
# printed when at most this share of the page thick (a pen's long 1 in a close-up is six times as thick for its length;
# two circles drawn round two rows, touching, twice)
LINE_KEEP = 1.4          # a printed line is subtracted at this many times its own ink level
SHARE_SEEN = 0.5         # a line shows at least this share of its length between the strokes that cross it
DOTTED = 0.4             # ... and points on this share of the columns along its own span (a dot grid's row of dots,
# 15–40%, is no printed line: drawn as one, it wiped the strokes of the digits written along it)
PITCH_MIN = 3            # two lines of one band lie at least this many px apart (full size)
THICK_LOOK = 4           # a line's thickness is measured within this many px of its centre
RUN_LOOK = 32            # a stroke's width is followed this many px to either side of its darkest pixel
HIDDEN_EVEN = 0.1        # lines this evenly spaced (share of their pitch) may hide one under a row of writing
LEVEL_SPREAD = 2.0       # the lines of one band are at most this many times as dark as the band: darker is a stroke
TILTS = np.linspace(-0.07, 0.07, 29)  # the tilts tried for the lines of a band (±4°: bands chain runs of ±2°)
COLUMNS = 256            # a band's lines are fitted on this many of its columns (rows) or a few more, evenly spaced
ASKEW = (3, 14)          # degrees: lines this far from level are a page photographed turned (the eraser takes ±2°)
ASKEW_PEAK = 3.0         # ... when the look finds this many times more of them at their turn than at the median turn
ASKEW_LINES = 3          # ... and this many parallel lines at least
_ACROSS3 = np.ones((3, 1), np.uint8)   # a pixel's neighbours across a (horizontal) line
_K5 = np.ones((5, 5), np.uint8)        # a drawn line's fringe: 2 px either side of it


def erase_lines(ink: np.ndarray, paper: tuple[float, float], strength: float = 1.0,
                strong: float | None = None) -> np.ndarray | None:
    """``ink`` with printed rules and grid lines subtracted; None if it has none.

    Lines are found on a half-size image: long horizontal or vertical runs (±2° of tilt) whose
    ink, averaged along them, stands out of the paper (``paper`` = its median and sigma): at least
    a third of the page long, thin for their length, and two of them parallel and across most of
    the page (a lone margin rule across them counts too), so a digit's long stroke is not taken
    for one. Each line is fitted (robust to the strokes that cross it) and subtracted at
    ``LINE_KEEP`` times its own ink level; strokes that cross it are bridged over it, and strokes
    written over it (ink above ``strong``, the page's strong-ink level, joined to strong ink beside
    the lines) are kept whole. On a page of faint ink (``strength`` < 1, see
    :func:`components._strength`) faint lines count too.
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
    bands = []
    for horizontal in (True, False):
        band = _long_runs(small, horizontal, floor)
        bands.append(cv2.connectedComponentsWithStats(band, connectivity=8)[1:3] if cv2.countNonZero(band) else None)
    # a line is no longer than its band: with no band across most of the page there can be no two lines across it
    if not any(b is not None and (b[1][1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
                                  >= ACROSS * (sw if horizontal else sh)).any()
               for b, horizontal in zip(bands, (True, False))):
        return None
    families = []
    bare = None  # the ink without the horizontal lines, for the vertical lines' stroke check
    for found, horizontal in zip(bands, (True, False)):
        extent = sw if horizontal else sh
        family = []
        families.append(family)
        if found is None:
            continue
        labels, stats = found
        for i in range(1, len(stats)):
            x, y, bw, bh, _ = stats[i]
            for line, span in _fit_lines(ink, labels[y: y + bh, x: x + bw] == i, x, y, horizontal, floor, extent, bare):
                if line[2] <= 2 * span / 25:  # thin: a stroke is thicker for its length
                    family.append((line, span >= ACROSS * extent))
        if horizontal and family:
            # on a fine grid photographed at a tilt, a horizontal line crosses every few rows of a vertical band at
            # a slant, and its long runs there passed for a thick stroke: the check looks past them
            bare = cv2.subtract(ink, _draw([line for line, _ in family], ink))
    families = [_alike(f) for f in families]
    spans = [sum(across for _, across in f) for f in families]
    if max(spans) < 2:  # no two parallel lines across most of the page: a lone one only if printed thin
        families = [[line for line, across in f if across and line[2] <= LONE_THIN * 2 * extent]
                    for f, extent in zip(families, (sw, sh))]
        if not any(families):
            return None
    else:  # a family of fewer keeps only lines across the page (a margin rule), never a long stroke
        families = [[line for line, across in f if across or count >= 2] for f, count in zip(families, spans)]
    families = [_hidden_lines(f, ink, horizontal) for f, horizontal in zip(families, (True, False))]
    drawn = [(_draw(family, ink), max((f[2] for f in family), default=0)) for family in families]
    printed = cv2.max(drawn[0][0], drawn[1][0])
    clean = cv2.subtract(ink, printed)
    if strong is not None:
        _keep_strokes(ink, printed, clean, strong)
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


def _hidden_lines(lines: list, ink: np.ndarray, horizontal: bool) -> list:
    """``lines`` (one direction's, evenly spaced) with the lines a row of writing hid from the search: where two
    neighbours stand two pitches apart, the line between them, drawn like them, if the ink along it is at half their
    level or more for most of its length (the printed line between the strokes). A row written along a line made its
    band one thick stroke, and the line then joined the row into strokes wider than three digits."""
    if len(lines) < 4:
        return lines
    at = [(p0[1] + p1[1]) / 2 if horizontal else (p0[0] + p1[0]) / 2 for p0, p1, _, _ in lines]
    order = np.argsort(at)
    lines, at = [lines[i] for i in order], np.asarray(at)[order]
    gaps = np.diff(at)
    pitch = float(np.median(gaps))
    single = gaps[gaps < 1.5 * pitch]
    if pitch < 4 * PITCH_MIN or len(single) < 3 or float(np.abs(single - pitch).max()) > HIDDEN_EVEN * pitch:
        return lines  # not evenly spaced: no gap to fill
    level, thick = float(np.median([line[3] for line in lines])), int(np.median([line[2] for line in lines]))
    found = []
    for (a0, a1, _, _), (b0, b1, _, _), gap in zip(lines, lines[1:], gaps):
        if abs(gap - 2 * pitch) > HIDDEN_EVEN * 2 * pitch:
            continue
        p0 = (round((a0[0] + b0[0]) / 2), round((a0[1] + b0[1]) / 2))
        p1 = (round((a1[0] + b1[0]) / 2), round((a1[1] + b1[1]) / 2))
        along = np.zeros_like(ink)
        cv2.line(along, p0, p1, 255, 1, cv2.LINE_8)
        on = ink[along > 0]
        if on.size and float(np.median(on)) >= 0.5 * level:
            found.append((p0, p1, thick, level))
    return lines + found


def _alike(family: list) -> list:
    """The ``family``'s ``(line, across)`` pairs without those far darker than most: a page's lines are printed
    alike, and a line ``LEVEL_SPREAD`` times as dark as their median is a row of strokes that lines up (a row of
    marker digits along a grid line, which the line's band then held mostly)."""
    if len(family) < 3:
        return family
    typical = float(np.median([line[3] for line, _ in family]))
    return [(line, across) for line, across in family if line[3] <= LEVEL_SPREAD * typical]


def _draw(lines: list, like: np.ndarray) -> np.ndarray:
    """The printed ``lines`` ((end0, end1, thickness, level), ...) drawn as they are subtracted: ``LINE_KEEP`` times
    their level, a pixel wider on each side."""
    out = np.zeros_like(like)
    for p0, p1, thick, level in lines:
        cv2.line(out, p0, p1, min(255, round(LINE_KEEP * level)), thick + 2, cv2.LINE_8)
    return out


def _keep_strokes(ink, printed, clean, strong: float) -> None:
    """Put back into ``clean`` (in place) the strokes written over the ``printed`` lines.

    A line does not show through a stroke written over it: a pixel on a line that is strong ink (over ``strong``)
    and darker than the line as subtracted, joined through such pixels to strong ink beside the lines (the rest of
    its stroke), is the stroke's, whole. Bridging across a line misses a stroke that runs along it or crosses it at
    a shallow angle. A line's own dark stretches, its crossings and specks near it touch no stroke and stay erased.
    """
    level = min(255.0, strong)
    beside = cv2.threshold(ink, level, 255, cv2.THRESH_BINARY)[1]
    beside[cv2.dilate(printed, _K5) > 0] = 0  # a line's own fringe is no stroke beside it
    over = cv2.compare(ink, cv2.max(printed, level), cv2.CMP_GT)
    n, labels = cv2.connectedComponents(cv2.bitwise_or(over, beside), connectivity=8)
    joined = np.zeros(n, bool)
    joined[labels[beside > 0]] = True
    joined[0] = False
    over[~joined[labels]] = 0
    cv2.copyTo(ink, over, clean)


def askew_lines(ink: np.ndarray, paper: tuple[float, float], strength: float = 1.0) -> float | None:
    """The turn (degrees, OpenCV's sense) that levels ``ink``'s printed lines when they run ``ASKEW`` from level,
    past the ±2° :func:`erase_lines` takes: a ruled or squared page photographed turned; None if there are none, or
    they are level (``paper``, ``strength``: as for :func:`erase_lines`).

    The eraser's own look for long runs, on the ink 4× smaller turned by each whole degree: lines show over a plateau
    of turns (the look takes ±2°), whose middle levels them. They count when the plateau stands ``ASKEW_PEAK`` times
    over the median turn (runs at every turn are grain or noise) and shows ``ASKEW_LINES`` parallel lines, bands of
    rows apart, or lines over a third of the rows (one long edge, a sheet's or a shadow's, even cut by the writing,
    is no page of lines). It costs a few milliseconds: :func:`components.find_digits` asks only when what it found
    looks like a page of lines."""
    h, w = ink.shape
    if min(h, w) < 64:
        return None
    quarter = cv2.resize(cv2.resize(ink, (w // 2, h // 2), interpolation=cv2.INTER_AREA), (w // 4, h // 4),
                         interpolation=cv2.INTER_AREA)
    floor = paper[0] + max(LINE_FLOOR * strength, 2.0 * paper[1])
    if not cv2.countNonZero(_long_runs(quarter, True, floor, tilt=np.tan(np.radians(ASKEW[1])) / 2)):
        return None
    qh, qw = quarter.shape
    degrees = np.arange(-int(ASKEW[1]), int(ASKEW[1]) + 1)
    runs = [_long_runs(cv2.warpAffine(quarter, cv2.getRotationMatrix2D((qw / 2, qh / 2), float(d), 1.0), (qw, qh)),
                       True, floor) for d in degrees]
    found = np.array([cv2.countNonZero(r) for r in runs])
    if not found.max() or found.max() < ASKEW_PEAK * np.median(found):
        return None
    rows = np.flatnonzero(runs[int(found.argmax())].any(axis=1))  # (a fine grid's lines run together: most rows)
    if 1 + np.count_nonzero(np.diff(rows) > PITCH_MIN) < ASKEW_LINES and rows.size < 0.3 * qh:
        return None
    turn = float(np.median(degrees[found >= 0.8 * found.max()]))
    return turn if abs(turn) >= ASKEW[0] else None


def _long_runs(img: np.ndarray, horizontal: bool, floor: float, smooth: int = 9, tilt: float = 0.035) -> np.ndarray:
    """Where ``img``, averaged over ``smooth`` px along rows (columns), stays above ``floor`` for a third of its width
    (height), within a slope of ``tilt`` (±2°)."""
    length = max(7, (img.shape[1] if horizontal else img.shape[0]) // 3)
    slack = 2 * max(1, round(tilt * length)) + 1  # the run's rise over its length
    along, across, smooth = ((length, 1), (1, slack), (smooth, 1)) if horizontal else ((1, length), (slack, 1), (1, smooth))
    run = cv2.dilate(cv2.blur(img, smooth), cv2.getStructuringElement(cv2.MORPH_RECT, across))
    run = cv2.morphologyEx(run, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    return cv2.threshold(run, floor, 255, cv2.THRESH_BINARY)[1]


def _fit_lines(ink, band, x, y, horizontal: bool, floor: float, extent: int, bare=None) -> list:
    """Fit straight lines to the ink of one half-size band: one, or several where lines close together merged.

    Returns ``[(((x0, y0), (x1, y1), thickness, level), span), ...]`` in full-size pixels (``span``: the line's
    length in half-size pixels). Each column (row, for a vertical line; about ``COLUMNS`` of them, evenly spaced)
    gives a point on every line it crosses, its local maxima above ``floor``; the lines are the (tilt, offset) pairs
    that many points share, taken best first, each fitted on its own points, robust to the strokes that cross it. A
    grid finer than the tilt allowance merges its lines into one band, a slanted photo's lines of several tilts too;
    one fit would run between them. ``bare``: the ink without the other direction's lines, for the check that the
    band is no thick stroke.
    """
    h, w = ink.shape
    x0, y0 = 2 * x, 2 * y
    # a straight line needs no more points: one column in ``step`` (each column's points are its own), the
    # geometry below in full-size columns (``at * step``)
    step = max(1, 2 * (band.shape[1] if horizontal else band.shape[0]) // COLUMNS)
    inside = cv2.resize(band.view(np.uint8), (2 * band.shape[1], 2 * band.shape[0]), interpolation=cv2.INTER_NEAREST)
    vals = _band_values(ink, inside, x0, y0, horizontal, step)
    # a line's points: each column's local maxima at half the band's line level or more (the level: the median of
    # the columns' maxima), so the paper's grain between lines sets none
    level = float(np.median(vals.max(axis=0)))
    check = vals if bare is None else _band_values(bare, inside, x0, y0, horizontal, step)
    if _stroke_band(check, max(floor, 0.5 * level), band.shape[1] if horizontal else band.shape[0]):
        return []
    peak = (vals >= cv2.dilate(vals, _ACROSS3)) & (vals > max(floor, 0.5 * level))
    rows, at = np.nonzero(peak)
    cols = at * step
    # a line crosses at least a third of the page (the runs' length), crossing strokes hide some of it
    need = max(20, round(SHARE_SEEN * 2 * extent / 3 / step))
    if rows.size < need:
        return []
    # votes: how many points each (tilt, offset) line holds; the best line's points are taken out, and again
    offsets = np.rint(rows[None, :] - TILTS[:, None] * cols[None, :]).astype(np.int64)
    offsets -= int(offsets.min())
    bins = int(offsets.max()) + 1
    keys = offsets + (np.arange(len(TILTS)) * bins)[:, None]  # tilt × bins + offset: one bincount for all tilts
    hist = _votes(keys, bins)
    alive = np.ones(rows.size, bool)
    out = []
    while True:
        votes = hist[:, :-2] + hist[:, 1:-1] + hist[:, 2:]  # a 2-px line splits its points over two rows
        if votes.size == 0:
            break
        t, off = np.unravel_index(int(votes.argmax()), votes.shape)
        if votes[t, off] < need:
            break
        mine = alive & (np.abs(offsets[t] - (off + 1)) <= 1)
        line = _fit_points(vals, rows[mine], at[mine], step, x0, y0, horizontal, floor, max(h, w))
        if line is None or line[0][3] > LEVEL_SPREAD * level or _dotted(at[mine]):
            taken = mine  # too few to fit, a stroke, or a row of dots: out of the vote
        else:
            _, (a, slope) = line
            taken = alive & (np.abs(rows - (a + slope * cols)) <= PITCH_MIN - 1)  # its points, ends included
            span = int(cols[mine].max() - cols[mine].min() + step) // 2
            out.append((line[0], span))
            # the lines of one band are seen about as well: a further one has half the first one's points or more
            # (fewer: the strokes of a row of digits that happen to line up; a stroke sets no bar)
            need = max(need, SHARE_SEEN * votes[t, off])
        alive &= ~taken
        hist -= _votes(keys[:, taken], bins)
    return out


def _dotted(at: np.ndarray) -> bool:
    """Are a line's points (the columns ``at`` they lie in) on under ``DOTTED`` of the columns along its span: a row of
    a dot grid's dots, no printed line?"""
    return np.unique(at).size < DOTTED * (int(at.max() - at.min()) + 1)


def _band_values(ink, inside, x0, y0, horizontal: bool, step: int) -> np.ndarray:
    """The full-size ``ink`` inside a band (``inside``: its 0/1 mask at full size, at ``x0``, ``y0``), one column in
    ``step``, lines along its columns (transposed for vertical lines)."""
    roi = ink[y0: y0 + inside.shape[0], x0: x0 + inside.shape[1]]
    if horizontal:
        return np.ascontiguousarray(roi[:, ::step] * inside[:, ::step])
    return np.ascontiguousarray((roi[::step] * inside[::step]).T)


def _votes(keys: np.ndarray, bins: int) -> np.ndarray:
    """Points per (tilt, offset): ``keys`` holds tilt × ``bins`` + offset, one row per tilt."""
    return np.bincount(keys.ravel(), minlength=len(TILTS) * bins).reshape(len(TILTS), bins)


def _stroke_band(vals, level: float, length: int) -> bool:
    """Is the band one thick stroke (a close-up's long 1)? Through each column's darkest pixel, the ink above
    ``level`` runs thicker than a line's share of the band's ``length`` (half-size px)."""
    at = vals.argmax(axis=0)
    cols = np.arange(vals.shape[1])
    above = vals > level
    last = vals.shape[0] - 1
    steps = np.arange(1, RUN_LOOK + 1)[:, None]
    run = 1 + sum(np.cumprod(above[np.clip(at[None, :] + d * steps, 0, last), cols[None, :]], axis=0).sum(axis=0)
                  for d in (-1, 1))
    return float(np.median(run)) > 2 * length / 25


def _fit_points(vals, rows, at, step: int, x0, y0, horizontal: bool, floor: float, size: int):
    """One line through the points (``rows``, ``at``) of ``vals`` (lines along its columns, one in ``step``).

    Returns ``((end0, end1, thickness, level), (a, slope))``: the line in full-size pixels, and in ``vals``' own
    coordinates (row = a + slope × col); None for too few points.
    """
    if rows.size < 20:
        return None
    peak = vals[rows, at].astype(np.float32)
    level = float(np.median(peak))
    # thickness: per column, the pixels above half the line's level around its point (median over columns)
    near = np.clip(rows[None, :] + np.arange(-THICK_LOOK, THICK_LOOK + 1)[:, None], 0, vals.shape[0] - 1)
    thick = int(np.median((vals[near, at[None, :]] > max(floor, 0.5 * level)).sum(axis=0)))
    cols = at * step
    pts = np.column_stack([cols, rows]) if horizontal else np.column_stack([rows, cols])
    vx, vy, cx, cy = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    # in the band's own coordinates (lines along its columns): row = a + slope * col
    (du, dv, u, v) = (vx, vy, cx, cy) if horizontal else (vy, vx, cy, cx)
    slope = dv / du if abs(du) > 1e-6 else 0.0
    t = 2.0 * size
    cx, cy = cx + x0, cy + y0
    ends = ((int(round(cx - t * vx)), int(round(cy - t * vy))), (int(round(cx + t * vx)), int(round(cy + t * vy))))
    return (*ends, thick, level), (float(v - slope * u), float(slope))
