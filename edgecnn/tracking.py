"""Stable readings from a stream of per-frame readings: no flicker on a steady sheet of paper.

Each digit is followed across frames by box overlap (IoU, greedy best-first matching). A
track keeps its last ``window`` classifications; its stable label is the label with the
largest summed confidence over that window. A track is shown once it was seen in
``min_hits`` frames and kept through up to ``max_missing`` frames without a detection, so one
missed or spurious detection does not change the reading. Rows are formed from the shown
tracks' boxes with the same reading order as a single photo.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .reader import UNKNOWN, Reading, rows_of
from .segment import reading_order


def iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = min(ax + aw, bx + bw) - max(ax, bx)
    ih = min(ay + ah, by + bh) - max(ay, by)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / float(aw * ah + bw * bh - inter)


@dataclass
class Track:
    id: int
    box: tuple[int, int, int, int]
    votes: deque = field(default_factory=deque)  # (label, confidence) per frame seen, newest last
    hits: int = 0       # frames in which it was detected
    missing: int = 0    # frames since its last detection

    def stable(self) -> tuple[str, float]:
        """The label with the largest summed confidence in the window, and its mean share of the window."""
        score: dict[str, float] = {}
        for label, conf in self.votes:
            score[label] = score.get(label, 0.0) + conf
        label = max(score, key=score.get)
        return label, score[label] / len(self.votes)


@dataclass
class StableDigit:
    id: int
    label: str
    confidence: float
    box: tuple[int, int, int, int]
    row: int

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "confidence": round(float(self.confidence), 4),
                "box": [int(v) for v in self.box], "row": self.row}


@dataclass
class StableReading:
    digits: list[StableDigit] = field(default_factory=list)

    @property
    def rows(self) -> list[str]:
        return rows_of(self.digits)

    @property
    def text(self) -> str:
        return "\n".join(self.rows)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "text": self.text, "digits": [d.to_dict() for d in self.digits]}


class Tracker:
    """Feed it one :class:`Reading` per frame with :meth:`update`; it returns the :class:`StableReading`."""

    def __init__(self, window: int = 5, min_iou: float = 0.3, min_hits: int = 2, max_missing: int = 3,
                 min_confidence: float = 0.5):
        self.window, self.min_iou, self.min_hits = window, min_iou, min_hits
        self.max_missing, self.min_confidence = max_missing, min_confidence
        self.tracks: list[Track] = []
        self._next_id = 0

    def reset(self) -> None:
        self.tracks.clear()

    def update(self, reading: Reading) -> StableReading:
        digits = reading.digits
        pairs = sorted(((iou(t.box, d.box), ti, di) for ti, t in enumerate(self.tracks) for di, d in enumerate(digits)),
                       reverse=True)
        used_t: set[int] = set()
        used_d: set[int] = set()
        for score, ti, di in pairs:
            if score < self.min_iou:
                break
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            self._observe(self.tracks[ti], digits[di])
        for ti, t in enumerate(self.tracks):
            if ti not in used_t:
                t.missing += 1
        self.tracks = [t for t in self.tracks if t.missing <= self.max_missing]
        for di, d in enumerate(digits):
            if di not in used_d:
                t = Track(self._next_id, d.box, deque(maxlen=self.window))
                self._next_id += 1
                self._observe(t, d)
                self.tracks.append(t)
        return self._reading()

    def _observe(self, t: Track, d) -> None:
        t.box = tuple(int(v) for v in d.box)
        t.votes.append((d.best or d.label, float(d.confidence)))
        t.hits += 1
        t.missing = 0

    def _reading(self) -> StableReading:
        shown = [t for t in self.tracks if t.hits >= self.min_hits]
        if not shown:
            return StableReading()
        rows = reading_order([t.box for t in shown])
        out = StableReading()
        for r, row in enumerate(rows):
            for i in row:
                t = shown[i]
                label, conf = t.stable()
                out.digits.append(StableDigit(t.id, label if conf >= self.min_confidence else UNKNOWN, conf, t.box, r))
        return out
