"""Pen and paper marks that are no digits, told apart from the writing or cut from it: the paper's texture (a dot
grid's dots, flecks), a line drawn under the digits or down the page (a margin rule, a fold), a frame drawn around
them (a circle, a box) and a box's upright sides. :mod:`.components` asks these rules of its candidates
``[x0, y0, x1, y1, area, ids]`` and of the label image; pieces cut away get new labels written into it."""

from __future__ import annotations

from statistics import median

import cv2
import numpy as np

FLAT = 3.0            # a piece over this many times as wide as tall is no digit (a line's remnant, an underline)
FRAME_TALL = 1.3      # a frame drawn around writing (a circle, a box): this many digits tall, holding a digit-high
FRAME_FILL = 0.2      # piece, its ink under this share of its box; one the digits touch: its outline, filled, ...
FRAME_HOLLOW = 3.0    # ... holds this many times its ink
MESH_CELLS = 5        # a piece enclosing this many holes of one size (and most of its holes) is a grid's mesh, no
FRAME_SIDE = 0.15     # frame; nor is one without ink along this share of each side of its box, in its outer share
LINE_OVER = 1.5       # a flat piece this many times as wide as its neighbour (and wider than a digit) is a line by it
UNDER_WIDE = 1.5      # digits joined by a line drawn under them: a component this many times as wide as tall, ...
UNDER_TALL = 0.8      # ... at least this share of the page's digit height tall, with a run of ink along ...
UNDER_SPAN = 0.7      # ... this share of its width at one of UNDER_SLOPES, over two digit-high pieces or more, or ...
UNDER_OUTRUN = 3.0    # ... over one that it outruns this many times
UNDER_SLOPES = np.linspace(-0.1, 0.1, 21)  # ±6°
BAR_THIN = 0.2        # a bar under this share as wide as tall and BAR_TALL digits tall, standing out BAR_OUT of a
BAR_TALL = 1.15       # digit above and below the digits beside it (within BAR_NEAR digits), is a box's or a table's
BAR_OUT = 0.12        # side
BAR_NEAR = 2.0
BAR_PEER = 0.8
UPRIGHT_TALL = 2.6    # an upright line this many digits tall that digits touch is cut away from them as one under them
LONG_THIN = 0.015     # ... as is a long one touching the border, a printed line's or a fold's: this share of the
# picture's shorter side thick at most
DOTS_MANY = 12        # this many small, compact, solid blobs (a dot grid's dots, flecks in the paper, grain) ...
DOT_FILL = 0.4        # ... (ink over this share of a box at most twice as long as wide), ...
DOT_SMALL = 0.25      # ... typically under this share of the writing's height (the pieces over DOT_CLUSTER of them
DOT_CLUSTER = 3.0     # tall) and under DOT_PX of the picture's shorter side, are texture, not writing, with the
DOT_PX = 0.025        # pieces no bigger than DOT_CLUSTER of them


def straddles(box, boxes, ref: float) -> bool:
    """Is ``box`` a thin bar (under ``BAR_THIN`` as wide as tall, ``BAR_TALL`` digits tall or more) that stands out of
    its row by ``BAR_OUT`` of a digit both above and below every digit beside it (within ``BAR_NEAR`` digits, level
    with it), one of them ``BAR_PEER`` of a digit tall at least? A box drawn around a row, or a table's rule, whose
    long sides the eraser took, leaves such bars; a 1 rises over digits of its size or drops under them, not both
    (a long 1 beside a small 0 does both)."""
    x, y, w, h = box
    if w >= BAR_THIN * h or h < BAR_TALL * ref:
        return False
    beside = [b for b in boxes if b is not box and b[1] < y + h and y < b[1] + b[3]
              and min(abs(b[0] - x - w), abs(x - b[0] - b[2])) <= BAR_NEAR * ref]
    out = BAR_OUT * ref
    return (any(b[3] >= BAR_PEER * ref for b in beside)
            and all(b[1] >= y + out and b[1] + b[3] <= y + h - out for b in beside))


