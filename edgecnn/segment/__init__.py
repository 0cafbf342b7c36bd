"""Find the handwritten digits in an image and turn each into an MNIST-style 28×28 crop.

Pipeline (OpenCV, one grey image, no model), one module a stage:

1. ``gray`` — any 2-D/3-D array (uint8/uint16/float, 1–4+ channels, alpha onto white) →
   uint8 grey, shrunk to ``max_side`` for the analysis; ``fill`` — an editor's or scanner's constant fill
   around a turned or letterboxed picture is replaced by the picture's edge continued; a frame spanning fewer
   than ``MIN_CONTRAST`` grey levels (dark or blank) holds no writing.
2. ``paper`` — polarity (dark ink on paper or light ink on a board; light ink is inverted),
   the paper estimated on a 4× smaller image and divided out (shadows and gradients become
   flat white; a shadow's sharp edge is followed at half size), ink = 255 − that; a sheet lying
   on a darker desk is found and only its inside is kept.
3. ``lines`` — printed rules and grid lines (ruled or squared paper) are found and subtracted;
   strokes that cross them are bridged.
4. ``components`` — hysteresis threshold (a low level set by the paper's noise, a high level by
   Otsu; faint ink joins strong ink only nearby), connected components, pieces of one digit
   merged, specks, rules, page edges and filled blobs dropped by size, aspect and fill.
5. ``order`` — rows: digits chained left→right by vertical overlap (tilted rows work), rows
   ordered top→bottom.
6. ``crop`` — each digit's grey-level ink (masked to its own pixels) redrawn with MNIST's
   stroke width and normalized (:mod:`edgecnn.normalize`).

An image that already is one small centred digit (≤ ``SINGLE_MAX`` px, e.g. a 28×28 MNIST
image) skips 2–5: the whole image is normalized as one digit. :class:`Segmentation` keeps the
analysis (``context``) so a later stage (:mod:`edgecnn.refine`) can cut new candidates from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..normalize import SIZE, normalize_digit
from .components import MAX_DIGITS, find_digits
from .crop import digit_crop
from .fill import continue_fill
from .gray import MIN_CONTRAST, has_contrast, to_gray, to_u8
from .lines import erase_lines
from .order import reading_order
from .paper import ink_image, sheet_mask
from ..upright import box_back, turn

__all__ = ["Found", "Segmentation", "segment", "to_gray", "to_u8", "has_contrast", "ink_image", "sheet_mask",
           "erase_lines", "find_digits", "reading_order", "digit_crop", "unscale_box", "MAX_SIDE", "SINGLE_MAX",
           "MAX_DIGITS", "MIN_CONTRAST"]

SINGLE_MAX = 64          # images at most this big are treated as one digit
MAX_SIDE = 1280          # larger images are analysed shrunk to this size
ASKEW_EDGE = 0.01        # a page turned level for its printed lines is read this share of its side inside its border


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
    # (ink, labels, scale, w0, h0, back) of the analysis; back: None, or the 2×3 map from a turned analysis to input px
    context: tuple | None = field(default=None, repr=False)

    def found(self, area_box, ids, row: int) -> Found:
        """A new candidate from components ``ids`` inside ``area_box`` (analysed-image pixels), for
        stages that split or merge digits after segmentation."""
        ink, labels, scale, w0, h0, back = self.context
        box = unscale_box(area_box, scale, scale, w0, h0) if back is None else box_back(area_box, back, w0, h0)
        return Found(box, row, digit_crop(ink, labels, area_box, list(ids)), tuple(int(v) for v in area_box), tuple(ids))

    def reorder(self) -> list[int]:
        """Put the digits in reading order afresh (after a change that moves rows: a digit split across two of them);
        return the old index of each digit in the new order."""
        order = reading_order([d.area_box for d in self.digits])
        self.digits = [replace(self.digits[i], row=r) for r, row in enumerate(order) for i in row]
        self.regroup()
        return [i for row in order for i in row]

    def regroup(self) -> None:
        """Rebuild ``rows`` from the digits' rows (digits kept in reading order by the caller); a row left without
        digits (its only one dropped) is closed up."""
        number: dict[int, int] = {}
        for i, d in enumerate(self.digits):
            r = number.setdefault(d.row, len(number))
            if r != d.row:
                self.digits[i] = replace(d, row=r)
        self.rows = [[] for _ in number]
        for i, d in enumerate(self.digits):
            self.rows[d.row].append(i)

    @property
    def crops(self) -> np.ndarray:
        """N×28×28×1 float32 batch for the model."""
        if not self.digits:
            return np.zeros((0, SIZE, SIZE, 1), np.float32)
        return np.stack([d.crop for d in self.digits])[..., None]


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
    gray = continue_fill(gray)
    if not has_contrast(gray):
        return Segmentation()
    ink, polarity = ink_image(gray)
    askew: list = []
    groups, labels = find_digits(ink, askew)
    back = None
    if askew:  # printed lines photographed askew, past what the eraser takes: the page analysed turned level
        inside = turn(np.full_like(gray, 255), askew[0], cv2.BORDER_CONSTANT)[0]
        gray, back = turn(gray, askew[0])
        back = back / scale
        ink, polarity = ink_image(gray)
        # ... within the picture only: its lines continued past its border are streaks, not writing
        edge = max(3, round(ASKEW_EDGE * min(gray.shape))) | 1
        ink = cv2.bitwise_and(ink, cv2.erode(inside, np.ones((edge, edge), np.uint8)))
        groups, labels = find_digits(ink)
    out = Segmentation(polarity=polarity, context=(ink, labels, scale, w0, h0, back))
    if not groups:
        return out
    rows = reading_order([g[0] for g in groups])
    for r, row in enumerate(rows):
        for i in row:
            out.digits.append(out.found(*groups[i], r))
    out.regroup()
    return out


def unscale_box(box, sx: float, sy: float, w0: int, h0: int) -> tuple[int, int, int, int]:
    """``box`` (x, y, w, h) in an image scaled by ``sx``, ``sy`` from a ``w0``×``h0`` one, in that one's pixels
    (outward to whole pixels, inside the image)."""
    if sx == sy == 1.0:
        return tuple(int(v) for v in box)
    x, y, w, h = box
    x0, y0 = int(np.floor(x / sx)), int(np.floor(y / sy))
    x1, y1 = int(np.ceil((x + w) / sx)), int(np.ceil((y + h) / sy))
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
