"""Ink → digit candidates: thresholds from the paper's statistics, connected components, and the
rules that merge a digit's pieces and drop what is not a digit (specks, rules, blobs, the paper's texture, a pen's
line under the writing or frame around it, a long line or a box's side beside it)."""

from __future__ import annotations

import bisect

import cv2
import numpy as np

from .gray import otsu
from .lines import askew_lines, erase_lines
from .marks import (DOTS_MANY, FLAT, FRAME_FILL, FRAME_TALL, UNDER_TALL, UNDER_WIDE, UPRIGHT_TALL, Rooms, cut_frame,
                    cut_line, cut_long, frame, line_by, pieces, straddles, without_dots)

LOW_FLOOR = 14.0      # ink levels above the paper: faint ink (the low threshold) at least this ...
HIGH_FLOOR = 35.0     # ... and strong ink (the high threshold) at least this, on a page of dark ink
FAINT = 0.57          # on a page of faint ink (light pencil) the floors shrink with the ink, down to this share
FAINT_MIN = 15.0      # ... when the darkest TAIL of the page stands at least this far over the paper
TAIL = 0.995
SMALL_DIGIT_PX = 16     # a candidate this tall (analysed pixels) may be a digit written small among big ones
REACH = 0.04          # faint ink joins strong ink within this share of the image's shorter side
MAX_DIGITS = 400         # at most this many digits an image (the largest candidates are kept)
RESCUE_WIDE = 0.25    # a digit kept from a rule, fold or shadow it was joined to is at least this wide for its height
RESCUE_FAINT = 0.5    # ... and kept only when the strong strokes are under this share of the whole (faint ink joined them)
INK_SHARE = 0.25     # Otsu's upper class this share of the picture: ink may have set the paper's median and spread
TWO_CLASSES = 0.88   # ... when Otsu's split explains this share of the variance: paper and ink, not one spread of
# noise (uniform noise: 0.75, a Gaussian 0.64; a close-up's paper and marker ink: 0.9–0.95)
FILL_ONE = 0.9       # ink over 0.4 of the picture is one digit filling it when one piece holds this share of it ...
FILL_SPAN = 0.8      # ... reaching across this share of the picture's height ...
FILL_SOLID = 0.75    # ... and filling under this share of its box (a thumb, a dark object fills more)
FILL_STROKE = (0.03, 0.2)  # ... in strokes twice these shares of its height wide (a disc: 0.5; grain: a pixel or two)
ASKEW_SPAN = 0.3      # a page of lines too far from level to erase: this share of the ink in components half as wide
ASKEW_MANY = 30       # ... as the picture, or this many components (pieces of lines near the writing)