def pieces(own, sub, stats, keep, x: int, y: int, first: int) -> list:
    """The pieces ``keep`` (labels in ``sub``, with their ``stats``) written into ``own`` (a view of the labels at ``x``,
    ``y``) as components ``first``, ``first`` + 1, ...; returned as candidates (x0, y0, x1, y1, area, [id])."""
    parts = []
    for j, k in enumerate(keep):
        px, py, pw, ph, area = (int(v) for v in stats[k])
        own[sub == k] = first + j
        parts.append([x + px, y + py, x + px + pw, y + py + ph, area, [first + j]])
    return parts


def cut_long(labels, i, box, min_area, first: int) -> list | None:
    """Component ``i`` (``box``) without the long straight line it is mostly made of (along its longer side: a
    notebook's margin rule, a fold), when digits touch it: the pieces left (:func:`cut_line`, upright lines on the
    labels transposed). None when nothing but the line is there (across it, the ink is nowhere three times its
    typical thickness over three such thicknesses of its length), or it is no line: typically thicker than
    ``LONG_THIN`` of the picture's shorter side (the desk beyond a sheet's edge, a shadow)."""
    x, y, bw, bh = box
    upright = bh > bw
    view, vbox = (labels.T, (y, x, bh, bw)) if upright else (labels, box)
    across = np.count_nonzero(view[vbox[1]: vbox[1] + vbox[3], vbox[0]: vbox[0] + vbox[2]] == i, axis=0)
    thick = float(np.median(across[across > 0])) if across.any() else 0.0
    if thick > LONG_THIN * min(labels.shape) or np.count_nonzero(across > 3 * thick) < 3 * thick:
        return None  # a mass (the desk beyond a sheet's edge), or nothing but the line
    parts = cut_line(view, i, vbox, min_area, first)
    return [[p[1], p[0], p[3], p[2], p[4], p[5]] for p in parts] if parts and upright else parts


def cut_line(labels, i, box, min_area, first: int) -> list | None:
    """Component ``i`` (``box``) without the straight line drawn through it, when it has one: the pieces left.

    A line drawn under a row of digits (an underline, a sum's bar between two rows) and touching them joins them
    into one wide component. The line is a run of ink along ``UNDER_SPAN`` of the component's width without a gap, at
    one slope within ±6° (the component sheared level by each slope in turn, the rows' longest runs compared); its
    rows are those whose runs reach half as far. Its pixels leave ``labels`` (a stroke crossing it is cut there, and
    :func:`components._merge` joins its two pieces again); the pieces left become components ``first``,
    ``first`` + 1, ...
    None when there is no such line, or it may be a digit's own stroke (see below).
    """
    x, y, bw, bh = box
    own = labels[y: y + bh, x: x + bw]
    mask = (own == i).view(np.uint8)
    lift = int(np.ceil(np.abs(UNDER_SLOPES).max() * bw)) + 1
    best = None
    for a in UNDER_SLOPES:  # row r, column c → row r − a·c + lift: a line at slope a runs along one row
        level = cv2.warpAffine(mask, np.float32([[1, 0, 0], [-a, 1, lift]]), (bw, bh + 2 * lift), flags=cv2.INTER_NEAREST)
        runs = _longest_runs(level)
        r = int(np.argmax(runs))
        if best is None or runs[r] > best[0][best[2]]:
            best = (runs, a, r, level)
    runs, a, r, level = best
    if runs[r] < UNDER_SPAN * bw:
        return None
    r0, r1 = r, r
    while r0 > 0 and runs[r0 - 1] >= 0.5 * runs[r]:
        r0 -= 1
    while r1 + 1 < len(runs) and runs[r1 + 1] >= 0.5 * runs[r]:
        r1 += 1
    if r1 - r0 + 1 > 0.25 * bh:  # a band as thick as a quarter of the component: a mass, not a drawn line
        return None
    cols = np.flatnonzero(level[r0: r1 + 1].any(axis=0))
    band = np.zeros_like(level)
    band[max(0, r0 - 1): r1 + 2, cols[0]: cols[-1] + 1] = 1
    line = cv2.warpAffine(band, np.float32([[1, 0, 0], [a, 1, -lift]]), (bw, bh), flags=cv2.INTER_NEAREST).view(bool)
    line &= own == i
    rest = ((own == i) & ~line).view(np.uint8)
    n, sub, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    # two pieces or more as tall as three lines (a row of digits), or one that the line outruns UNDER_OUTRUN times (a
    # digit touching a line drawn under others too): a 2's long foot or a 5's cap is about as wide as its digit
    thick = r1 - r0 + 1
    tall = stats[1:][stats[1:, cv2.CC_STAT_HEIGHT] >= 3 * thick]
    if len(tall) == 0 or (len(tall) == 1 and runs[r] < UNDER_OUTRUN * tall[0, cv2.CC_STAT_WIDTH]):
        return None
    # ... and a pen's line runs on past the writing at one end at least (a 2's foot joined to the next digit does not)
    left, right = tall[:, cv2.CC_STAT_LEFT].min(), (tall[:, cv2.CC_STAT_LEFT] + tall[:, cv2.CC_STAT_WIDTH]).max()
    if max(left - cols[0], cols[-1] + 1 - right) < 2 * thick:
        return None
    own[own == i] = 0  # the line, specks and slivers of it along its edge; the pieces kept are written back
    keep = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_area
            and (stats[k, cv2.CC_STAT_HEIGHT] > thick + 2
                 or stats[k, cv2.CC_STAT_WIDTH] < 2 * stats[k, cv2.CC_STAT_HEIGHT])]
    return pieces(own, sub, stats, keep, x, y, first) or None


