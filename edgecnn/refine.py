"""Classifier-guided repair of a segmentation: merge a digit broken in two, split digits that touch, drop marks.

Segmentation proposes candidates from ink alone. Mistakes it cannot see are settled by the
classifier, which is asked about the alternatives:

* **merge** — neighbours in a row that overlap side by side (an open 4 drawn in two strokes, a
  5's detached cap), that nearly touch with one much shorter (an open 4's arm beside its stem),
  or of which one reads unsure are tried as one digit; the union is kept when it reads
  confidently (``MERGE_SURE``; ``HUG_SURE`` when both pieces read sure on their own) and is
  shaped like one digit.
* **split** — a candidate wide for its height that reads unsure (or is too wide for one digit)
  is cut at the thinnest columns of its ink; a cut is kept when it goes through at most
  ``SPLIT_CROSS`` strokes (where two digits touch, not down a digit's loops), both halves hold ink
  in most of the pair's rows (``SPLIT_TALL``: a stroke's tip cut off is no digit) and read
  confidently (``SPLIT_SURE``) and better than the whole. A candidate as tall as two of the page's digits
  (``STACKED``), with other digits ending above and starting below a cut across it, is tried cut across the
  same way: two rows' digits touching one over the other (the page is then put in reading order afresh).
* **marks** (:func:`drop_marks`, last, after the reader's second look) — a thin piece shorter than
  its row's digits that reads unsure is a stray mark and is left out; so is a comma or full stop: a small piece
  alone in a row of its own, hanging low in a gap of the row above or just after it.

All alternatives of an image go to the classifier in one batch per pass.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .segment import Found, Segmentation

CONFIDENT = 0.9       # a reading this sure stands
MERGE_SURE = 0.95     # a merged pair must read at least this sure
HUG_SURE = 0.995      # ... and this sure when both pieces read confidently on their own
SPLIT_SURE = 0.97     # both halves of a split must read at least this sure
SPLIT_TALL = 0.55     # ... and each hold ink in at least this share of the pair's rows (not a stroke's tip)
SPLIT_CROSS = 2       # a cut goes through at most this many strokes (where two digits touch), not a digit's loops
STACKED = 1.6         # a candidate this many times the page's median digit height may be two rows' digits touching
STACK_AMONG = 3       # ... on a page of at least this many candidates
STACK_PART = 0.6      # ... cut across so that each part is at least this share of that height
MARK_UNSURE = 0.6     # a piece read less sure than this (after the second look) ...
MARK_THIN = 0.35      # ... under this share of its height wide ...
MARK_SHORT = 0.8      # ... and under this share of its row's digits' height is a stray mark, not a digit
MARK_LOW = 0.5        # a piece under this share of a row's height, alone and low beside it, is a comma or full stop
Classify = Callable[[np.ndarray], np.ndarray]  # N×28×28×1 crops → N×classes probabilities


def refine(seg: Segmentation, probs: np.ndarray, classify: Classify) -> np.ndarray:
    """Merge and split ``seg.digits`` in place where the classifier prefers it; return their probabilities."""
    if seg.context is None or not seg.digits:
        return probs
    probs = _merge(seg, probs, classify)
    return _split(seg, probs, classify)


def drop_marks(seg: Segmentation, probs: np.ndarray) -> np.ndarray:
    """Leave out of ``seg.digits`` (in place) the stray marks among a row's digits; return the others' probabilities.

    A mark is thin, shorter than the row's other digits (their median height) and read unsure: a pen's tick, a
    piece of a digit's stroke standing apart (an open 4's arm too far to merge), a sliver of a rule. A small 1 that
    the model reads surely stays, and so does a thin piece as tall as the row's digits.
    """
    if not len(probs):
        return probs
    conf = probs.max(axis=1)
    marks = _punctuation(seg)
    for row in seg.rows:
        if len(row) < 2:
            continue
        for i in row:
            if conf[i] >= MARK_UNSURE:  # nearly every digit: no box is looked at
                continue
            x, y, w, h = seg.digits[i].area_box or seg.digits[i].box
            others = sorted((seg.digits[j].area_box or seg.digits[j].box)[3] for j in row if j != i)
            if w < MARK_THIN * h and h < MARK_SHORT * others[len(others) // 2]:
                marks.add(i)
    return _rebuild(seg, probs, {}, marks) if marks else probs


def _punctuation(seg: Segmentation) -> set[int]:
    """The digits that are a comma or a full stop after a row: each alone in its own row, under ``MARK_LOW`` of the
    row's digits' (median) height, its top below the middle of that row and within that share of it under its
    bottom, in a gap between the row's digits or just after them, under none (a comma, hanging low, chains into no
    row; a small digit written under a row stands under its digits)."""
    marks = set()
    rows = [[(seg.digits[i].area_box or seg.digits[i].box) for i in row] for row in seg.rows]
    for r, row in enumerate(seg.rows):
        if len(row) != 1:
            continue
        x, y, w, h = rows[r][0]
        for other in rows:
            if len(other) < 2:
                continue
            height = sorted(b[3] for b in other)[len(other) // 2]
            top = sorted(b[1] for b in other)[len(other) // 2]
            if h >= MARK_LOW * height or not top + 0.5 * height <= y <= top + (1 + MARK_LOW) * height:
                continue
            # in a gap of the row or just after it, not under a digit: where punctuation goes
            centre = x + w / 2
            after = any(bx + bw <= centre <= bx + bw + height for bx, _, bw, _ in other)
            if after and not any(bx <= centre <= bx + bw for bx, _, bw, _ in other):
                marks.add(row[0])
                break
    return marks


def _batch(found: list[Found]) -> np.ndarray:
    return np.stack([f.crop for f in found])[..., None]


def _merge(seg: Segmentation, probs: np.ndarray, classify: Classify) -> np.ndarray:
    conf = probs.max(axis=1)
    pairs, unions = [], []
    for row in seg.rows:
        for i, j in zip(row, row[1:]):
            a, b = seg.digits[i].area_box, seg.digits[j].area_box
            x0, y0 = min(a[0], b[0]), min(a[1], b[1])
            x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
            overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            side_by_side = overlap >= 0.3 * min(a[2], b[2])
            near = overlap >= -0.1 * max(a[3], b[3])
            unsure = near and min(conf[i], conf[j]) < CONFIDENT
            hugging = near and min(a[3], b[3]) < 0.75 * max(a[3], b[3])  # a short piece against a tall one
            if (side_by_side or unsure or hugging) and (x1 - x0) <= 1.2 * (y1 - y0):
                pairs.append((i, j, MERGE_SURE if side_by_side or unsure else HUG_SURE))
                unions.append(seg.found((x0, y0, x1 - x0, y1 - y0), seg.digits[i].ids + seg.digits[j].ids,
                                        seg.digits[i].row))
    if not pairs:
        return probs
    union_probs = classify(_batch(unions))
    merged: dict[int, int] = {}
    used: set[int] = set()
    for k in np.argsort(-union_probs.max(axis=1)):
        (i, j, sure), p = pairs[k], union_probs[k]
        if p.max() >= sure and i not in used and j not in used:
            merged[i] = k
            used.update((i, j))
    if not merged:
        return probs
    return _rebuild(seg, probs, {i: [(unions[k], union_probs[k])] for i, k in merged.items()}, used)


def _own(seg: Segmentation, d: Found) -> np.ndarray:
    """The pixels of digit ``d``'s own components in its box (a boolean mask, analysed-image pixels)."""
    x, y, w, h = d.area_box
    return np.isin(seg.context[1][y: y + h, x: x + w], d.ids)


