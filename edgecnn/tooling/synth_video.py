"""Synthetic camera videos of handwritten digits, with ground truth per frame: deterministic by seed.

One sheet from :func:`edgecnn.tooling.synth.make_photo` (MNIST **test** digits, dark ink on paper) is
filmed by a slightly shaky hand-held camera: it drifts and turns a little, the light brightens
and dims with a moving gradient, the sensor adds noise, and a few frames are blank (the camera
covered, or pointed at empty paper). :func:`frames` yields ``(image, truth)`` pairs;
:func:`write_video` writes them to a video file and returns the ground truth document.
"""

from __future__ import annotations

import math
import os
from typing import Iterator

import cv2
import numpy as np

from .synth import SynthPhoto, make_photo

SIZE = (640, 480)   # width, height
SHIFT = 10          # largest drift in pixels (each axis)
TURN = 1.5          # largest rotation in degrees
FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


def sheet(seed: int, size=SIZE, rows: int = 2, per_row: int = 3) -> SynthPhoto:
    """The first photo from ``seed`` on with exactly ``rows`` × ``per_row`` dark digits, clear of the edges."""
    w, h = size
    margin = SHIFT + 12
    for s in range(seed, seed + 1000):
        p = make_photo(s, size=size, rows=rows, per_row=per_row, polarity="dark")
        if [len(r) for r in p.rows] != [per_row] * rows:
            continue
        if all(x >= margin and y >= margin and x + bw <= w - margin and y + bh <= h - margin for x, y, bw, bh in p.boxes):
            return p
    raise ValueError(f"no photo with {rows}×{per_row} digits clear of the edges from seed {seed}")


def _blank_frames(n: int) -> set[int]:
    """A few blank frames: a short run a third of the way in, and single frames later (never at the end)."""
    if n < 20:
        return set()
    a = n // 3
    return {a, a + 1, a + 2, (2 * n) // 3, (2 * n) // 3 + 5}


def frames(seed: int = 0, count: int = 150, size=SIZE, rows: int = 2, per_row: int = 3) -> Iterator[tuple[np.ndarray, dict]]:
    """Yield ``count`` BGR frames and their truth: ``{"frame", "rows", "boxes", "blank"}``."""
    w, h = size
    photo = sheet(seed, size, rows, per_row)
    rng = np.random.default_rng(seed)
    paper = cv2.GaussianBlur(photo.image, (0, 0), 25)  # the same sheet with the writing blurred away
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w - 0.5, yy / h - 0.5
    noise = [rng.normal(0, 2.0, (h, w, 3)).astype(np.float32) for _ in range(4)]  # sensor noise, cycled
    blank = _blank_frames(count)
    phase = rng.uniform(0, 2 * math.pi, 4)
    corners = np.array([[x, y, 1.0] for x, y, bw, bh in photo.boxes for x, y in
                        ((x, y), (x + bw, y), (x, y + bh), (x + bw, y + bh))], np.float32)
    for i in range(count):
        t = i / 30.0
        dx = SHIFT * math.sin(1.3 * t + phase[0])
        dy = SHIFT * math.sin(0.9 * t + phase[1])
        ang = TURN * math.sin(0.7 * t + phase[2])
        m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
        m[:, 2] += (dx, dy)
        src = photo.image if i not in blank else (paper if i % 2 else np.full_like(paper, 12))
        img = cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        # lighting: overall gain and a gradient whose direction turns slowly
        gain = 0.85 + 0.15 * math.sin(0.8 * t + phase[3])
        a = 0.5 * t
        light = cv2.addWeighted(xx, 0.25 * gain * math.cos(a), yy, 0.25 * gain * math.sin(a), gain)
        img = cv2.multiply(img, cv2.merge([light, light, light]))
        img = cv2.add(img, noise[i % len(noise)])
        img = np.clip(img, 0, 255).astype(np.uint8)
        truth = {"frame": i, "rows": [], "boxes": [], "blank": i in blank}
        if i not in blank:
            pts = (corners @ m.T).reshape(-1, 4, 2)
            truth["rows"] = list(photo.rows)
            truth["boxes"] = [[int(p[:, 0].min()), int(p[:, 1].min()), int(np.ptp(p[:, 0])), int(np.ptp(p[:, 1]))] for p in pts]
        yield img, truth


def write_video(path: str | os.PathLike, seed: int = 0, count: int = 150, fps: float = 30.0, size=SIZE,
                rows: int = 2, per_row: int = 3) -> dict:
    """Write the video to ``path`` (.mp4 or .avi) and return its ground truth document."""
    path = str(path)
    ext = os.path.splitext(path)[1].lower()
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*FOURCC.get(ext, "mp4v")), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    truth = []
    try:
        for img, t in frames(seed, count, size, rows, per_row):
            writer.write(img)
            truth.append(t)
    finally:
        writer.release()
    return {"seed": seed, "fps": fps, "size": {"width": size[0], "height": size[1]},
            "rows": next(t["rows"] for t in truth if t["rows"]), "frames": truth}
