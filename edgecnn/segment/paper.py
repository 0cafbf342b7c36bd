"""The paper: polarity, uneven lighting flattened into an ink image, and the sheet on a desk."""

from __future__ import annotations

import cv2
import numpy as np

from .gray import otsu

_K3 = np.ones((3, 3), np.uint8)
_K5 = np.ones((5, 5), np.uint8)
POLARITY_CLEAR = 1.5  # one way of straying from the paper this many times the other decides the polarity
COARSE = 1 / 3        # the second polarity window: this share of the picture's shorter side
TWO_LEVELS = 0.85     # ... and when neither window is clear, a picture whose Otsu split explains this share of its
# variance (two levels, not noise or shading) is paper on the side its rim falls in
BRIGHT_DOUBT = 0.03   # over this share of the picture brighter than the first window's median: the second decides
TEXTURE = 3.0         # light ink strays this many times the paper's mean local deviation
SHARE_LOOK = 0.2  # an outline this sharp in part sends the search on to the sheet's straight edges
SWALLOWED = 0.5   # paper found under this share of the paper around it is a stroke wider than the filter ...
SWALLOW_MIN = 0.002  # ... when this share of the picture is
# a shadow's edge: the paper is never brighter than a closing that takes out strokes STEP_CLOSE filters wide by more
STEP_CLOSE = 2    # than STEP_CAP, where it lowers the paper by more than STEP_LEVELS (in pieces that a closing
STEP_CAP = 0.04   # STEP_WIDE times wider lowers too, in part: not a blob of thick ink); this many small pixels
STEP_LEVELS = 3   # around (STEP_NEAR) the cap is taken again at half the picture's size
STEP_WIDE = 4
STEP_NEAR = 5
EDGE_STEP = 15.0  # a sheet's paper, just inside its outline, is this many levels brighter than what lies just outside


def ink_image(gray: np.ndarray) -> tuple[np.ndarray, str]:
    """Flatten the illumination; return uint8 ink (bright where written, ~0 on paper) and the polarity."""
    h, w = gray.shape
    f = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    polarity = _polarity(small)
    if polarity == "light":
        gray = cv2.bitwise_not(gray)
        small = cv2.bitwise_not(small)
    bg, wide, level, near, close = _paper(small, max(3, (max(small.shape) // 40) | 1))
    cap = None if near is None else _step_cap(gray, near, f, close * f)  # a shadow's edge, followed at full size
    ink = _flatten(gray, bg, cap)
    if wide is not None:  # strokes wider than the filter: their ink, as the wider filter finds it, where strong
        ink = cv2.max(ink, cv2.threshold(_flatten(gray, wide, cap), level, 255, cv2.THRESH_TOZERO)[1])
    sheet = sheet_mask(small, gray) if f > 1 else None
    if sheet is not None:
        ink = cv2.bitwise_and(ink, cv2.resize(sheet, (w, h), interpolation=cv2.INTER_NEAREST))
    return ink, polarity


def _flatten(gray: np.ndarray, bg: np.ndarray, cap=None) -> np.ndarray:
    """Ink (bright where written) of ``gray`` over the paper ``bg`` (a smaller picture, brought to ``gray``'s size),
    the paper never brighter than ``cap`` where it says (None, or :func:`_step_cap`'s)."""
    h, w = gray.shape
    # bilinear upsampling keeps a minimum ≥ 1, so the full-size max(bg, 1) is needed only if bg has zeros
    floor = cv2.minMaxLoc(bg)[0] < 1
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    if cap is not None:
        (x, y, cw, ch), level = cap
        roi = bg[y: y + ch, x: x + cw]
        cv2.min(roi, level, roi)
    if floor:
        bg = cv2.max(bg, 1)
    flat = cv2.divide(gray, bg, bg, scale=255)
    return cv2.bitwise_not(flat, flat)


def _paper(small: np.ndarray, kk: int) -> tuple:
    """The paper's brightness on ``small`` (ink dark): a max filter ``kk`` px wide removes the strokes thinner than
    it, a blur smooths it. Returns it, and for strokes wider than the filter the paper a wider filter finds and the
    ink level that counts as their ink there (None, 0 when there are none).

    Strokes wider than the filter (a marker digit filling a close-up, a thick brush) stay in it and would be
    flattened away but for their rims. Where the paper so found is under ``SWALLOWED`` of the paper on both sides of
    it, within two filters up and down or left and right, a stroke was taken for paper (a shadow's edge has paper
    on one side only); the filter then grows threefold until it takes none (as long as it fits the picture). The
    wider filter follows the lighting less closely, so only its strong ink counts: half the level of the strokes it was
    grown for, or more.

    The blur carries the lit side of a shadow's edge over onto its shaded side, where it would read as a band of
    ink. So near such an edge the paper is never brighter than a closing that takes out strokes ``STEP_CLOSE``
    filters wide (and a shadow's edge does not) by more than ``STEP_CAP`` (:func:`_near_edges` says where). Also
    returned: that where (None if nowhere: most pictures), and the closing's size."""
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kk, kk)))
    paper = cv2.blur(bg, (kk, kk))
    cores, size = None, kk
    while 3 * size <= min(small.shape):
        swallowed = _swallowed(bg, 2 * size)
        if swallowed is None:
            break
        cores = swallowed if cores is None else cores
        size *= 3
        bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    wide = None if cores is None else cv2.blur(bg, (size, size))
    close = STEP_CLOSE * size
    capped = _near_edges(small, paper if wide is None else cv2.max(paper, wide), close)
    near = None
    if capped is not None:
        near, cap = capped
        cv2.copyTo(cv2.min(paper, cap), near, paper)
        if wide is not None:
            cv2.copyTo(cv2.min(wide, cap), near, wide)
    if cores is None:
        return paper, None, 0.0, near, close
    stroke = 255.0 - 255.0 * small[cores > 0].astype(np.float32) / np.maximum(wide[cores > 0], 1)
    return paper, wide, 0.5 * float(np.median(stroke)), near, close


