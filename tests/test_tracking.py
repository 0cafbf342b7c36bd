"""Tracking: digits matched across frames by box overlap, labels smoothed, rows formed (no model needed)."""

from __future__ import annotations

import numpy as np

from edgecnn.reader import Digit, Reading
from edgecnn.tracking import Tracker, iou


def frame(*digits):
    """A Reading from (label, confidence, box) triples."""
    crop = np.zeros((28, 28), np.float32)
    return Reading([Digit(l if c >= 0.5 else "?", c, b, 0, crop, l) for l, c, b in digits], (480, 640))


A, B, C = (10, 10, 40, 60), (70, 12, 40, 60), (20, 120, 40, 60)


def test_iou():
    assert iou(A, A) == 1.0
    assert iou(A, (100, 100, 5, 5)) == 0.0
    assert abs(iou((0, 0, 10, 10), (5, 0, 10, 10)) - 50 / 150) < 1e-9


def test_flicker_is_smoothed_and_ids_kept():
    t = Tracker(window=5)
    assert t.update(frame(("4", 0.9, A), ("2", 0.9, B))).rows == []  # shown from the second sighting on
    s = t.update(frame(("4", 0.9, A), ("2", 0.9, B)))
    ids = [d.id for d in s.digits]
    assert s.rows == ["42"]
    moved = (A[0] + 3, A[1] + 2, A[2], A[3])  # the paper moves a little; one frame misreads the 4 as a 9
    s = t.update(frame(("9", 0.6, moved), ("2", 0.9, B)))
    assert s.rows == ["42"] and [d.id for d in s.digits] == ids


def test_a_missed_detection_is_bridged_then_dropped():
    t = Tracker(max_missing=2)
    for _ in range(3):
        t.update(frame(("1", 0.99, A), ("7", 0.99, B)))
    assert t.update(frame(("1", 0.99, A))).rows == ["17"]   # 7 missed once: kept
    assert t.update(frame(("1", 0.99, A))).rows == ["17"]
    assert t.update(frame(("1", 0.99, A))).rows == ["1"]    # gone for longer: dropped


def test_rows_and_low_confidence():
    t = Tracker(min_confidence=0.5)
    for _ in range(2):
        s = t.update(frame(("3", 0.95, A), ("8", 0.3, B), ("5", 0.95, C)))
    assert s.rows == ["3?", "5"]
    assert s.to_dict()["text"] == "3?\n5"
    assert {d["row"] for d in s.to_dict()["digits"]} == {0, 1}


def test_blank_frames_clear_the_reading():
    t = Tracker(max_missing=1)
    for _ in range(3):
        t.update(frame(("6", 0.9, A)))
    t.update(frame())
    assert t.update(frame()).rows == []
