"""Find the handwritten digits in an image and turn each into an MNIST-style 28×28 crop.

Pipeline (OpenCV, one grey image, no model):

1. :func:`to_gray` — any 2-D/3-D array (uint8/uint16/float, 1–4+ channels, alpha onto
   white) → uint8 grey; large images are shrunk to ``max_side`` for the analysis.
2. Polarity — dark ink on paper or light ink on a board, from which side of the local
   background the pixels stray to; light ink is inverted so ink is always dark.
3. Illumination — the paper is estimated on a 4× smaller image (max filter + blur, which
   removes strokes) and divided out: shadows and gradients become flat white.
4. Ink = 255 − flattened image. Printed rules and grid lines (ruled or squared paper)
   are found and subtracted (:func:`erase_lines`); strokes that cross them are bridged.
5. Hysteresis threshold (a low level set by the paper's noise, a high level by Otsu)
   keeps faint pencil attached to its strong strokes.
6. Connected components; pieces of one digit (a 5's cap, a 7's bar) are merged; specks,
   rules, page edges and filled blobs are dropped by size, aspect and fill.
7. Rows: digits are chained left→right by vertical overlap (tilted rows work), rows are
   ordered top→bottom.
8. Each digit's grey-level ink (masked to its own pixels) is drawn at a canonical size,
   its stroke width brought to MNIST's, and normalized with :func:`normalize_digit`.

An image that already is one small centred digit (≤ ``SINGLE_MAX`` px, e.g. a 28×28
MNIST image) skips 3–7: the whole image is normalized as one digit.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import cv2
import numpy as np

from .normalize import SIZE, normalize_clean, normalize_digit

SINGLE_MAX = 64          # images at most this big are treated as one digit
MAX_SIDE = 1280          # larger images are analysed shrunk to this size
CANON = 56           # digits are redrawn with their longer side this long (2.8 × MNIST's 20 px box)
STROKE_TARGET = 5.2    # MNIST's median stroke width at CANON scale (7.4 px at 4×, measured on the test set)
REACH = 0.04          # faint ink joins strong ink within this share of the image's shorter side
MAX_DIGITS = 200         # more candidates than this: noise, not writing
LINE_KEEP = 1.4          # a printed line is subtracted at this many times its own ink level


@dataclass
class Found:
    """One digit: box (x, y, w, h) in input pixels, its row, and the 28×28 crop the model sees."""

    box: tuple[int, int, int, int]
    row: int
    crop: np.ndarray
    area_box: tuple[int, int, int, int] | None = field(default=None, repr=False)  # in the analysed image
    ids: tuple[int, ...] = field(default=(), repr=False)  # its connected components there


@dataclass
class Segmentation:
    digits: list[Found] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)  # indices into digits, reading order
    polarity: str = "dark"  # "dark" ink on light paper, or "light" ink on a dark board
    single: bool = False    # the whole image was taken as one digit
    context: tuple | None = field(default=None, repr=False)  # (ink, labels, scale, w0, h0) of the analysis

    def found(self, area_box, ids, row: int) -> Found:
        """A new candidate from components ``ids`` inside ``area_box`` (analysed-image pixels), for
        stages that split or merge digits after segmentation."""
        ink, labels, scale, w0, h0 = self.context
        return Found(_unscale(area_box, scale, w0, h0), row, digit_crop(ink, labels, area_box, list(ids)),
                     tuple(int(v) for v in area_box), tuple(ids))

    def regroup(self) -> None:
        """Rebuild ``rows`` from the digits' rows (digits kept in reading order by the caller)."""
        self.rows = []
        for i, d in enumerate(self.digits):
            while len(self.rows) <= d.row:
                self.rows.append([])
            self.rows[d.row].append(i)

    @property
    def crops(self) -> np.ndarray:
        """N×28×28×1 float32 batch for the model."""
        if not self.digits:
            return np.zeros((0, SIZE, SIZE, 1), np.float32)
        return np.stack([d.crop for d in self.digits])[..., None]


# ---------------------------------------------------------------------------- input