def _cuts(own: np.ndarray, count: int = 3) -> list[int]:
    """Up to ``count`` columns of ``own`` (the digit's pixels in its box) where its ink is thinnest, in its middle half."""
    w = own.shape[1]
    profile = np.convolve(own.sum(axis=0).astype(np.float32), np.ones(3, np.float32) / 3, mode="same")
    lo, hi = int(0.25 * w), int(0.75 * w)
    cuts: list[int] = []
    for c in (lo + np.argsort(profile[lo:hi], kind="stable")).tolist():
        if all(abs(c - o) >= 0.1 * w for o in cuts):
            cuts.append(c)
        if len(cuts) == count:
            break
    return cuts


def _ink_height(own: np.ndarray) -> int:
    """Rows that hold ink in ``own`` (a boolean mask): the bars of a Z-shaped stroke's end, cut off, hold few."""
    return int(np.count_nonzero(own.any(axis=1)))


def _crossings(column: np.ndarray) -> int:
    """Strokes a cut down ``column`` (a boolean mask column) goes through: its runs of ink."""
    c = column.astype(np.int8)
    return int(c[0]) + int(np.count_nonzero(np.diff(c) == 1))


def _split(seg: Segmentation, probs: np.ndarray, classify: Classify) -> np.ndarray:
    conf = probs.max(axis=1)
    tries: list[tuple[int, Found, Found]] = []
    heights = sorted(d.area_box[3] for d in seg.digits)
    typical = heights[len(heights) // 2] if len(heights) >= STACK_AMONG else None
    across: set[int] = set()  # candidates cut across
    for i, d in enumerate(seg.digits):
        x, y, w, h = d.area_box
        if typical is not None and h >= STACKED * typical:  # two rows' digits touching, one over the other
            tries += _stacked_cuts(seg, i, d, typical)
            across.add(i)
            continue
        if w < 8 or not (w > 1.4 * h or (w > 0.75 * h and conf[i] < CONFIDENT)):
            continue
        own = _own(seg, d)
        for c in _cuts(own):
            if min(_ink_height(own[:, :c]), _ink_height(own[:, c:])) < SPLIT_TALL * h:  # a piece of a stroke
                continue
            if _crossings(own[:, c]) > SPLIT_CROSS:  # through one digit's loops (an 8 is no 1 beside a 3)
                continue
            tries.append((i, seg.found((x, y, c, h), d.ids, d.row), seg.found((x + c, y, w - c, h), d.ids, d.row)))
    if not tries:
        return probs
    halves = classify(_batch([f for _, left, right in tries for f in (left, right)])).reshape(len(tries), 2, -1)
    best: dict[int, int] = {}
    for k, (i, _, _) in enumerate(tries):
        sure = halves[k].max(axis=1).min()
        if sure >= SPLIT_SURE and sure > conf[i] and (i not in best or sure > halves[best[i]].max(axis=1).min()):
            best[i] = k
    if not best:
        return probs
    probs = _rebuild(seg, probs, {i: [(tries[k][1], halves[k][0]), (tries[k][2], halves[k][1])] for i, k in best.items()})
    return probs[seg.reorder()] if across & best.keys() else probs  # a cut across: its parts belong to two rows


def _stacked_cuts(seg: Segmentation, i: int, d: Found, typical: float) -> list[tuple[int, Found, Found]]:
    """Digit ``i`` (``d``) cut across at the rows where its ink is thinnest, when both parts are as tall as the
    page's digits (``STACK_PART`` of ``typical``, their median height), the cut goes through at most
    ``SPLIT_CROSS`` strokes, and it runs between two rows: other digits stand beside the upper part and end above
    the cut, and beside the lower part and start below it (a tall 1 in one row has its neighbours across the cut)."""
    x, y, w, h = d.area_box
    own = _own(seg, d)
    others = [e.area_box for j, e in enumerate(seg.digits) if j != i]
    slack = 0.15 * typical
    tries = []
    for c in _cuts(own.T):
        if min(_ink_height(own[:c]), _ink_height(own[c:])) < STACK_PART * typical:
            continue
        if _crossings(own[c]) > SPLIT_CROSS:
            continue
        cut = y + c
        above = any(y < oy + oh <= cut + slack for _, oy, _, oh in others)
        below = any(cut - slack <= oy < y + h for _, oy, _, oh in others)
        if not (above and below):
            continue
        tries.append((i, seg.found((x, y, w, c), d.ids, d.row), seg.found((x, y + c, w, h - c), d.ids, d.row)))
    return tries


def _rebuild(seg: Segmentation, probs: np.ndarray, new: dict[int, list[tuple[Found, np.ndarray]]],
             drop: set[int] = frozenset()) -> np.ndarray:
    """Put ``new`` candidates (with their probabilities) in place of digit ``i``, leave out ``drop``;
    return the probabilities in the new reading order."""
    digits, out = [], []
    for i, d in enumerate(seg.digits):
        if i in new:
            for found, p in new[i]:
                digits.append(found)
                out.append(p)
        elif i not in drop:
            digits.append(d)
            out.append(probs[i])
    seg.digits = digits
    seg.regroup()
    return np.stack(out)