def _step_cap(gray: np.ndarray, near: np.ndarray, f: int, size: int) -> tuple:
    """The paper's cap near a shadow's edge (``near``, on the picture ``f`` times smaller) taken again from ``gray``
    at half size: upsampled from the small picture, it would leave a ramp ``f`` px wide across the edge, a line of
    ink. Returns the box it covers in ``gray`` (x, y, w, h) and the cap there (255, no cap, away from the edge)."""
    h, w = gray.shape
    x, y, sw, sh = cv2.boundingRect(near)
    x0, y0 = max(0, x * f - size), max(0, y * f - size)
    x1, y1 = min(w, (x + sw) * f + size), min(h, (y + sh) * f + size)
    half = (max(1, (x1 - x0) // 2), max(1, (y1 - y0) // 2))
    cap = _closing(cv2.resize(gray[y0:y1, x0:x1], half, interpolation=cv2.INTER_AREA), size // 2)
    where = near[y0 // f: -(-y1 // f), x0 // f: -(-x1 // f)]
    cap = cv2.max(cap, cv2.bitwise_not(cv2.resize(where, half, interpolation=cv2.INTER_NEAREST)))
    return (x0, y0, x1 - x0, y1 - y0), cv2.resize(cap, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)


def _near_edges(small: np.ndarray, paper: np.ndarray, close: int) -> tuple | None:
    """Where the paper's cap holds, and the cap: around where a closing ``close`` px wide (taken at half size, as
    the test that most pictures stop at) raised by STEP_CAP lowers ``paper`` by more than STEP_LEVELS, in the pieces
    of it that a closing ``STEP_WIDE`` times wider lowers too, in part: there the shade runs on (a shadow), while a
    blob of thick ink about as wide as the closing is filled in by the wider one. None when nowhere."""
    h, w = small.shape
    if min(h, w) < 8:
        return None
    size = (w // 2, h // 2)
    half = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
    closed = _closing(half, close // 2)
    # paper > closed × (1 + STEP_CAP) + STEP_LEVELS, as (paper − STEP_LEVELS) / (1 + STEP_CAP) > closed: one pass fewer
    over = cv2.convertScaleAbs(cv2.resize(paper, size, interpolation=cv2.INTER_AREA), alpha=1.0 / (1.0 + STEP_CAP),
                               beta=-STEP_LEVELS / (1.0 + STEP_CAP))
    steps = cv2.compare(over, closed, cv2.CMP_GT)
    if not cv2.countNonZero(steps):
        return None
    shade = cv2.bitwise_and(steps, cv2.compare(over, _closing(half, STEP_WIDE * close // 2), cv2.CMP_GT))
    if not cv2.countNonZero(shade):
        return None
    n, labels = cv2.connectedComponents(steps, connectivity=8)
    kept = np.zeros(n, np.uint8)
    kept[labels[shade > 0]] = 255
    kept[0] = 0
    keep = kept[labels]
    near = cv2.dilate(keep, np.ones((STEP_NEAR, STEP_NEAR), np.uint8))
    cap = cv2.convertScaleAbs(closed, alpha=1.0 + STEP_CAP)
    return (cv2.resize(near, (w, h), interpolation=cv2.INTER_NEAREST),
            cv2.resize(cap, (w, h), interpolation=cv2.INTER_LINEAR))


def _closing(img: np.ndarray, size: int) -> np.ndarray:
    """Grey closing by a square ``size`` px wide, the picture taken as dark beyond its border: shade that runs out
    of the picture is followed to the border (with OpenCV's own border the square must fit inside the picture, and
    shade along the border narrower than it is filled in)."""
    size |= 1  # odd: the square centred, or the closing would go below the picture near its border
    r = size // 2 + 1
    padded = cv2.copyMakeBorder(img, r, r, r, r, cv2.BORDER_CONSTANT, value=0)
    return cv2.morphologyEx(padded, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))[r:-r, r:-r]


def _swallowed(bg: np.ndarray, reach: int) -> np.ndarray | None:
    """Where ``bg`` (a max-filtered picture) is under ``SWALLOWED`` of the paper on both sides of it within ``reach``
    px, up and down or left and right; None when that is under ``SWALLOW_MIN`` of the picture."""
    # only paper darker than SWALLOWED of the brightest can have been a stroke: on most frames, too little is
    dark = cv2.threshold(bg, SWALLOWED * cv2.minMaxLoc(bg)[1], 255, cv2.THRESH_BINARY_INV)[1]
    if cv2.countNonZero(dark) < SWALLOW_MIN * bg.size:
        return None
    side = [cv2.dilate(bg, np.ones(shape, np.uint8), anchor=anchor) for shape, anchor in
            (((reach, 1), (0, 0)), ((reach, 1), (0, reach - 1)), ((1, reach), (0, 0)), ((1, reach), (reach - 1, 0)))]
    both = cv2.max(cv2.min(side[0], side[1]), cv2.min(side[2], side[3]))
    swallowed = cv2.compare(bg, cv2.multiply(both, SWALLOWED, dtype=cv2.CV_8U), cv2.CMP_LT)
    return swallowed if cv2.countNonZero(swallowed) >= SWALLOW_MIN * bg.size else None


def _polarity(small: np.ndarray) -> str:
    """"dark" ink on light paper or "light" ink on a dark board: which way more pixels stray from the local
    median (on a 2× smaller image still: cheap), clearly (``POLARITY_CLEAR`` times the other way).

    Strokes wider than the median's window (a digit drawn with a thick brush filling the picture) are
    the window's majority, so both ways stray alike; then a window a third of the picture's side
    (``COARSE``), where the paper is the majority again, decides. It decides too when the small window finds
    dark ink but also over ``BRIGHT_DOUBT`` of the picture brighter than its median: the window sat inside thick
    light strokes (a digit drawn white on black, filling the picture), around which the dark strays. Dark ink
    when neither is clear.
    Light ink must also stand out of the paper's own texture: a dense grid shrunk 8× beats into a
    pattern of bright dots a dozen levels over their neighbours (:func:`_strays`)."""
    tiny = cv2.resize(small, (max(1, small.shape[1] // 2), max(1, small.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    windows = (min(2 * max(1, min(tiny.shape) // 12) + 1, 15), 2 * max(1, int(min(tiny.shape) * COARSE) // 2) + 1)
    for coarse, k in enumerate(windows):
        local = cv2.medianBlur(tiny, k) if min(tiny.shape) >= k else np.full_like(tiny, int(np.median(tiny)))
        diff = tiny.astype(np.int16) - local.astype(np.int16)
        dark, bright = _strays(diff, 12)
        if bright > POLARITY_CLEAR * dark:
            dark, bright = _strays(diff, np.maximum(12, TEXTURE * cv2.blur(np.abs(diff).astype(np.float32), (k, k))))
            if bright > POLARITY_CLEAR * dark:
                return "light"
        if dark > POLARITY_CLEAR * bright and (coarse or bright <= BRIGHT_DOUBT * diff.size):
            return "dark"
    # neither clear (strokes as wide as both windows: a digit drawn thick, filling the picture): the paper is what
    # lies around the writing, the side of Otsu's split that most of the picture's rim falls in
    level, _, explained = otsu(cv2.calcHist([tiny], [0], None, [256], [0, 256]).ravel())
    rim = np.concatenate([tiny[0], tiny[-1], tiny[1:-1, 0], tiny[1:-1, -1]])
    return "light" if np.median(rim) <= level and explained >= TWO_LEVELS else "dark"


def _strays(diff: np.ndarray, level) -> tuple[int, int]:
    """How many pixels stray more than ``level`` (a number, or one per pixel) below and above the paper."""
    return int((diff < -level).sum()), int((diff > level).sum())


def sheet_mask(small: np.ndarray, gray: np.ndarray) -> np.ndarray | None:
    """Where the sheet of paper is, on ``small`` (``gray`` reduced; ink dark); None if it fills the view.

    A photo of a sheet lying on a desk shows a large bright region (the sheet) against darker
    surroundings. A flat sheet is convex, so the region's convex hull is the sheet, shadows on
    it included. It counts only if its outline is a sharp step along most of its length, measured
    on ``gray`` (a paper edge rises within 3 px; a vignette or a shadow's penumbra does not). The
    writing lies on the sheet, so ink is only looked for inside it, away from its rim: the desk's
    grain, the sheet's shadowed edge and other sheets beside it are never taken for digits.

    Shade on the sheet and glare on the desk can make the bright region something else (the lit
    part of the sheet joined to the glare, or cut short by a shadow's soft edge): then only part
    of its outline is a paper edge, and the sheet is looked for by its straight edges as well
    (:func:`_edge_sheet`, with the same evidence asked); that sheet is taken when the bright
    region gave none, or when it holds all of the bright region's sheet and more.
    """
    level, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if cv2.countNonZero(bright) > 0.9 * small.size:  # paper (and its writing) fills the view
        return None
    sharp = _Sharp(small, gray)
    sheet, share = _bright_sheet(small, bright, level, sharp)
    if SHARE_LOOK <= share < 0.9:  # its outline is a paper edge in part only: where are the sheet's other sides?
        edges = _edge_sheet(small, sharp)
        # ... or a shadow's soft edge cut the bright region short: the sheet that straight paper edges
        # bound holds all of it and more
        if edges is not None and (sheet is None or _holds(edges, sheet)):
            sheet = edges
    return None if sheet is None else cv2.erode(sheet, _K3, iterations=2)


def _holds(big: np.ndarray, mask: np.ndarray) -> bool:
    """Does ``big`` hold (all but 2 % of) ``mask``, and at least 5 % more?"""
    area = cv2.countNonZero(mask)
    return cv2.countNonZero(cv2.subtract(mask, big)) < 0.02 * area and cv2.countNonZero(big) >= 1.05 * area


def _bright_sheet(small: np.ndarray, bright: np.ndarray, level: float, sharp: _Sharp) -> tuple:
    """The convex hull of the largest bright region if it shows a sheet's outline, else None; and the
    share of its outline that is a sharp step along the region (0 when its shape is no sheet's)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None, 0.0
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[biggest, cv2.CC_STAT_AREA] < 0.15 * small.size:
        return None, 0.0
    outline, _ = cv2.findContours(np.where(labels == biggest, np.uint8(255), np.uint8(0)),
                                  cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = [max(outline, key=cv2.contourArea)]
    hull = cv2.convexHull(outline[0])
    sheet = np.zeros_like(small)
    cv2.fillConvexPoly(sheet, hull, 255)
    if cv2.countNonZero(sheet) > 0.9 * small.size or not _two_edges(hull, small.shape):
        return None, 0.0
    if np.median(small[sheet == 0]) >= level:  # around the hull: mostly paper too (a grid, a loop)
        return None, 0.0
    # ... and the bright region's own outline runs along the hull where it is sharp: straight
    # sides, not a curved shadow edge that the hull only cuts across
    edge = np.zeros_like(small)
    cv2.drawContours(edge, outline, -1, 255, 5)
    share = sharp.share(hull, edge)
    # a sheet's outline steps down to the desk; the bright side of uneven light on one page has paper beyond it
    # too (a grid's or a rule's sharp lines along the split pass the sharpness test)
    return (sheet if share >= 0.6 and _step(small, sheet) >= EDGE_STEP else None), share


def _step(small: np.ndarray, sheet: np.ndarray, reach: int = 4) -> float:
    """How much brighter ``small`` is just inside ``sheet``'s outline than just outside it (medians over rings
    ``reach`` px wide, away from the image border). A paper edge steps by tens of levels. Where uneven light
    splits one page (glare, a patchy shade), the split runs through paper; a grid's or a rule's sharp lines
    along it do not make it an edge."""
    inside = cv2.subtract(sheet, cv2.erode(sheet, _K3, iterations=reach))
    outside = cv2.subtract(cv2.dilate(sheet, _K3, iterations=reach), sheet)
    away = np.zeros_like(sheet)
    away[3:-3, 3:-3] = 255
    inside, outside = cv2.bitwise_and(inside, away), cv2.bitwise_and(outside, away)
    if not cv2.countNonZero(inside) or not cv2.countNonZero(outside):
        return 0.0
    return float(np.median(small[inside > 0])) - float(np.median(small[outside > 0]))


class _Sharp:
    """Where ``small`` shows a sharp step: a paper edge rises within 3 px of ``gray`` (computed once, when asked)."""

    def __init__(self, small: np.ndarray, gray: np.ndarray):
        self.small, self.gray, self._map, self._coarse = small, gray, None, None

    def coarse(self) -> np.ndarray:
        """Where ``small`` steps by 35 levels or more over 5 px: a step, not a thin line (cheap: ``small`` only)."""
        if self._coarse is None:
            self._coarse = cv2.threshold(cv2.morphologyEx(self.small, cv2.MORPH_GRADIENT, _K5), 35, 255,
                                         cv2.THRESH_BINARY)[1]
        return self._coarse

    def map(self) -> np.ndarray:
        if self._map is None:
            small, gray = self.small, self.gray
            f = gray.shape[0] // small.shape[0]
            step = cv2.dilate(cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, _K3),
                              np.ones((2 * f + 1, 2 * f + 1), np.uint8))
            step = step[f // 2:: f, f // 2:: f][: small.shape[0], : small.shape[1]]
            hh, ww = step.shape
            sharp = cv2.threshold(step, 35, 255, cv2.THRESH_BINARY)[1]
            self._map = cv2.bitwise_and(sharp, self.coarse()[:hh, :ww])
        return self._map

    def share(self, poly: np.ndarray, along: np.ndarray) -> float:
        """The share of the polygon's outline away from the image border that is sharp and runs along ``along``."""
        rim = np.zeros_like(self.small)
        cv2.polylines(rim, [poly], True, 255, 1)
        rim[:2, :] = rim[-2:, :] = 0
        rim[:, :2] = rim[:, -2:] = 0
        on_rim = cv2.countNonZero(rim)
        if on_rim == 0:
            return 0.0
        # the coarse step alone bounds the share from above: under SHARE_LOOK (every decision's lowest
        # threshold), the full-size step map (the costly part) is not needed — the usual frame stops here
        bound = cv2.countNonZero(cv2.bitwise_and(cv2.bitwise_and(self.coarse(), rim), along)) / on_rim
        if bound < SHARE_LOOK:
            return bound
        sharp = self.map()
        hh, ww = sharp.shape
        hits = cv2.bitwise_and(cv2.bitwise_and(sharp, rim[:hh, :ww]), along[:hh, :ww])
        return cv2.countNonZero(hits) / on_rim


def _edge_sheet(small: np.ndarray, sharp: _Sharp) -> np.ndarray | None:
    """The sheet as the polygon its straight edges bound: for shade on the sheet and glare on the desk.

    A sheet's side is a long straight step with paper on its bright side and the desk, not a pen
    stroke's width of ink, on its dark side. Such straight edges (Canny at the image's own
    gradient levels, then Hough segments) are taken longest first, each cutting the image to its
    bright side unless a longer one already cut its own segment away (the edge of a book or of
    another sheet beside this one). The polygon left counts as the sheet only with the evidence
    the bright region needs, and if most of what lies around it is darker than the paper.
    """
    h, w = small.shape
    short = min(h, w)
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    mag = cv2.add(cv2.convertScaleAbs(cv2.Sobel(blur, cv2.CV_16S, 1, 0)),
                  cv2.convertScaleAbs(cv2.Sobel(blur, cv2.CV_16S, 0, 1)))
    cum = np.cumsum(cv2.calcHist([mag], [0], None, [256], [0, 256]).ravel())
    texture = float(np.searchsorted(cum, 0.75 * cum[-1]))  # most of the image is paper or desk: its grain
    high = max(4 * texture, 48.0)
    edges = cv2.Canny(blur, high / 2, high)
    segs = cv2.HoughLinesP(edges, 1, np.pi / 180, max(8, short // 10), minLineLength=max(8, int(0.15 * short)),
                           maxLineGap=max(2, short // 25))
    if segs is None:
        return None
    segs = segs.reshape(-1, 4).astype(np.float64)
    segs = segs[np.argsort(-np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1]))][:16]
    cuts = []  # (normal toward the paper, offset): the paper side is normal . p >= offset
    for seg, normal in zip(segs, _paper_sides(blur, segs, max(9, short // 6))):
        if normal is None:
            continue
        mid = (seg[:2] + seg[2:]) / 2 + 2 * normal
        if all(n @ mid >= c - 1 for n, c in cuts):
            cuts.append((normal, float(normal @ seg[:2])))
    if len(cuts) < 2:
        return None
    poly = np.float64([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    for n, c in cuts:
        poly = _clip(poly, n, c)
        if len(poly) < 3:
            return None
    poly = np.int32(np.rint(poly)).reshape(-1, 1, 2)
    sheet = np.zeros_like(small)
    cv2.fillConvexPoly(sheet, poly, 255)
    area = cv2.countNonZero(sheet)
    if not 0.15 * small.size <= area <= 0.9 * small.size or not _two_edges(poly, small.shape):
        return None
    inside, outside = small[sheet > 0], small[sheet == 0]
    if np.mean(outside >= np.percentile(inside, 25)) > 0.35:  # paper around it too: a big digit's strokes
        return None
    return sheet if sharp.share(poly, cv2.dilate(edges, _K5)) >= 0.6 else None


def _paper_sides(blur: np.ndarray, segs: np.ndarray, far: int) -> list:
    """For each segment, the unit normal toward its paper side if it is a sheet's edge; else None.

    A sheet's edge is a step all along the segment, compared a few pixels off the line on each
    side (a pen stroke along the line, with paper on both sides, is no step), and its dark side
    stays dark up to ``far`` pixels away, or to the image's border (a thick stroke is a band
    that turns back to paper).
    """
    h, w = blur.shape
    d = segs[:, 2:] - segs[:, :2]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.hypot(d[:, 0], d[:, 1])[:, None]
    pts = segs[:, None, :2] + np.linspace(0.0, 1.0, 24)[None, :, None] * d[:, None, :]   # segment, point, xy
    beyond = np.arange(9, far + 1, 2)
    offs = np.concatenate([[3, 5, 7, -3, -5, -7], beyond, -beyond])
    q = np.rint(pts[:, :, None, :] + offs[None, None, :, None] * normal[:, None, None, :]).astype(np.int64)
    v = blur[np.clip(q[..., 1], 0, h - 1), np.clip(q[..., 0], 0, w - 1)].astype(np.float32)  # off the image: its border
    plus, minus = v[:, :, :3].mean(axis=2), v[:, :, 3:6].mean(axis=2)
    diff = plus - minus
    step = np.median(diff, axis=1)
    sign = np.sign(step)
    steady = np.mean(diff * sign[:, None] >= 8, axis=1) >= 0.8
    up = (step > 0)[:, None]
    dark = np.median(np.where(up, minus, plus), axis=1)
    nf = len(beyond)
    far_dark = np.median(np.where(up[:, :, None], v[:, :, 6 + nf:], v[:, :, 6:6 + nf]), axis=1)  # segment, offset
    band = (far_dark >= (dark + 0.6 * np.abs(step))[:, None]).any(axis=1)
    good = (np.abs(step) >= 15) & steady & ~band
    return [normal[i] * sign[i] if good[i] else None for i in range(len(segs))]


def _clip(poly: np.ndarray, n: np.ndarray, c: float) -> np.ndarray:
    """The convex polygon ``poly`` cut to the half-plane ``n . p >= c``."""
    out = []
    side = poly @ n - c
    for i in range(len(poly)):
        j = (i + 1) % len(poly)
        if side[i] >= 0:
            out.append(poly[i])
        if (side[i] >= 0) != (side[j] >= 0):
            out.append(poly[i] + (poly[j] - poly[i]) * side[i] / (side[i] - side[j]))
    return np.array(out).reshape(-1, 2)


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
