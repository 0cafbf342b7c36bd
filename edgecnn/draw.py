"""Pictures for people: an image annotated with what was read, and a mosaic of the crops the model saw."""

from __future__ import annotations

import cv2
import numpy as np

GREEN, ORANGE, RED, WHITE, BLACK = (60, 200, 60), (0, 165, 255), (40, 40, 230), (255, 255, 255), (0, 0, 0)


def _bgr(image) -> np.ndarray:
    from .segment import to_u8

    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = to_u8(a)
    if a.ndim == 2:
        return cv2.cvtColor(a, cv2.COLOR_GRAY2BGR)
    if a.shape[2] == 4:
        return cv2.cvtColor(a, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(a[:, :, :3])


FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text_box(img, text, org, scale, thick):
    """The filled rectangle (x0, y0, x1, y1) a label with its bottom-left at ``org`` takes, kept inside the image."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x = min(max(int(org[0]), 0), max(0, img.shape[1] - tw - 2))
    y = min(max(int(org[1]), th + base + 1), img.shape[0] - 1)
    return x, y - th - base, x + tw + 2, y + base // 2


def _draw_text(img, text, rect, color, scale, thick):
    x0, y0, x1, y1 = rect
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    cv2.rectangle(img, (x0, y0), (x1, y1), color, -1)
    cv2.putText(img, text, (x0 + 1, y1 - base // 2 - 1), FONT, scale, BLACK if color != RED else WHITE, thick, cv2.LINE_AA)


def _label(img, text, org, color, scale, thick):
    _draw_text(img, text, _text_box(img, text, org, scale, thick), color, scale, thick)


def _overlap(a, b) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def _place_labels(img, digits, avoid, scale, thick):
    """Each digit's label rectangle: above its box, else below, else inside its top; smaller type before any overlap.

    ``avoid`` holds rectangles already taken (the rows panel); placed labels are added to it.
    """
    boxes = [(x, y, x + w, y + h) for x, y, w, h in (d.box for d in digits)]
    out = []
    for i, d in enumerate(digits):
        x0, y0, x1, y1 = boxes[i]
        text = f"{d.label} {d.confidence:.2f}"
        others = boxes[:i] + boxes[i + 1:]
        best = None
        for s in (scale, scale * 0.8, scale * 0.65):
            t = max(1, int(round(thick * s / scale)))
            (_, th), base = cv2.getTextSize(text, FONT, s, t)
            for org in ((x0, y0 - 2), (x0, y1 + th + base + 2), (x0 + 2, y0 + th + base + 2)):
                rect = _text_box(img, text, org, s, t)
                cost = sum(_overlap(rect, r) for r in avoid) + sum(_overlap(rect, r) for r in others)
                if best is None or cost < best[0]:
                    best = (cost, rect, s, t)
                if cost == 0:
                    break
            if best[0] == 0:
                break
        _, rect, s, t = best
        avoid.append(rect)
        out.append((text, rect, s, t))
    return out


def _rows_panel(img, rows, boxes, scale, thick):
    """Where the 'row N: …' lines go: the image corner that covers the fewest digit boxes (and their labels).

    Returns the lines, the panel's rectangle, the line step and how many digits it still hides."""
    lines = [f"row {i + 1}: {row}" for i, row in enumerate(rows)]
    sizes = [cv2.getTextSize(t, FONT, scale, thick) for t in lines]
    step = max(th + base for (_, th), base in sizes) + 4
    pw, ph = max(tw for (tw, _), _ in sizes) + 8, step * len(lines) + 4
    h, w = img.shape[:2]
    grown = [(x0, y0 - step, x1, y1) for x0, y0, x1, y1 in boxes]  # a box's label sits above it
    corners = [(0, 0), (w - pw, 0), (w - pw, h - ph), (0, h - ph)]
    hidden = [[_overlap((x, y, x + pw, y + ph), b) for b in grown] for x, y in corners]
    best = min(range(len(corners)), key=lambda k: sum(hidden[k]))
    x, y = max(0, corners[best][0]), max(0, corners[best][1])
    return lines, (x, y, x + pw, y + ph), step, sum(a > 0 for a in hidden[best])


def annotate(image, reading, *, show_rows: bool = True, margin: bool = False) -> np.ndarray:
    """A BGR copy of ``image`` with each digit's box, label and confidence, and the reading per row.

    Green: confident; orange: below 0.9; red: unknown (``?``). The rows panel goes in the corner that hides the
    fewest digits; labels go above their box, else below or inside it, in smaller type before overlapping.
    With ``margin`` (a saved picture, whose size may change; not a video frame), a panel that would hide a digit
    goes in a white margin right of the picture instead.
    """
    img = _bgr(image).copy()
    scale = max(0.4, min(img.shape[:2]) / 600)
    thick = max(1, int(round(scale * 2)))
    boxes = [(x, y, x + w, y + h) for x, y, w, h in (d.box for d in reading.digits)]
    taken = []
    panel = None
    if show_rows and reading.rows:
        panel = _rows_panel(img, reading.rows, boxes, scale, max(1, thick // 2))
        if margin and panel[3]:
            h, w = img.shape[:2]
            pw, ph = panel[1][2] - panel[1][0], panel[1][3] - panel[1][1]
            img = cv2.copyMakeBorder(img, 0, max(0, ph - h), 0, pw, cv2.BORDER_CONSTANT, value=WHITE)
            panel = (panel[0], (w, 0, w + pw, ph), panel[2], 0)
        taken.append(panel[1])
    labels = _place_labels(img, reading.digits, taken, scale * 0.8, max(1, thick // 2))
    for d, (x0, y0, x1, y1) in zip(reading.digits, boxes):
        color = RED if d.label == "?" else GREEN if d.confidence >= 0.9 else ORANGE
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), color, thick)
    for d, (text, rect, s, t) in zip(reading.digits, labels):
        color = RED if d.label == "?" else GREEN if d.confidence >= 0.9 else ORANGE
        _draw_text(img, text, rect, color, s, t)
    if panel is not None:
        lines, (px, py, px1, py1), step, _ = panel
        cv2.rectangle(img, (px, py), (px1, py1), WHITE, -1)
        for i, line in enumerate(lines):
            cv2.putText(img, line, (px + 4, py + step * (i + 1) - 2), FONT, scale, BLACK, max(1, thick // 2), cv2.LINE_AA)
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


def hud(image: np.ndarray, fps: float, latency_ms: float, stable) -> np.ndarray:
    """Write FPS, latency and the stable reading along the bottom of an annotated frame (in place)."""
    h, w = image.shape[:2]
    scale = max(0.4, min(h, w) / 800)
    text = f"{fps:5.1f} fps  {latency_ms:5.1f} ms   stable: {' | '.join(stable.rows) or '-'}"
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(image, (0, h - th - base - 8), (min(w, tw + 10), h), (0, 0, 0), -1)
    cv2.putText(image, text, (5, h - base - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image
