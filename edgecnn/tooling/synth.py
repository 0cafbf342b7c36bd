"""Synthetic "photos" of handwritten digits, with ground truth: deterministic by seed.

MNIST **test** digits are drawn onto paper (pen, marker or pencil; blue, black or grey) or a
board (chalk, light on dark), several per row and one to three rows, with a lighting
gradient, a soft shadow, paper texture, sensor noise, blur, a slight tilt and a perspective
warp; optionally on ruled or squared paper (``paper=``). Used for ``examples/``, the
benchmark (``scripts/bench_photos.py``), tests and test videos. :func:`make_photo` returns the image, the rows as strings and each digit's box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class SynthPhoto:
    image: np.ndarray                         # H×W×3 uint8 BGR
    rows: list[str]                           # reading, one string per row (top to bottom)
    boxes: list[tuple[int, int, int, int]]    # x, y, w, h per digit, reading order
    polarity: str                             # "dark" ink on paper or "light" chalk on a board

    @property
    def digits(self) -> str:
        return "".join(self.rows)

    def truth(self) -> dict:
        return {"digits": self.digits, "rows": self.rows, "boxes": [list(b) for b in self.boxes], "polarity": self.polarity}


_MNIST = None


def mnist_test():
    """MNIST test images and labels (cached); the training split is never used here."""
    global _MNIST
    if _MNIST is None:
        from .mnist import load_split

        s = load_split("test")
        _MNIST = (s.images, s.labels)
    return _MNIST


def _paper(rng, h, w, light: bool) -> np.ndarray:
    if light:  # dark board
        base = np.array(rng.choice([[40, 60, 40], [35, 35, 35], [60, 50, 30]]), np.float32) + rng.uniform(-10, 10, 3)
    else:
        base = np.array(rng.uniform([200, 200, 200], [250, 250, 250]), np.float32)
        base += rng.uniform(-5, 5, 3)
    img = np.ones((h, w, 3), np.float32) * base
    # texture: low-frequency blotches
    tex = cv2.resize(rng.normal(0, 1, (max(2, h // 40), max(2, w // 40))).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img += tex[..., None] * rng.uniform(1, 6)
    return img


def _draw_lines(rng, canvas: np.ndarray, kind: str, pitch: float) -> None:
    """Printed rules (``ruled``) or a grid (``squared``) on the paper, ``pitch`` px apart, in place."""
    h, w = canvas.shape[:2]
    color = np.array(rng.choice([[225, 190, 150], [180, 180, 180], [170, 200, 160], [215, 180, 200]]), np.float32)
    strength = rng.uniform(0.35, 0.8)
    lines = np.zeros((h, w), np.float32)
    thick = int(rng.integers(1, 3))
    for y in np.arange(rng.uniform(0, pitch), h, pitch):
        cv2.line(lines, (0, int(y)), (w - 1, int(y)), 1.0, thick, cv2.LINE_AA)
    if kind == "squared":
        for x in np.arange(rng.uniform(0, pitch), w, pitch):
            cv2.line(lines, (int(x), 0), (int(x), h - 1), 1.0, thick, cv2.LINE_AA)
    elif rng.random() < 0.5:  # a margin rule
        x = int(rng.uniform(0.05, 0.12) * w)
        cv2.line(lines, (x, 0), (x, h - 1), 1.0, thick, cv2.LINE_AA)
    al = (lines * strength)[..., None]
    canvas *= 1 - al
    canvas += color * al * (canvas.mean() / 255.0)


def _lighting(rng, h, w) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    g = (np.cos(a) * (xx / w - 0.5) + np.sin(a) * (yy / h - 0.5))
    light = 1.0 + g * rng.uniform(0.0, 0.5)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / max(h, w)
    light *= 1.0 - rng.uniform(0, 0.25) * r
    if rng.random() < 0.5:  # a soft shadow across part of the page
        b = rng.uniform(0, 2 * math.pi)
        d = np.cos(b) * (xx - w / 2) + np.sin(b) * (yy - h / 2) - rng.uniform(-0.3, 0.3) * max(h, w)
        soft = rng.uniform(10, 60)
        light *= 1.0 - rng.uniform(0.15, 0.4) * (1 / (1 + np.exp(-d / soft)))
    return light


def _digit_alpha(img28: np.ndarray, height: float, rng) -> np.ndarray:
    """An MNIST digit redrawn so its ink is ``height`` px tall, tight crop, alpha in [0, 1]."""
    a = img28.astype(np.float32) / 255.0
    ys, xs = np.nonzero(a > 0.05)
    a = a[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    s = height / a.shape[0]
    a = cv2.resize(a, (max(1, round(a.shape[1] * s)), max(1, round(a.shape[0] * s))), interpolation=cv2.INTER_CUBIC)
    pad = int(height * 0.2) + 2
    a = cv2.copyMakeBorder(np.clip(a, 0, 1), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    ang = rng.uniform(-8, 8)
    m = cv2.getRotationMatrix2D((a.shape[1] / 2, a.shape[0] / 2), ang, 1.0)
    a = cv2.warpAffine(a, m, (a.shape[1], a.shape[0]), flags=cv2.INTER_LINEAR)
    # pen width: thin pens to markers, relative to the digit size
    k = int(round(rng.uniform(-0.04, 0.05) * height))
    if k > 0:
        a = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k + 1, k + 1)))
    elif k < 0:
        t = cv2.erode(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-k + 1, -k + 1)))
        if (t > 0.5).sum() > 0.3 * (a > 0.5).sum():
            a = t
    return np.clip((a - 0.15) / 0.6, 0, 1)  # sharper edges than MNIST's blur, like ink


def make_photo(seed: int, size: tuple[int, int] | None = None, rows: int | None = None,
               per_row: int | None = None, polarity: str | None = None, paper: str = "plain") -> SynthPhoto:
    """One synthetic photo (see module doc). ``size`` is (width, height); ``paper`` is plain, ruled or squared."""
    rng = np.random.default_rng(seed)
    images, labels = mnist_test()
    w, h = size or tuple(rng.choice([(640, 480), (800, 600), (480, 640), (1024, 768)]))
    light = (polarity == "light") if polarity else rng.random() < 0.2
    n_rows = rows or int(rng.choice([1, 1, 2, 2, 3]))
    canvas = _paper(rng, h, w, light)
    ink = np.zeros((h, w), np.float32)
    ids = np.zeros((h, w), np.int32)
    # digit size: rows must fit
    dh = rng.uniform(0.08, 0.22) * min(h, w * 0.75)
    dh = min(dh, 0.8 * h / (n_rows * 1.7))
    row_gap = dh * rng.uniform(1.6, 2.1)
    if paper != "plain" and not light:  # drawn from a second generator: plain photos stay what they were
        lines_rng = np.random.default_rng([seed, 1])
        _draw_lines(lines_rng, canvas, paper, dh * (lines_rng.uniform(0.9, 1.4) if paper == "ruled" else lines_rng.uniform(0.5, 0.9)))
    top = rng.uniform(0.1 * h, max(0.1 * h + 1, h - n_rows * row_gap - 0.05 * h))
    truth_rows, count = [], 0
    for r in range(n_rows):
        n = per_row or int(rng.integers(2, 7))
        # tilt: the row's far end rises or falls by at most 0.3 digit heights (≈ ±4° for 6 digits)
        tilt = math.atan(rng.uniform(-0.3, 0.3) * dh / max(1.0, n * dh * 0.9))
        x = rng.uniform(0.04 * w, 0.2 * w)
        y_base = top + r * row_gap
        text = ""
        for _ in range(n):
            k = int(rng.integers(len(labels)))
            hh = dh * rng.uniform(0.85, 1.15)
            a = _digit_alpha(images[k], hh, rng)
            ah, aw = a.shape
            cols = np.flatnonzero((a > 0.3).any(axis=0))
            if cols.size == 0:
                continue
            y = int(y_base + (x - 0.04 * w) * math.tan(tilt) + rng.uniform(-0.06, 0.06) * dh - (ah - hh) / 2)
            xi = int(x) - int(cols[0])  # the ink's left edge lands on x
            if xi + aw >= w - 2 or y < 1 or y + ah >= h - 1 or xi < 1:
                break
            region = ink[y: y + ah, xi: xi + aw]
            np.maximum(region, a, out=region)
            ids[y: y + ah, xi: xi + aw][a > 0.3] = count + 1
            count += 1
            text += str(int(labels[k]))
            x = xi + cols[-1] + dh * rng.uniform(0.25, 0.7)
        if text:
            truth_rows.append(text)
    # ink colour and strength
    if light:
        color = np.array([235, 240, 240], np.float32) - rng.uniform(0, 30)
        strength = rng.uniform(0.6, 0.95)
    else:
        color = np.array(rng.choice([[120, 30, 20], [30, 30, 30], [90, 90, 90], [150, 60, 40], [40, 40, 160]]), np.float32)
        strength = rng.uniform(0.7, 1.0) if color[0] != 90 else rng.uniform(0.5, 0.8)
    al = (ink * strength)[..., None]
    img = canvas * (1 - al) + color * al
    img *= _lighting(rng, h, w)[..., None]
    # perspective: move the corners a little
    j = 0.04 * min(h, w)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-j, j, (4, 2)).astype(np.float32)
    pm = cv2.getPerspectiveTransform(src, dst)
    img = cv2.warpPerspective(img, pm, (w, h), borderMode=cv2.BORDER_REFLECT)
    ids = cv2.warpPerspective(ids.astype(np.float32), pm, (w, h), flags=cv2.INTER_NEAREST, borderValue=0).astype(np.int32)
    sigma = rng.uniform(0.0, 1.2)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, rng.uniform(1, 6), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    boxes = []
    for i in range(1, count + 1):
        ys, xs = np.nonzero(ids == i)
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)) if ys.size else (0, 0, 0, 0))
    return SynthPhoto(img, truth_rows, boxes, "light" if light else "dark")


FILLS = ("continue", "white", "black")


def turned(image: np.ndarray, degrees: float, fill: str = "continue") -> np.ndarray:
    """``image`` turned by ``degrees`` (counter-clockwise) about its centre on a canvas of its own size, as a
    photo held askew or an editor's rotation makes it: the corners it uncovers continue its border, or are filled
    white or black (``fill``)."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    if fill == "continue":
        return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    level = {"white": 255, "black": 0}[fill]
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(level,) * 3)


