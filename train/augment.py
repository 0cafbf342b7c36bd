"""Augmentation that makes MNIST digits look like digits cut out of camera frames.

Each digit is redrawn at 2× resolution, sometimes in a handwriting style MNIST's American
writers rarely used (:func:`add_style`: a crossed 7, a 1 with a flag or a foot, 20% of them), with a random
affine (rotation, shear, scale, aspect), thicker or thinner strokes, blur and sometimes hard
thresholding, then, for most digits, redrawn with the runtime's own stroke matching, and put back through the
runtime's MNIST-style normalization (so training crops and runtime crops are made by the same code),
jittered by a pixel or two, and given sensor noise. Deterministic: the same (seed, epoch, batch) always gives the same images.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edgecnn.normalize import match_stroke, normalize_digit
from edgecnn.tooling.mnist import to_input

from .config import STROKE_MATCH as MATCH_P  # share of augmented digits redrawn as the runtime redraws a crop

UP = 2  # work at 56×56 so stroke-width changes are finer than one MNIST pixel


STYLE_P = 0.2  # share of 7s, 1s and 9s redrawn in a continental style
FOOT_P = 0.35  # share of crossed 7s also given a foot (Z-shaped)
HEAD = 0.45    # a 9's head: the top share of its ink height


def add_style(img: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """``img`` (float ink in [0, 1], 56×56) redrawn in a style MNIST's writers rarely used, for its ``label``.

    7: a bar across the stem at mid-height, and sometimes a foot to the right (the Z-shaped 7).
    1: a flag down-left from its top, and sometimes a foot (a base bar, or a short stroke to the
    right: the L-shaped 1). 9: a small loop on a long stem (:func:`small_head`). Strokes are drawn
    as wide as the digit's own. Other digits are returned unchanged.
    """
    if label == 9:
        return small_head(img, rng)
    if label not in (1, 7):
        return img
    ys, xs = np.nonzero(img > 0.5)
    if ys.size < 10:
        return img
    top, bottom = int(ys.min()), int(ys.max())
    h = bottom - top + 1
    width = max(2, int(round(2.0 * ys.size / max(1, h))))  # ~ink area / stroke length
    width = min(width, 6)
    out = img.copy()

    def stem_x(y: int) -> float:
        row = np.flatnonzero(img[min(max(y, 0), img.shape[0] - 1)] > 0.5)
        return float(row.mean()) if row.size else float(xs.mean())

    if label == 7:
        y = int(top + rng.uniform(0.45, 0.62) * h)
        x, half = stem_x(y), rng.uniform(0.15, 0.25) * h
        p, q = (x - half, y + rng.uniform(-2, 2)), (x + half, y + rng.uniform(-2, 2))
        segments = [(p, q)]
        if rng.random() < FOOT_P:  # the Z-shaped 7: a foot from the stem's end to the right
            xb = stem_x(bottom - 1)
            segments.append(((xb, bottom), (xb + rng.uniform(0.25, 0.4) * h, bottom + rng.uniform(-2, 1))))
    else:
        xt = stem_x(top + 1)
        length = rng.uniform(0.25, 0.45) * h
        angle = np.radians(rng.uniform(20, 60))
        segments = [((xt, top), (xt - length * np.cos(angle), top + length * np.sin(angle)))]
        r = rng.random()
        xb = stem_x(bottom - 1)
        if r < 0.3:    # a base bar
            half = rng.uniform(0.18, 0.3) * h
            segments.append(((xb - half, bottom), (xb + half, bottom)))
        elif r < 0.45:  # a foot to the right (L-shaped)
            segments.append(((xb, bottom), (xb + rng.uniform(0.2, 0.35) * h, bottom)))
    for p, q in segments:
        cv2.line(out, (int(round(p[0] * 8)), int(round(p[1] * 8))), (int(round(q[0] * 8)), int(round(q[1] * 8))),
                 1.0, width, cv2.LINE_AA, shift=3)
    return out


def small_head(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``img`` (a 9) with its head shrunk onto a longer stem: the top ``HEAD`` of its ink height is
    squeezed to 45–70% of its height and width (towards the stem's top), the stem below stretched to
    keep the digit's height."""
    ys, xs = np.nonzero(img > 0.5)
    if ys.size < 10:
        return img
    top, bottom = float(ys.min()), float(ys.max())
    h = bottom - top
    split = top + HEAD * h                    # the head's bottom in the source
    k = rng.uniform(0.45, 0.7)
    new_split = top + k * HEAD * h           # ... and in the result
    size = img.shape[0]
    yo = np.arange(size, dtype=np.float32)
    # rows: the head's rows come from a k-times taller band, the stem's from a shorter one (piecewise linear)
    src_y = np.where(yo <= new_split, top + (yo - top) / k,
                     split + (yo - new_split) * (bottom - split) / max(bottom - new_split, 1.0)).astype(np.float32)
    cx = float(xs[ys >= split].mean()) if np.any(ys >= split) else float(xs.mean())  # the stem's column
    xo = np.arange(size, dtype=np.float32)
    # columns: the head narrowed about the stem, easing to no change down the stem
    scale = np.where(yo <= new_split, k, np.minimum(1.0, k + (yo - new_split) / max(0.25 * h, 1.0)))
    map_x = (cx + (xo[None, :] - cx) / scale[:, None]).astype(np.float32)
    map_y = np.repeat(src_y[:, None], size, axis=1)
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderValue=0)


