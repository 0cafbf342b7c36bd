"""Reading order: candidates grouped into rows, top to bottom, each left to right."""

from __future__ import annotations

from statistics import median

ROW_OVERLAP = 0.3  # a digit continues a row when it overlaps the row's last digit by this share of the smaller height


def reading_order(boxes) -> list[list[int]]:
    """Group boxes (x, y, w, h) into rows (top→bottom), each left→right; tilted rows are chained."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0] + boxes[i][2] / 2)
    rows: list[list[int]] = []
    for i in order:
        x, y, w, h = boxes[i]
        best, best_fit = None, 0.0
        for r, row in enumerate(rows):
            lx, ly, lw, lh = boxes[row[-1]]
            common = min(y + h, ly + lh) - max(y, ly)
            ov = common / max(1, min(h, lh))
            # either centre inside the other's height: a small digit written high or low in its row
            if ly <= y + h / 2 <= ly + lh or y <= ly + lh / 2 <= y + h:
                ov = max(ov, ROW_OVERLAP)
            if ov < ROW_OVERLAP:
                continue
            # of the rows it may continue, the one whose last digit spans its height most alike: a tall digit
            # reaching into the next row overlaps a short one wholly, yet shares little of their joint height
            fit = ov * max(common, 1) / max(1, max(y + h, ly + lh) - min(y, ly))
            if best is None or fit > best_fit:
                best, best_fit = r, fit
        if best is not None:
            rows[best].append(i)
        else:
            rows.append([i])
    rows = _join_rows(rows, boxes)
    # mean centre height (half-integers: the plain sum is exact, as numpy's is)
    rows.sort(key=lambda row: sum(boxes[i][1] + boxes[i][3] / 2 for i in row) / len(row))
    return rows


def _join_rows(rows: list[list[int]], boxes) -> list[list[int]]:
    """Join rows that are one line of writing: a stray piece can break the left→right chain in two."""
    joined = True
    while joined:
        joined = False
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                if _one_line(rows[a], rows[b], boxes):
                    rows[a] = sorted(rows[a] + rows[b], key=lambda i: boxes[i][0] + boxes[i][2] / 2)
                    del rows[b]
                    joined = True
                    break
            if joined:
                break
    return rows


def _one_line(r1: list[int], r2: list[int], boxes) -> bool:
    """Do rows ``r1`` and ``r2`` share their band (median top to median bottom, half of the lower
    band at least) and stand side by side (hardly a box of one above or below a box of the other)?"""
    t1, b1 = median(boxes[i][1] for i in r1), median(boxes[i][1] + boxes[i][3] for i in r1)
    t2, b2 = median(boxes[i][1] for i in r2), median(boxes[i][1] + boxes[i][3] for i in r2)
    if min(b1, b2) - max(t1, t2) < 0.5 * min(b1 - t1, b2 - t2):
        return False
    stacked = 0
    for i in r1:
        xi, _, wi, _ = boxes[i]
        for j in r2:
            xj, _, wj, _ = boxes[j]
            stacked += min(xi + wi, xj + wj) - max(xi, xj) > 0.5 * min(wi, wj)
    return stacked <= max(2, min(len(r1), len(r2)) // 4)  # pieces of one digit may stand over each other
