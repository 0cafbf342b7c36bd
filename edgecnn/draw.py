"""Pictures for people: an image annotated with what was read, and a mosaic of the crops the model saw."""

from __future__ import annotations

import cv2
import numpy as np

GREEN, ORANGE, RED, WHITE, BLACK = (60, 200, 60), (0, 165, 255), (40, 40, 230), (255, 255, 255), (0, 0, 0)


def _bgr(image) -> np.ndarray:
    from .segment import _to_u8

    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = _to_u8(a)
    if a.ndim == 2:
        return cv2.cvtColor(a, cv2.COLOR_GRAY2BGR)
    if a.shape[2] == 4:
        return cv2.cvtColor(a, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(a[:, :, :3])


def _label(img, text, org, color, scale, thick):
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    x, y = int(org[0]), int(org[1])
    x = min(max(x, 0), max(0, img.shape[1] - tw))
    y = min(max(y, th + base), img.shape[0] - 1)
    cv2.rectangle(img, (x, y - th - base), (x + tw, y + base // 2), color, -1)
    cv2.putText(img, text, (x, y - base // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, BLACK if color != RED else WHITE, thick, cv2.LINE_AA)


def annotate(image, reading, *, show_rows: bool = True) -> np.ndarray:
    """A BGR copy of ``image`` with each digit's box, label and confidence, and the reading per row.

    Green: confident; orange: below 0.9; red: unknown (``?``).
    """
    img = _bgr(image).copy()
    scale = max(0.4, min(img.shape[:2]) / 600)
    thick = max(1, int(round(scale * 2)))
    for d in reading.digits:
        x, y, w, h = d.box
        color = RED if d.label == "?" else GREEN if d.confidence >= 0.9 else ORANGE
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), color, thick)
        _label(img, f"{d.label} {d.confidence:.2f}", (x, y - 2), color, scale * 0.8, max(1, thick // 2))
    if show_rows and reading.rows:
        for i, row in enumerate(reading.rows):
            _label(img, f"row {i + 1}: {row}", (4, (i + 1) * int(34 * scale) + 4), WHITE, scale, max(1, thick // 2))
    return img


def mosaic(reading, *, zoom: int = 4, per_row: int = 10) -> np.ndarray:
    """The 28×28 crops the model saw, upscaled ``zoom``×, each with its label and confidence beneath."""
    crops = [d.crop for d in reading.digits]
    cell = 28 * zoom
    band = 18
    n = max(1, len(crops))
    cols = min(per_row, n)
    rows = (n + cols - 1) // cols
    out = np.full((rows * (cell + band), cols * cell, 3), 40, np.uint8)
    for i, d in enumerate(reading.digits):
        r, c = divmod(i, cols)
        tile = cv2.resize((np.clip(d.crop, 0, 1) * 255).astype(np.uint8), (cell, cell), interpolation=cv2.INTER_NEAREST)
        y0, x0 = r * (cell + band), c * cell
        out[y0: y0 + cell, x0: x0 + cell] = tile[:, :, None]
        cv2.rectangle(out, (x0, y0), (x0 + cell - 1, y0 + cell - 1), (90, 90, 90), 1)
        color = RED if d.label == "?" else GREEN if d.confidence >= 0.9 else ORANGE
        cv2.putText(out, f"{d.label} {d.confidence:.2f}", (x0 + 3, y0 + cell + band - 5),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
    return out