def cut_frame(labels, i, box, min_area, first: int, ref: float) -> list | None:
    """Component ``i`` (``box``) without the frame drawn around the writing inside it (a circle, a box), when the
    writing touches it: the pieces left inside, as components ``first``, ``first`` + 1, ...

    A frame is hollow: its outline, filled, holds FRAME_HOLLOW times its ink or more. Its ring is the ink within a
    stroke's width (four times the ink's mean distance to the paper, plus a pixel) of that outline; what is left must
    hold a piece of a digit's height (a big 0, a 0 with a dot in it leave none). None otherwise."""
    x, y, bw, bh = box
    own = labels[y: y + bh, x: x + bw]
    mask = (own == i).view(np.uint8) * np.uint8(255)
    outline, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, outline, -1, 255, -1)
    ink = cv2.countNonZero(mask)
    if cv2.countNonZero(filled) < FRAME_HOLLOW * ink:
        return None
    stroke = 4.0 * float(cv2.distanceTransform(mask, cv2.DIST_L2, 3).sum()) / ink + 1.0  # a band w wide: mean w / 4
    ring = cv2.bitwise_and(mask, cv2.compare(cv2.distanceTransform(filled, cv2.DIST_L2, 3), stroke, cv2.CMP_LE))
    rest = cv2.subtract(mask, ring)
    n, sub, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    keep = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_area]
    if not any(stats[k, cv2.CC_STAT_HEIGHT] >= 0.5 * ref for k in keep):
        return None
    own[mask > 0] = 0  # the frame, and specks cut off with it
    return pieces(own, sub, stats, keep, x, y, first)


def _longest_runs(img: np.ndarray) -> np.ndarray:
    """Each row's longest run of set pixels (``img`` 0/1)."""
    h, w = img.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = img
    d = np.diff(padded, axis=1)
    rows_s, starts = np.nonzero(d == 1)
    _, ends = np.nonzero(d == -1)
    out = np.zeros(h, np.int64)
    if starts.size:
        np.maximum.at(out, rows_s, ends - starts)
    return out


def without_dots(comps, side: int) -> list:
    """``comps`` without the texture of the paper or surface: ``DOTS_MANY`` small blobs or more, compact and solid
    (``DOT_FILL``), typically under ``DOT_PX`` of the picture's shorter ``side`` and under ``DOT_SMALL`` of the height
    of the pieces holding most of the ink among those taller than ``DOT_CLUSTER`` blobs; they go with the pieces no
    bigger than that (dots that touch, up to half the writing's height). A dot grid's dots, flecks or grain, kept,
    would set the digit height to their own and be read as dozens of digits; on a page with few of them, a full stop,
    an i's dot or a speck is left to the rules for specks; a pencil digit cut into chunks by a grid's lines is
    bigger than a dot (squared bench photo 7019)."""
    solid = [c for c in comps if len(c[5]) == 1 and max(c[2] - c[0], c[3] - c[1]) <= 2 * min(c[2] - c[0], c[3] - c[1])
             and c[4] >= DOT_FILL * (c[2] - c[0]) * (c[3] - c[1])]
    if len(solid) < DOTS_MANY:
        return comps
    size = median([max(c[2] - c[0], c[3] - c[1]) for c in solid])
    writing = [c for c in comps if c[3] - c[1] > DOT_CLUSTER * size]
    height = ink_height(writing) if writing else 0.0
    if size >= DOT_PX * side or (writing and size >= DOT_SMALL * height):
        return comps
    reach = min(DOT_CLUSTER * size, 0.5 * height) if writing else DOT_CLUSTER * size
    return [c for c in comps if c[2] - c[0] > reach or c[3] - c[1] > reach]