def _hist_stats(ink: np.ndarray) -> tuple[float, float, float, float]:
    """The paper's median and robust sigma (1.48 × MAD), the Otsu level and the 99.5th percentile of a uint8 image,
    from its histogram.

    The paper is most of a page, so the median and MAD of all pixels are the paper's. Ink covering half a close-up
    (a thick digit filling the frame) would make them the ink's: the noise so measured would swallow the ink. When
    4 σ over the median reaches past Otsu's level, Otsu's upper class is over ``INK_SHARE`` of the picture and the
    split explains ``TWO_CLASSES`` of the variance (two classes, not one spread of noise), the paper's median and MAD
    are those of the lower class."""
    h, w = ink.shape
    if ink.size <= 40_000:
        sample = np.ascontiguousarray(ink)
    elif w % 2 == 0 and ink.flags.c_contiguous:
        # a quarter of the pixels is plenty: ink[::2, ::2] read in place as channel 0 of a 2-channel view
        sample = np.lib.stride_tricks.as_strided(ink, ((h + 1) // 2, w // 2, 2), (2 * ink.strides[0], 2, 1))
    else:
        sample = np.ascontiguousarray(ink[::2, ::2])
    hist = cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel()
    cum = np.cumsum(hist, dtype=np.float64)  # counts: exact
    total = float(cum[-1])
    c = cum.tolist()
    med, mad = _median_mad(c, 255)
    tail = min(255, bisect.bisect_left(c, TAIL * total))
    level, upper, explained = otsu(hist)
    if med + 4 * 1.4826 * max(mad, 0.5) > level and INK_SHARE < upper < 1 and explained >= TWO_CLASSES:
        med, mad = _median_mad(c, level)
    return float(med), 1.4826 * max(mad, 0.5), float(level), float(tail)


def _median_mad(c: list, top: int) -> tuple[int, int]:
    """Median and MAD of the levels 0..``top`` of a histogram given by its cumulative counts ``c``."""
    half = c[top] / 2
    med = bisect.bisect_left(c, half, 0, top + 1)
    # MAD: the smallest k with at least half of the pixels within med ± k
    for k in range(256):
        lo = med - k - 1
        if c[min(med + k, top)] - (c[lo] if lo >= 0 else 0.0) >= half:
            return med, k
    return med, 255


def find_digits(ink: np.ndarray, askew: list | None = None):
    """Threshold ``ink`` and group its components into digits.

    Returns ``(groups, labels)``: each group is ``(box, component_labels)`` with box (x, y, w, h)
    in ``ink``'s pixels; ``labels`` is the image of connected-component labels. Printed lines
    are erased from ``ink`` in place, so the crops cut from it afterwards hold none. ``askew``, if given, receives
    the turn that levels printed lines too far from level to be erased (:func:`lines.askew_lines`, on the ink as it
    was before the eraser), looked for when the components look like a page of lines: ``ASKEW_SPAN`` of their ink in
    components half the picture wide, or ``ASKEW_MANY`` of them (pieces of lines near the writing).
    """
    h, w = ink.shape
    med, sigma, otsu, tail = _hist_stats(ink)
    strength = _strength(med, otsu, tail)
    clean = erase_lines(ink, (med, sigma), strength, _strong(med, sigma, strength))
    original = ink  # for the look at lines too far from level to erase, when asked (below)
    if clean is not None:  # the paper's statistics stay those measured with the lines: wiped pixels are 0
        original = ink.copy() if askew is not None else None
        ink[:] = clean
        _, _, otsu, tail = _hist_stats(ink)
    strength = _strength(med, otsu, tail)
    low = med + max(LOW_FLOOR * strength, 4.0 * sigma)
    high = max(otsu, _strong(med, sigma, strength), low + 10)
    mask = cv2.threshold(ink, low, 255, cv2.THRESH_BINARY)[1]
    if cv2.countNonZero(mask) > 0.4 * h * w:  # faint marks everywhere (bleed-through, a smudge): the strong ink only
        low = high
        mask = cv2.threshold(ink, low, 255, cv2.THRESH_BINARY)[1]
        if cv2.countNonZero(mask) > 0.4 * h * w:  # not writing on paper (noise, a picture) but for one digit
            return _filling(mask)                 # filling a close-up
    # limited hysteresis: faint ink counts only near strong ink, so faint lines crossing the page
    # (bleed-through, a smudge, a scanner's shadow) cannot chain digits into one component
    reach = max(3, round(min(h, w) * REACH))
    strong = cv2.threshold(ink, high, 1, cv2.THRESH_BINARY)[1]  # 0/1
    labels = np.zeros((h, w), np.int32)
    sx, sy, sw, sh = cv2.boundingRect(strong)
    if sw == 0:
        return [], labels
    # everything below happens within reach of the strong ink: its bounding box grown by the
    # reach (at even coordinates, so BBDT's 2×2 blocks and its label numbering stay those of the
    # whole image). The writing often fills a small part of a camera frame.
    rx0, ry0 = max(0, sx - reach) & ~1, max(0, sy - reach) & ~1
    rx1, ry1 = min(w, sx + sw + reach), min(h, sy + sh + reach)
    strong_roi = strong[ry0:ry1, rx0:rx1]
    near = cv2.dilate(strong_roi, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    mask = cv2.bitwise_and(mask[ry0:ry1, rx0:rx1], mask[ry0:ry1, rx0:rx1], mask=near)
    # hysteresis: the components of the low mask that hold a strong pixel (ink > high)
    # (BBDT: 2.5× faster than OpenCV's default algorithm with statistics on a 640×480 frame)
    n, roi_labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    labels[ry0:ry1, rx0:rx1] = roi_labels
    stats[:, cv2.CC_STAT_LEFT] += rx0
    stats[:, cv2.CC_STAT_TOP] += ry0
    strong_count = np.bincount(roi_labels[strong_roi.view(bool)], minlength=n)
    min_area = max(6, h * w * 2e-5)
    if askew is not None and (n > ASKEW_MANY or stats[1:, cv2.CC_STAT_WIDTH].max(initial=0) > 0.5 * w):
        kept = (strong_count > 0) & (stats[:, cv2.CC_STAT_AREA] >= min_area)
        kept[0] = False
        areas = stats[kept, cv2.CC_STAT_AREA]
        spanning = areas[stats[kept, cv2.CC_STAT_WIDTH] > 0.5 * w].sum()
        if len(areas) >= ASKEW_MANY or spanning >= ASKEW_SPAN * max(1, areas.sum()):
            turn = askew_lines(original, (med, sigma), strength)
            if turn is not None:
                askew.append(turn)
    comps = []
    next_id = n  # labels for the strong parts of huge components
    for i in np.flatnonzero((strong_count > 0) & (stats[:, cv2.CC_STAT_AREA] >= min_area)).tolist():
        if i == 0:
            continue
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if bw * bh < min_area:
            continue
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        # page edges, folds, frames: long and thin, or sparse (a diagonal edge, a frame's outline); a digit filling a
        # close-up touches the sides too, but spans the image both ways and fills a tenth of its box or more
        if touches and (bh > 0.6 * h or bw > 0.6 * w) and (min(bw / w, bh / h) < 0.3 or area < 0.1 * bw * bh):
            # ... and the digits that touch it, when it crosses the picture from side to side (a margin rule; a
            # sheet's edge along the picture's border is the desk beyond it, no line)
            across = (y == 0 and y + bh == h) if bh > bw else (x == 0 and x + bw == w)
            parts = cut_long(labels, i, (x, y, bw, bh), min_area, next_id) if across else None
            if parts:
                comps += parts
                next_id += len(parts)
            continue
        if bw * bh > 0.04 * h * w:  # large: several digits joined by faint ink? then its strong parts
            parts = _strong_parts(ink, labels, i, (x, y, bw, bh), high, min_area, next_id)
            if parts:
                comps += parts
                next_id += len(parts)
                continue
        comps.append([x, y, x + bw, y + bh, area, [i]])
    if not comps:
        return [], labels
    if len(comps) > MAX_DIGITS * 4:  # grain or noise among the writing: the largest pieces carry the writing
        comps = sorted(comps, key=lambda c: -c[4])[: MAX_DIGITS * 4]
    if len(comps) > DOTS_MANY:
        comps = without_dots(comps, min(h, w))
        if not comps:
            return [], labels
    ref = _ref_height(comps)
    # digits joined by a line drawn under (or between) their rows (a wide component as tall as a digit or more), or
    # touching a frame drawn around them (a circle, a box: a hollow component taller than a digit)
    for k in range(len(comps)):
        x0, y0, x1, y1, _, ids = comps[k]
        if len(ids) > 1:
            continue
        box, parts = (x0, y0, x1 - x0, y1 - y0), None
        if (x1 - x0 >= UNDER_WIDE * (y1 - y0) and y1 - y0 >= UNDER_TALL * ref
                and x0 > 0 and y0 > 0 and x1 < w and y1 < h):  # (a page's edge is no pen's line)
            parts = cut_line(labels, ids[0], box, min_area, next_id)
        if parts is None and y1 - y0 > UPRIGHT_TALL * ref and y1 - y0 >= UNDER_WIDE * (x1 - x0):
            # an upright line across the page (a notebook's margin rule, a fold) that digits touch
            parts = cut_long(labels, ids[0], box, min_area, next_id)
        if parts is None and y1 - y0 >= FRAME_TALL * ref:
            parts = cut_frame(labels, ids[0], box, min_area, next_id, ref)
        if parts:
            comps[k] = None
            comps += parts
            next_id += len(parts)
    comps = [c for c in comps if c is not None]
    rooms = Rooms(labels, ref)
    comps = _merge(comps, ref, rooms)
    frames = [c for c in comps if c[3] - c[1] >= FRAME_TALL * ref and c[4] < FRAME_FILL * (c[2] - c[0]) * (c[3] - c[1])]
    if frames:  # frames drawn around writing: no digits
        framed = [c for c in frames if any(frame(c, d, ref, rooms) for d in comps if d is not c)]
        comps = [c for c in comps if not any(c is f for f in framed)]
    ref = _ref_height(comps)
    groups = []
    big = [c for c in comps if c[3] - c[1] >= 0.6 * ref]  # digits of the page's size
    for x0, y0, x1, y1, a, members in comps:
        if y1 - y0 > 2.6 * ref:  # a rule, fold or shadow much taller than the writing ...
            # ... to which faint ink (a shadow's edge) may have joined digits: when the faint ink is most of it, its
            # strong strokes stay if they are whole digits of the page's size, not thin (a rule's pieces are)
            parts = []
            for m in members:
                got = _strong_parts(ink, labels, m, (x0, y0, x1 - x0, y1 - y0), high, min_area, next_id, 1) or []
                next_id += len(got)
                parts += got
            if sum(part[4] for part in parts) < RESCUE_FAINT * a:
                for part in parts:
                    pw, ph = part[2] - part[0], part[3] - part[1]
                    if pw >= RESCUE_WIDE * ph and ph >= 0.6 * ref and _is_digit(part, ref, big, w):
                        groups.append(((part[0], part[1], pw, ph), part[5]))
            continue
        if _is_digit((x0, y0, x1, y1, a), ref, big, w):
            groups.append(((x0, y0, x1 - x0, y1 - y0), members))
    if len(groups) >= 2:  # a bar standing out of a row above and below it: a box's or a table's side, no 1
        boxes = [g[0] for g in groups]
        groups = [g for g in groups if not straddles(g[0], boxes, ref)]
    if len(groups) >= 3:  # among other writing, what fills an image corner is another object's corner
        groups = [g for g in groups if not _in_corner(g[0], w, h)]
    if len(groups) > MAX_DIGITS:  # a bad page must not cost all its digits: the largest are kept
        groups = sorted(groups, key=lambda g: -g[0][2] * g[0][3])[:MAX_DIGITS]
    return groups, labels


def _filling(mask: np.ndarray):
    """``find_digits``' result for ink covering over 0.4 of the picture: one digit filling a close-up (a thick marker
    stroke photographed from near, cut to its box) when the ink is one piece (``FILL_ONE`` of it) reaching across
    ``FILL_SPAN`` of the picture's height, not solid (``FILL_SOLID``) and drawn in strokes (the widest, twice the
    distance transform's peak, within ``FILL_STROKE`` of its height); else none (noise, grain, a picture)."""
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n < 2:
        return [], labels
    i = 1 + int(stats[1:, cv2.CC_STAT_AREA].argmax())
    x, y, bw, bh, area = (int(v) for v in stats[i])
    if area < FILL_ONE * cv2.countNonZero(mask) or bh < FILL_SPAN * h or area > FILL_SOLID * bw * bh:
        return [], labels
    piece = (labels[y: y + bh, x: x + bw] == i).view(np.uint8)
    half_width = cv2.distanceTransform(piece, cv2.DIST_L2, 3).max()
    if not FILL_STROKE[0] * bh <= half_width <= FILL_STROKE[1] * bh:  # strokes: not a mass, not a web of grain
        return [], labels
    return [((x, y, bw, bh), [i])], labels


def _is_digit(c, ref: float, big, w: int) -> bool:
    """Does candidate ``c`` (x0, y0, x1, y1, area) pass the size, shape and fill rules for a digit (``ref``: the
    typical digit height; ``big``: the page's digit-sized candidates; ``w``: the image width)?"""
    x0, y0, x1, y1, a = c[:5]
    gw, gh = x1 - x0, y1 - y0
    small_digit = gh < 0.4 * ref and _small_digit((x0, y0, x1, y1), a, big, ref)
    if gh < 0.4 * ref and gw < 0.4 * ref and not small_digit:        # specks, dots
        return False
    if gh > 2.6 * ref:                          # a rule, fold or shadow much taller than the writing
        return False
    if gw > 3.0 * max(gh, 1) and gh < 0.5 * ref:  # underlines, ruled lines
        return False
    if gw > 3.0 * ref:  # wider than three digits: a shadow edge, show-through, a stroke under the writing
        return False
    if gw < 0.08 * gh and gh > 1.3 * ref:  # straighter and longer than a 1: a piece of a printed rule
        return False
    if gh < 0.25 * ref and not small_digit:
        return False
    if a / float(gw * gh) > 0.9 and min(gw, gh) > 0.3 * ref:  # filled blobs (a thumb, a sticker)
        return False
    if (x0 == 0 or x1 == w) and gw < 0.2 * gh and gh < 1.5 * ref:  # a sliver of something cut by the frame's side
        return False
    return True


def _small_digit(box, area: int, big, ref: float) -> bool:
    """Is a candidate far smaller than the page's digits one of their own, written small?

    Writing of two sizes on one page (tiny pencil figures beside marker digits) is read when the
    small one is tall enough to read (``SMALL_DIGIT_PX`` analysed pixels, near MNIST's 20 px),
    stroke-like (its ink fills under half its box: a dot, a speck or a blob is solid), not much
    wider than tall, and alone: none of the ``big`` candidates (the page's size) within half a digit's
    height of it (a full stop or a stray mark beside a number stays out).
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if h < SMALL_DIGIT_PX or h < 0.8 * w or area >= 0.5 * w * h:
        return False
    return all(max(c[0] - x1, x0 - c[2], c[1] - y1, y0 - c[3]) >= 0.5 * ref for c in big)


def _strong(med: float, sigma: float, strength: float) -> float:
    """The level strong ink reaches at least, whatever Otsu says: ``HIGH_FLOOR`` (scaled) or 8 σ over the paper."""
    return med + max(HIGH_FLOOR * strength, 8.0 * sigma)


def _strength(med: float, otsu: float, tail: float) -> float:
    """How dark the page's ink is, ``FAINT``–1: Otsu's level above the paper, as a share of ``HIGH_FLOOR``.

    The floors suit a camera photo's noise and a pen's contrast. Light pencil on a clean scan
    stands only 15–30 levels above the paper: Otsu puts its split there, and the floors scale
    with it, so the strokes are not cut into pieces and faint digits are not lost. A page's own
    noise (σ) still bounds the thresholds from below. The floors shrink only where ink stands out:
    the darkest 0.5% of the page at least ``FAINT_MIN`` levels over the paper (an empty or
    out-of-focus camera frame has no such tail, and keeps the floors).
    """
    if tail - med < FAINT_MIN:
        return 1.0
    return min(1.0, max(FAINT, (otsu - med) / HIGH_FLOOR))


def _in_corner(box, w: int, h: int) -> bool:
    """Does ``box`` touch two adjacent sides of the image?"""
    x, y, bw, bh = box
    return (x == 0 or x + bw == w) and (y == 0 or y + bh == h)


def _strong_parts(ink, labels, i, box, high, min_area, first: int, least: int = 4) -> list | None:
    """Component ``i`` cut into its strong strokes (ink > ``high``) when it holds ``least`` or more.

    Hysteresis joins faint ink to strong strokes; faint bleed-through, a smudge or a scanner's
    shadow can join a whole page of digits into one component. One such component must not cost
    the digits in it: its strong parts become components of their own (ids ``first``, ``first`` + 1, …
    written into ``labels``).
    """
    x, y, bw, bh = box
    own = labels[y: y + bh, x: x + bw]
    core = ((own == i) & (ink[y: y + bh, x: x + bw] > high)).view(np.uint8)
    n, sub, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    big = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_area]
    if len(big) < least:
        return None
    return pieces(own, sub, stats, big, x, y, first)


def _ref_height(comps) -> float:
    """Typical digit height: median height of the components carrying most of the ink.

    Flat pieces (over ``FLAT`` times as wide as tall: what is left of a printed line, an underline, a dash) are no
    digit and have no say, so a page's line remnants cannot shrink it to their 1–2 px."""
    if not comps:
        return 1.0
    shaped = [c for c in comps if c[2] - c[0] <= FLAT * (c[3] - c[1])] or comps
    areas = [c[4] for c in shaped]
    heights = [c[3] - c[1] for c in shaped]
    cut = 0.25 * _median(sorted(areas)[-max(1, len(areas) // 2):])
    big = [hh for a, hh in zip(areas, heights) if a >= cut]
    return _median(big) if big else float(max(heights))


def _median(values) -> float:
    """np.median of a short list of numbers (same float result), without numpy's overhead."""
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (float(v[n // 2 - 1]) + float(v[n // 2])) / 2.0


def _merge(comps, ref, rooms):
    """Merge pieces that sit above/below each other or a small piece into its neighbour."""
    changed = True
    while changed and len(comps) > 1:
        changed = False
        comps.sort(key=lambda c: c[0])
        for i in range(len(comps)):
            for j in range(i + 1, len(comps)):
                a, b = comps[i], comps[j]
                if b[0] > a[2] + 0.3 * ref:
                    break
                if _belong(a, b, ref, rooms):
                    comps[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]), a[4] + b[4], a[5] + b[5]]
                    del comps[j]
                    changed = True
                    break
            if changed:
                break
    return comps


def _belong(a, b, ref, rooms) -> bool:
    """Are components ``a`` and ``b`` (x0, y0, x1, y1, area, ids) pieces of one digit (``rooms``: which may be frames,
    :class:`marks.Rooms`)?"""
    aw, bw = a[2] - a[0], b[2] - b[0]
    ah, bh = a[3] - a[1], b[3] - b[1]
    xo = min(a[2], b[2]) - max(a[0], b[0])  # overlap (negative: gap)
    yo = min(a[3], b[3]) - max(a[1], b[1])
    mh = max(a[3], b[3]) - min(a[1], b[1])
    mw = max(a[2], b[2]) - min(a[0], b[0])
    tall = max(ah, bh) >= FRAME_TALL * ref  # (cheap first: most pairs are neither frames nor lines)
    if tall and (frame(a, b, ref, rooms) or frame(b, a, ref, rooms)):
        return False
    flat = aw >= FLAT * ah or bw >= FLAT * bh
    if flat and (line_by(a, b, ref) or line_by(b, a, ref)) and not (_cap(a, b, ref) or _cap(b, a, ref)):
        return False
    # stacked pieces with almost no gap whose union is not much taller than the larger piece:
    # one digit cut by a faint stroke (holds even when every digit on the page is broken)
    if xo >= 0.5 * min(aw, bw) and -yo <= 0.12 * mh and mh <= 1.8 * max(ah, bh) and mw <= 1.3 * max(aw, bw):
        return True
    if _cap(a, b, ref) or _cap(b, a, ref):
        return True
    if mh > 1.35 * ref:
        return False
    # a short piece (a 5's cap, a 7's bar, a 4's arm) touching or almost touching a neighbour
    short = min(ah, bh) < 0.55 * ref and (a[4] if ah < bh else b[4]) < 0.6 * max(a[4], b[4])
    if short and xo > -0.12 * ref and yo > -0.12 * ref and mw <= 1.6 * ref:
        return True
    # a shorter, lighter stroke all but touching a neighbour (an open 4's left arm)
    lighter = min(ah, bh) < 0.7 * ref and (a[4] if ah < bh else b[4]) < 0.5 * max(a[4], b[4])
    if lighter and xo > -0.04 * ref and yo > 0.5 * min(ah, bh) and mw <= 1.1 * ref:
        return True
    if mw > 1.2 * max(ref, mh):
        return False
    # one box inside the other (a dot in a 0, an 8's loop drawn in two strokes)
    if xo >= 0.8 * min(aw, bw) and yo >= 0.8 * min(ah, bh):
        return True
    # stacked with horizontal overlap: a broken stroke
    return xo >= 0.4 * min(aw, bw) and yo > -0.25 * ref


def _cap(p, q, ref) -> bool:
    """Is ``p`` a 5's cap written apart from its body ``q``: a flat stroke sitting on ``q``'s top and running on
    to its right, from over ``q``'s right half (both as in :func:`_belong`)?

    The two-stroke 5's cap often ends up wide of the stem, and a 5 touching its neighbour is wide itself: the
    union is then wider and taller than the other rules let a digit be."""
    pw, ph, qh = p[2] - p[0], p[3] - p[1], q[3] - q[1]
    if not (pw >= 2 * ph and ph < 0.35 * ref and p[4] < 0.8 * q[4] and qh >= 0.6 * ref):
        return False
    sits = q[1] - 0.12 * ref <= p[3] <= q[1] + 0.25 * qh
    right = p[2] > q[2] and p[0] >= (q[0] + q[2]) / 2 and p[0] <= q[2] + 0.12 * ref
    return sits and right and max(p[2], q[2]) - min(p[0], q[0]) <= 2.0 * ref and max(p[3], q[3]) - min(p[1], q[1]) <= 1.5 * ref