def camera_crop(digit: np.ndarray, rng: np.random.Generator, label: int | None = None,
                style_rng: np.random.Generator | None = None,
                match_rng: np.random.Generator | None = None, match_p: float = MATCH_P) -> np.ndarray:
    """One augmented 28×28 float32 image in [0, 1] from a 28×28 uint8 MNIST digit.

    With its ``label`` and a ``style_rng`` (a stream of its own, so ``rng``'s draws stay those of an
    unstyled run), a 7 or a 1 is sometimes redrawn in a continental style first. With a ``match_rng``
    (its own stream too), ``match_p`` of the digits then go through the runtime's stroke matching
    (:func:`runtime_strokes`), so the model trains on the stroke widths it is shown at run time."""
    size = 28 * UP
    original = cv2.resize(digit.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_LINEAR)
    if label is not None and style_rng is not None and style_rng.random() < STYLE_P:
        original = add_style(original, label, style_rng)

    # Geometry: rotation, shear, anisotropic scale (narrow/wide writers), about the centre.
    angle = math.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.25, 0.25)
    sx = rng.uniform(0.75, 1.15)
    sy = rng.uniform(0.9, 1.1)
    c, s = math.cos(angle), math.sin(angle)
    a = np.array([[c * sx, -s * sy + shear * c * sx], [s * sx, c * sy + shear * s * sx]], np.float32)
    centre = np.array([size / 2, size / 2], np.float32)
    m = np.hstack([a, (centre - a @ centre)[:, None]])
    img = cv2.warpAffine(original, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)

    # Stroke width: thin pens to markers.
    k = rng.choice([0, 0, 1, 2, 3, -1, -2])
    if k:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(k) + 1, abs(k) + 1))
        img = cv2.dilate(img, kernel) if k > 0 else cv2.erode(img, kernel)
    if img.max() < 0.2:  # eroded away: keep the original stroke
        img = original

    # Ink rendering: soft blur (focus, motion), or hard binarized edges (threshold-made masks).
    r = rng.random()
    if r < 0.3:
        img = (img > rng.uniform(0.25, 0.6)).astype(np.float32)
    elif r < 0.6:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.8))
    img[img < 0.05] = 0
    if match_rng is not None and match_rng.random() < match_p:
        img = runtime_strokes(img)

    out = normalize_digit(img)

    # Segmentation slop: the crop's centre is off by a pixel or two; ink levels vary.
    dy, dx = rng.integers(-2, 3, size=2)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    out = cv2.warpAffine(out, shift, (28, 28), flags=cv2.INTER_NEAREST) * np.float32(rng.uniform(0.7, 1.0))
    if rng.random() < 0.5:
        out += rng.normal(0, rng.uniform(0.01, 0.08), out.shape).astype(np.float32)
        cv2.min(cv2.max(out, 0.0, dst=out), 1.0, dst=out)
    return out


def runtime_strokes(img: np.ndarray) -> np.ndarray:
    """``img`` (float ink ≥ 0) as the runtime redraws a digit before normalizing it (:mod:`edgecnn.segment.crop`):
    its tight box, ink scaled so its 75th percentile is full ink, strokes brought to MNIST's width at 56 px."""
    x, y, w, h = cv2.boundingRect((img > 0).astype(np.uint8))
    if w == 0:
        return img
    box = img[y: y + h, x: x + w]
    hi = float(np.percentile(box[box > 0], 75))
    return match_stroke(np.minimum(box * np.float32(1.0 / max(hi, 1e-3)), 1.0).astype(np.float32))


def augment_batch(images: np.ndarray, rng: np.random.Generator, p: float = 0.85,
                  labels: np.ndarray | None = None, style_rng: np.random.Generator | None = None,
                  match_rng: np.random.Generator | None = None, match_p: float = MATCH_P) -> np.ndarray:
    """Augment a uint8 N×28×28 batch (each image with probability ``p``) → float32 N×28×28×1.

    With ``labels`` and ``style_rng``, 7s and 1s are sometimes redrawn in a continental style
    (:func:`add_style`); with ``match_rng``, ``match_p`` of them get their strokes redrawn as the runtime does
    (:func:`runtime_strokes`); everything else is augmented exactly as without them."""
    out = to_input(images)
    for i in np.flatnonzero(rng.random(len(images)) < p):
        label = None if labels is None else int(labels[i])
        out[i, ..., 0] = camera_crop(images[i], rng, label, style_rng, match_rng, match_p)
    return out