def to_gray(image) -> np.ndarray:
    """Any 2-D or 3-D numeric array → 2-D uint8 grey (BGR channel order, alpha composited onto white)."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or a.size == 0:
        shape = a.shape[:2] if a.ndim >= 2 else (1, 1)
        return np.full(shape, 255, np.uint8)
    a = _to_u8(a)
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


def _to_u8(a: np.ndarray) -> np.ndarray:
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


# ---------------------------------------------------------------------------- segmentation

def segment(image, *, max_side: int = MAX_SIDE) -> Segmentation:
    """Find the digits in ``image`` (any array :func:`to_gray` accepts), in reading order."""
    gray = to_gray(image)
    h0, w0 = gray.shape
    if max(h0, w0) <= SINGLE_MAX:
        return _single(gray)
    scale = 1.0
    if max(h0, w0) > max_side:
        scale = max_side / max(h0, w0)
        gray = cv2.resize(gray, (max(1, round(w0 * scale)), max(1, round(h0 * scale))), interpolation=cv2.INTER_AREA)
    if not has_contrast(gray):
        return Segmentation()
    ink, polarity = ink_image(gray)
    groups, labels = find_digits(ink)
    out = Segmentation(polarity=polarity, context=(ink, labels, scale, w0, h0))
    if not groups:
        return out
    rows = reading_order([g[0] for g in groups])
    for r, row in enumerate(rows):
        for i in row:
            out.digits.append(out.found(*groups[i], r))
    out.regroup()
    return out


MIN_CONTRAST = 16        # grey levels between paper and ink that a pen or pencil makes at least


def has_contrast(gray: np.ndarray) -> bool:
    """Could ``gray`` hold writing? A dark or blank frame (sensor noise, compression blocks a few
    grey levels apart) spans fewer than ``MIN_CONTRAST`` levels: no pen makes so little contrast,
    and flattening would only amplify the noise."""
    lo, hi = cv2.minMaxLoc(gray)[:2]
    return hi - lo >= MIN_CONTRAST


def _unscale(box, scale, w0, h0):
    if scale == 1.0:
        return tuple(int(v) for v in box)
    x, y, w, h = box
    x0, y0 = int(np.floor(x / scale)), int(np.floor(y / scale))
    x1, y1 = int(np.ceil((x + w) / scale)), int(np.ceil((y + h) / scale))
    x0, y0 = min(max(x0, 0), w0 - 1), min(max(y0, 0), h0 - 1)
    return (x0, y0, max(1, min(x1, w0) - x0), max(1, min(y1, h0) - y0))


def _single(gray: np.ndarray) -> Segmentation:
    """A small image taken as one digit: the ink is the side that strays farthest from the median."""
    out = Segmentation(single=True)
    g = gray.astype(np.float32)
    lo, med, hi = np.percentile(g, [1, 50, 99])
    if hi - lo < 24:
        return out
    light = (hi - med) > (med - lo)
    out.polarity = "light" if light else "dark"
    ink = g - med if light else med - g
    ink = np.clip(ink / max(float(ink.max()), 1.0), 0, 1)
    ink[ink < 0.1] = 0
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return out
    crop = normalize_digit(ink)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    out.digits.append(Found(box, 0, crop))
    out.rows.append([0])
    return out


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
    # closing: a max filter removes strokes thinner than the kernel, the min filter after it restores
    # large dark regions (a desk around the sheet, a board's frame), which are background, not ink
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
    on ``gray`` (a paper edge rises within 3 px; a vignette or a shadow's penumbra does not). The writing lies on the sheet, so ink is only looked
    for inside it, away from its rim: the desk's grain, the sheet's shadowed edge and other sheets
    beside it are never taken for digits.
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


_K5 = np.ones((5, 5), np.uint8)


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


_LEVELS = np.arange(256, dtype=np.float64)


def _hist_stats(ink: np.ndarray) -> tuple[float, float, float]:
    """Median, robust sigma (1.48 × MAD) and Otsu level of a uint8 image, from its histogram."""
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
    half = total / 2
    c = cum.tolist()
    med = bisect.bisect_left(c, half)
    # MAD: the smallest k with at least half of the pixels within med ± k
    mad = 255
    for k in range(256):
        lo = med - k - 1
        if c[min(med + k, 255)] - (c[lo] if lo >= 0 else 0.0) >= half:
            mad = k
            break
    # Otsu: the level that maximises the between-class variance (levels with an empty class: -1)
    w0 = cum / total
    mu = np.cumsum(hist * _LEVELS) / total
    num = mu[-1] * w0 - mu
    num *= num
    den = w0 * (1 - w0)
    between = np.divide(num[:-1], den[:-1], out=np.full(255, -1.0), where=den[:-1] != 0)
    otsu = float(between.argmax())
    return float(med), 1.4826 * max(mad, 0.5), otsu


def find_digits(ink: np.ndarray):
    """Threshold ``ink`` and group its components into digits.

    Returns ``(groups, labels)``: each group is ``(box, component_labels)`` with box (x, y, w, h)
    in ``ink``'s pixels; ``labels`` is the image of connected-component labels. Printed lines
    are erased from ``ink`` in place, so the crops cut from it afterwards hold none.
    """
    h, w = ink.shape
    med, sigma, otsu = _hist_stats(ink)
    clean = erase_lines(ink, (med, sigma))
    if clean is not None:  # the paper's statistics stay those measured with the lines: wiped pixels are 0
        ink[:] = clean
        otsu = _hist_stats(ink)[2]
    low = med + max(14.0, 4.0 * sigma)
    high = max(otsu, med + max(35.0, 8.0 * sigma), low + 10)
    mask = cv2.threshold(ink, low, 255, cv2.THRESH_BINARY)[1]
    if cv2.countNonZero(mask) > 0.4 * h * w:  # faint marks everywhere (bleed-through, a smudge): the strong ink only
        low = high
        mask = cv2.threshold(ink, low, 255, cv2.THRESH_BINARY)[1]
        if cv2.countNonZero(mask) > 0.4 * h * w:  # not writing on paper: noise or a picture
            return [], None
    # limited hysteresis: faint ink counts only near strong ink, so faint lines crossing the page
    # (bleed-through, a smudge, a scanner's shadow) cannot chain digits into one component
    reach = max(3, round(min(h, w) * REACH))
    near = cv2.dilate(cv2.threshold(ink, high, 255, cv2.THRESH_BINARY)[1],
                      cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    mask = cv2.bitwise_and(mask, near)
    # hysteresis: the components of the low mask that hold a strong pixel (ink > high)
    # (BBDT: 2.5× faster than OpenCV's default algorithm with statistics on a 640×480 frame)
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    strong = np.bincount(labels[ink > high], minlength=n)
    min_area = max(6, h * w * 2e-5)
    comps = []
    for i in np.flatnonzero((strong > 0) & (stats[:, cv2.CC_STAT_AREA] >= min_area)).tolist():
        if i == 0:
            continue
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if bw * bh < min_area:
            continue
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if touches and (bh > 0.6 * h or bw > 0.6 * w):  # page edges, folds, frames
            continue
        if bw * bh > 0.04 * h * w:  # large: several digits joined by faint ink? then its strong parts
            parts = _strong_parts(ink, labels, i, (x, y, bw, bh), high, min_area)
            if parts:
                comps += parts
                continue
        comps.append([x, y, x + bw, y + bh, area, [i]])
    if not comps or len(comps) > MAX_DIGITS * 4:
        return [], labels
    ref = _ref_height(comps)
    comps = _merge(comps, ref)
    ref = _ref_height(comps)
    groups = []
    for x0, y0, x1, y1, a, members in comps:
        gw, gh = x1 - x0, y1 - y0
        if gh < 0.4 * ref and gw < 0.4 * ref:        # specks, dots
            continue
        if gh > 2.6 * ref:                          # a rule, fold or shadow much taller than the writing
            continue
        if gw > 3.0 * max(gh, 1) and gh < 0.5 * ref:  # underlines, ruled lines
            continue
        if gh < 0.25 * ref:
            continue
        fill = a / float(gw * gh)
        if fill > 0.9 and min(gw, gh) > 0.3 * ref:  # filled blobs (a thumb, a sticker)
            continue
        groups.append(((x0, y0, gw, gh), members))
    if len(groups) > MAX_DIGITS:
        return [], labels
    return groups, labels


def _strong_parts(ink, labels, i, box, high, min_area) -> list | None:
    """Component ``i`` cut into its strong strokes (ink > ``high``) when it holds four or more.

    Hysteresis joins faint ink to strong strokes; faint bleed-through, a smudge or a scanner's
    shadow can join a whole page of digits into one component. One such component must not cost
    the digits in it: its strong parts become components of their own (new ids in ``labels``).
    """
    x, y, bw, bh = box
    own = labels[y: y + bh, x: x + bw]
    core = ((own == i) & (ink[y: y + bh, x: x + bw] > high)).view(np.uint8)
    n, sub, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    big = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_area]
    if len(big) < 4:
        return None
    first = int(labels.max()) + 1
    parts = []
    for j, k in enumerate(big):
        px, py, pw, ph, area = (int(v) for v in stats[k])
        own[sub == k] = first + j
        parts.append([x + px, y + py, x + px + pw, y + py + ph, area, [first + j]])
    return parts


def erase_lines(ink: np.ndarray, paper: tuple[float, float]) -> np.ndarray | None:
    """``ink`` with printed rules and grid lines subtracted; None if it has none.

    Lines are found on a half-size image: long horizontal or vertical runs (±2° of tilt) whose
    ink, averaged along them, stands out of the paper (``paper`` = its median and sigma): at least
    a third of the page long, thin for their length, and two of them parallel and across most of
    the page (a lone margin rule across them counts too), so a digit's long stroke is not taken
    for one. Each line is fitted (robust to the strokes that cross it) and subtracted at
    ``LINE_KEEP`` times its own ink level; strokes that cross it are bridged over it.
    """
    h, w = ink.shape
    if min(h, w) < 64:
        return None
    small = cv2.resize(ink, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    margin = max(5.0, 2.0 * paper[1])
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


def _ref_height(comps) -> float:
    """Typical digit height: median height of the components carrying most of the ink."""
    if not comps:
        return 1.0
    areas = [c[4] for c in comps]
    heights = [c[3] - c[1] for c in comps]
    cut = 0.25 * _median(sorted(areas)[-max(1, len(areas) // 2):])
    big = [hh for a, hh in zip(areas, heights) if a >= cut]
    return _median(big) if big else float(max(heights))


def _median(values) -> float:
    """np.median of a short list of numbers (same float result), without numpy's overhead."""
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (float(v[n // 2 - 1]) + float(v[n // 2])) / 2.0


def _merge(comps, ref):
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
                if _belong(a, b, ref):
                    comps[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]), a[4] + b[4], a[5] + b[5]]
                    del comps[j]
                    changed = True
                    break
            if changed:
                break
    return comps


def _belong(a, b, ref) -> bool:
    """Are components ``a`` and ``b`` (x0, y0, x1, y1, area, ids) pieces of one digit?"""
    aw, bw = a[2] - a[0], b[2] - b[0]
    ah, bh = a[3] - a[1], b[3] - b[1]
    xo = min(a[2], b[2]) - max(a[0], b[0])  # overlap (negative: gap)
    yo = min(a[3], b[3]) - max(a[1], b[1])
    mh = max(a[3], b[3]) - min(a[1], b[1])
    mw = max(a[2], b[2]) - min(a[0], b[0])
    # stacked pieces with almost no gap whose union is not much taller than the larger piece:
    # one digit cut by a faint stroke (holds even when every digit on the page is broken)
    if xo >= 0.5 * min(aw, bw) and -yo <= 0.12 * mh and mh <= 1.8 * max(ah, bh) and mw <= 1.3 * max(aw, bw):
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


def reading_order(boxes) -> list[list[int]]:
    """Group boxes (x, y, w, h) into rows (top→bottom), each left→right; tilted rows are chained."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0] + boxes[i][2] / 2)
    rows: list[list[int]] = []
    for i in order:
        x, y, w, h = boxes[i]
        best, best_ov = None, 0.0
        for r, row in enumerate(rows):
            lx, ly, lw, lh = boxes[row[-1]]
            ov = (min(y + h, ly + lh) - max(y, ly)) / max(1, min(h, lh))
            # either centre inside the other's height: a small digit written high or low in its row
            if ly <= y + h / 2 <= ly + lh or y <= ly + lh / 2 <= y + h:
                ov = max(ov, 0.35)
            if ov > best_ov:
                best, best_ov = r, ov
        if best is not None and best_ov >= 0.35:
            rows[best].append(i)
        else:
            rows.append([i])
    # mean centre height (half-integers: the plain sum is exact, as numpy's is)
    rows.sort(key=lambda row: sum(boxes[i][1] + boxes[i][3] / 2 for i in row) / len(row))
    return rows


# ---------------------------------------------------------------------------- one digit

def digit_crop(ink: np.ndarray, labels: np.ndarray, box, ids) -> np.ndarray:
    """The 28×28 crop of one digit: its own grey-level ink, MNIST stroke width, normalized."""
    x, y, w, h = box
    own = labels[y: y + h, x: x + w]
    mask = ((own == ids[0]) if len(ids) == 1 else np.isin(own, ids)).view(np.uint8) * np.uint8(255)
    # the digit's outline filled: the faint ink inside its loops belongs to it too
    outline, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(mask, outline, -1, 255, -1)
    mask = cv2.dilate(mask, _K3)
    roi = cv2.bitwise_and(ink[y: y + h, x: x + w], mask)
    # the stroke's core level: 75th percentile of the digit's own ink pixels (roi is 0 off the mask)
    hist = cv2.calcHist([roi], [0], None, [256], [0, 256]).ravel()
    hist[0] = 0
    total = cv2.countNonZero(roi)  # = the histogram's sum without level 0
    hi = float(hist.cumsum().searchsorted(0.75 * total)) if total else 1.0
    # min(ink / hi, 1) as a 256-entry float32 table (same float32 arithmetic, one pass over the pixels)
    soft = cv2.LUT(roi, np.minimum(_LEVELS32 * (1.0 / max(hi, 1.0)), 1.0))
    return normalize_clean(match_stroke(soft))


_LEVELS32 = np.arange(256, dtype=np.float32)


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