SHADOWS = ("edge", "soft", "hand")


def shadowed(image: np.ndarray, seed: int, kind: str = "edge") -> np.ndarray:
    """``image`` with a shadow across it, as a phone or a hand held over the page casts one: darker by 30–55%
    beyond a straight edge through the middle half of the picture, at any angle (``kind="edge"``: a sharp edge,
    blurred 1–3 px; ``"soft"``: 4–12 px), or under an ellipse reaching in from the bottom or right side
    (``"hand"``, blurred 2–8 px). Deterministic by ``seed``."""
    rng = np.random.default_rng([seed, 7])
    h, w = image.shape[:2]
    if kind == "hand":
        shade = np.zeros((h, w), np.float32)
        centre = (rng.uniform(0, w), h) if rng.random() < 0.5 else (w, rng.uniform(0, h))
        axes = (int(rng.uniform(0.2, 0.45) * w), int(rng.uniform(0.25, 0.5) * h))
        cv2.ellipse(shade, (int(centre[0]), int(centre[1])), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    else:
        a = rng.uniform(0, np.pi)
        n = np.array([np.cos(a), np.sin(a)])
        # the edge's offset along its normal: through the middle half of the picture's extent that way
        c = rng.uniform(0.25, 0.75) * (abs(n[0]) * w + abs(n[1]) * h) + min(0, n[0] * w) + min(0, n[1] * h)
        yy, xx = np.mgrid[0:h, 0:w]
        shade = ((xx * n[0] + yy * n[1]) > c).astype(np.float32)
    soft = {"edge": (1, 3), "soft": (4, 12), "hand": (2, 8)}[kind]
    shade = cv2.GaussianBlur(shade, (0, 0), rng.uniform(*soft))
    light = 1 - rng.uniform(0.3, 0.55) * shade
    return np.clip(image * (light[..., None] if image.ndim == 3 else light), 0, 255).astype(np.uint8)


def underlined(photo: SynthPhoto, seed: int, gap: tuple[float, float] = (0.1, 0.3), image=None) -> np.ndarray:
    """``photo``'s image with a line drawn under each row in the ink's colour, as a stroke of the pen: from a fifth
    of a digit before the row to a fifth after it, ``gap`` (a share of the digits' height) under the row's lowest
    ink, rising or falling by up to a tenth of a digit (on ``image`` if given: the photo changed). Deterministic by
    ``seed``."""
    rng = np.random.default_rng([seed, 11])
    img = (photo.image if image is None else image).copy()
    for (x0, y0, x1, y1), dh, color, thick in _pen_rows(photo):
        y1 += int(dh * rng.uniform(*gap))
        cv2.line(img, (int(x0 - 0.2 * dh), y1), (int(x1 + 0.2 * dh), y1 + int(rng.uniform(-0.1, 0.1) * dh)), color,
                 thick, cv2.LINE_AA)
    return img


FRAMES = ("circle", "box")


def framed(photo: SynthPhoto, seed: int, shape: str = "circle", image=None) -> np.ndarray:
    """``photo``'s image with each row circled (an ellipse half a digit wider each side, a third taller) or boxed (a
    rectangle 0.2–0.4 of a digit out), drawn in the ink's colour (on ``image`` if given). Deterministic by ``seed``."""
    rng = np.random.default_rng([seed, 13])
    img = (photo.image if image is None else image).copy()
    for (x0, y0, x1, y1), dh, color, thick in _pen_rows(photo):
        if shape == "circle":
            axes = (int((x1 - x0) / 2 + dh * 0.45), int((y1 - y0) / 2 + dh * 0.35))
            cv2.ellipse(img, ((x0 + x1) // 2, (y0 + y1) // 2), axes, rng.uniform(-5, 5), 0, 360, color, thick, cv2.LINE_AA)
        else:
            pad = int(dh * rng.uniform(0.2, 0.4))
            cv2.rectangle(img, (x0 - pad, y0 - pad), (x1 + pad, y1 + pad), color, thick, cv2.LINE_AA)
    return img


def margined(image: np.ndarray, seed: int) -> np.ndarray:
    """``image`` with a notebook's margin rule: a red line 2 px wide from top to bottom, 2–6% of the width in from the
    left and leaning by up to 5 px, printed under the writing (the darker of it and the picture shows), so the
    first digit of a row often touches it. Deterministic by ``seed``."""
    rng = np.random.default_rng([seed, 13])
    h, w = image.shape[:2]
    out = image.copy()
    x = int(rng.uniform(0.02, 0.06) * w)
    cv2.line(out, (x, 0), (x + int(rng.uniform(-5, 5)), h), (90, 90, 220), 2, cv2.LINE_AA)
    return cv2.min(out, image)


TEXTURES = ("dots", "flecks")


def textured(image: np.ndarray, seed: int, kind: str = "dots") -> np.ndarray:
    """``image`` on textured paper: a dot grid's printed dots (``kind="dots"``: 3 px grey dots every 14–24 px, as a
    bullet journal's 5 mm grid photographed from a little way off) or flecks scattered at random (``"flecks"``: as
    many as one per 400 px², recycled paper's or a speckled surface's), the darker of the dot and the picture
    showing. Deterministic by ``seed``."""
    rng = np.random.default_rng([seed, 17])
    h, w = image.shape[:2]
    out = image.copy()
    color = tuple(int(v) for v in rng.choice([[150, 150, 150], [120, 120, 120], [190, 170, 150]]))
    if kind == "dots":
        pitch = rng.uniform(14, 24)
        ys, xs = np.meshgrid(np.arange(rng.uniform(0, pitch), h, pitch), np.arange(rng.uniform(0, pitch), w, pitch))
    else:
        n = h * w // 400
        ys, xs = rng.uniform(0, h, n), rng.uniform(0, w, n)
    for x, y in zip(xs.ravel(), ys.ravel()):
        cv2.circle(out, (int(x), int(y)), 1, color, -1, cv2.LINE_AA)
    return cv2.min(out, image)


def _pen_rows(photo: SynthPhoto) -> list:
    """For each row of ``photo``: its digits' box (x0, y0, x1, y1), the digits' height, the ink's colour (its darkest
    5% within the digits' boxes; the brightest on a board) and a pen stroke's width for that height."""
    if not photo.boxes:
        return []
    gray = cv2.cvtColor(photo.image, cv2.COLOR_BGR2GRAY)
    inside = np.zeros(gray.shape, bool)
    for x, y, w, h in photo.boxes:
        inside[y: y + h, x: x + w] = True
    values = gray[inside]
    ink = (values <= np.percentile(values, 5)) if photo.polarity == "dark" else (values >= np.percentile(values, 95))
    color = tuple(int(c) for c in photo.image[inside][ink].mean(axis=0))
    dh = float(np.median([b[3] for b in photo.boxes]))
    out, i = [], 0
    for row in photo.rows:
        boxes = photo.boxes[i: i + len(row)]
        i += len(row)
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[0] + b[2] for b in boxes),
               max(b[1] + b[3] for b in boxes))
        out.append((box, dh, color, max(1, int(round(dh / 9)))))
    return out


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
