"""The development set of real photos (``../shared/data/photos``, outside the repository): slow, not in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgecnn.tooling.realphotos import read_labelled

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
TARGET = 0.98  # share of the digits read right (1 − edit distance / digits)


@pytest.mark.slow
@pytest.mark.skipif(not (PHOTOS / "labels.json").exists(), reason="development photos not present")
def test_development_photos_are_read():
    from edgecnn import DigitReader

    errors = total = 0
    # as scripts/eval_real_photos.py measures (the figure): every digit's best reading, however unsure
    for p, _, reading, edits in read_labelled(PHOTOS, DigitReader(min_confidence=0.0)):
        errors += edits
        total += len(p["digits"])
        if p["file"] < "real_09":  # the first eight photos stay exact
            assert reading.rows == p["rows"], p["file"]
    assert 1 - errors / total >= TARGET, f"{total - errors}/{total} digits read"
