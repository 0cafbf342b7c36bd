"""Reading order: candidates grouped into rows, top to bottom, each left to right."""

from __future__ import annotations

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