def ink_height(comps) -> float:
    """The height of the pieces that hold most of the ink: the median height with each piece weighing its ink (a
    few digits outweigh many touching dots; flat pieces, a rule's or a line's, have no say)."""
    shaped = sorted((c[3] - c[1], c[4]) for c in comps if c[2] - c[0] <= FLAT * (c[3] - c[1])) or sorted(
        (c[3] - c[1], c[4]) for c in comps)
    half, total = sum(a for _, a in shaped) / 2, 0
    for height, a in shaped:
        total += a
        if total >= half:
            return float(height)
    return float(shaped[-1][0])


class Rooms:
    """Which candidates may be frames drawn around writing (a circle, a box), asked of each candidate at most once:
    hollow ones (:func:`frame` checks that) with ink along all four sides of their box (over ``FRAME_SIDE`` of each
    side, in its outer ``FRAME_SIDE``: a circle has, even open, and a grid's corner or crossing has not) that are no
    mesh (``MESH_CELLS`` holes or more, most of one size: a grid's cells). Grid lines left on a page photographed askew
    were taken for frames, and their own pieces inside their box, kept apart from them, were read as rows of 1s."""

    def __init__(self, labels: np.ndarray, ref: float):
        self.labels, self.ref, self.known = labels, ref, {}

    def __call__(self, c) -> bool:
        key = tuple(c[5])
        if key not in self.known:
            self.known[key] = self._room(c)
        return self.known[key]

    def _room(self, c) -> bool:
        x0, y0, x1, y1, _, ids = c
        own = self.labels[y0:y1, x0:x1]
        mask = ((own == ids[0]) if len(ids) == 1 else np.isin(own, ids)).view(np.uint8)
        h, w = mask.shape
        bh, bw = max(1, round(FRAME_SIDE * h)), max(1, round(FRAME_SIDE * w))
        sides = (mask[:, :bw].any(axis=1), mask[:, w - bw:].any(axis=1),
                 mask[:bh].any(axis=0), mask[h - bh:].any(axis=0))
        if any(np.count_nonzero(side) < FRAME_SIDE * side.size for side in sides):
            return False
        contours, tree = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        holes = [] if tree is None else [cv2.boundingRect(k)[3] for k, t in zip(contours, tree[0]) if t[3] >= 0]
        holes = sorted(hh for hh in holes if hh >= 0.25 * self.ref)
        cells = [hh for hh in holes if 0.8 * holes[len(holes) // 2] <= hh <= 1.25 * holes[len(holes) // 2]]
        return len(cells) < MESH_CELLS or 2 * len(cells) < len(holes)


def frame(p, q, ref, rooms: Rooms) -> bool:
    """Is ``p`` a frame drawn around writing that holds ``q`` (a circle, a box): taller than a digit by FRAME_TALL,
    hollow (its ink under FRAME_FILL of its box), with ``q`` inside it and of a digit's height, and one of the
    ``rooms``? (A dot in a 0 is no digit, an 8's loop drawn apart lies in a digit-high 8.)"""
    ph = p[3] - p[1]
    if ph < FRAME_TALL * ref or q[3] - q[1] < 0.5 * ref:
        return False
    inside = p[0] <= q[0] and q[2] <= p[2] and p[1] <= q[1] and q[3] <= p[3]
    return inside and p[4] < FRAME_FILL * (p[2] - p[0]) * ph and rooms(p)


def line_by(p, q, ref) -> bool:
    """Is ``p`` a line drawn under or over ``q`` (an underline, a fraction's bar): flat, thin, and wider than ``q`` and
    than a digit, so no piece of one (a 7's bar, a 5's cap are as wide as their digit)?"""
    pw, ph = p[2] - p[0], p[3] - p[1]
    return pw >= FLAT * ph and ph < 0.35 * ref and pw > LINE_OVER * (q[2] - q[0]) and pw > ref
