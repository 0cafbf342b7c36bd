"""Augmentation that makes MNIST digits look like digits cut out of camera frames.

Each digit is redrawn at 2× resolution with a random affine (rotation, shear, scale,
aspect), thicker or thinner strokes, blur and sometimes hard thresholding, then put
back through the runtime's own MNIST-style normalization (so training crops and runtime
crops are made by the same code), jittered by a pixel or two, and given sensor noise.
Deterministic: the same (seed, epoch, batch) always gives the same images.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edgecnn.mnist import to_input
from edgecnn.normalize import normalize_digit

UP = 2  # work at 56×56 so stroke-width changes are finer than one MNIST pixel


def camera_crop(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One augmented 28×28 float32 image in [0, 1] from a 28×28 uint8 MNIST digit."""
    size = 28 * UP
    original = cv2.resize(digit.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_LINEAR)

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

    out = normalize_digit(img)

    # Segmentation slop: the crop's centre is off by a pixel or two; ink levels vary.
    dy, dx = rng.integers(-2, 3, size=2)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    out = cv2.warpAffine(out, shift, (28, 28), flags=cv2.INTER_NEAREST) * np.float32(rng.uniform(0.7, 1.0))
    if rng.random() < 0.5:
        out += rng.normal(0, rng.uniform(0.01, 0.08), out.shape).astype(np.float32)
        cv2.min(cv2.max(out, 0.0, dst=out), 1.0, dst=out)
    return out


def augment_batch(images: np.ndarray, rng: np.random.Generator, p: float = 0.85) -> np.ndarray:
    """Augment a uint8 N×28×28 batch (each image with probability ``p``) → float32 N×28×28×1."""
    out = to_input(images)
    for i in np.flatnonzero(rng.random(len(images)) < p):
        out[i, ..., 0] = camera_crop(images[i], rng)
    return out
