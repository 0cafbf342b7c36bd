"""Squared (grid) paper: every printed line is erased, however fine the grid and however its lines converge."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgecnn.segment import erase_lines, segment
from edgecnn.tooling.synth import make_photo


def _grid(pitch: float, spread: float, level: int = 60, size=(480, 640)) -> np.ndarray:
    """Ink of a grid ``pitch`` px apart whose vertical lines fan out by ``spread`` (rise per row, left to right:
    a photo taken at a slant), 1 px lines anti-aliased."""
    h, w = size
    ink = np.zeros((h, w), np.float32)
    for y in np.arange(pitch / 2, h, pitch):
        cv2.line(ink, (0, round(y)), (w - 1, round(y + 0.01 * w)), 1.0, 1, cv2.LINE_AA)
    for x in np.arange(pitch / 2, w, pitch):
        lean = spread * (x / w - 0.5)
        cv2.line(ink, (round(x), 0), (round(x + lean * h), h - 1), 1.0, 1, cv2.LINE_AA)
    return np.clip(ink * level, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("pitch, spread", [(10, 0.0), (12, 0.06), (20, 0.09)])
def test_every_line_of_a_fine_or_slanted_grid_is_erased(pitch, spread):
    # lines closer than the tilt allowance merge into one band (a fine grid), or a band holds lines of several tilts
    # (a slanted photo): one line was fitted a band, and the others stayed, a page of vertical strokes
    ink = _grid(pitch, spread)
    clean = erase_lines(ink, (0.0, 2.0))
    assert clean is not None
    assert np.count_nonzero(clean > 25) < 0.002 * clean.size


def test_a_stroke_on_a_fine_grid_stays():
    ink = _grid(10, 0.06)
    ink[150:330, 300:306] = 200  # a dark stroke across many lines
    clean = erase_lines(ink, (0.0, 2.0))
    assert clean[150:330, 300:306].mean() >= 150
    assert np.count_nonzero(clean[:, :250] > 25) < 0.002 * clean[:, :250].size


@pytest.mark.parametrize("seed", [1006, 1045, 1128])
def test_digits_on_fine_and_slanted_grids(seed):
    # the benchmark's photos (scripts/bench_photos.py --paper squared) of these kinds: a fine grid (1006), a grid
    # whose edge lines merged (1045) and a slanted one (1128) left lines read as 1s or joined to the digits
    p = make_photo(seed, paper="squared")
    seg = segment(p.image)
    assert [len(r) for r in seg.rows] == [len(r) for r in p.rows]


@pytest.mark.parametrize("seed", [1120, 1141, 1165])
def test_a_dense_grid_is_not_taken_for_light_ink(seed):
    """Shrunk 8× for the polarity check, a dense grid beats into a pattern of bright dots: paper
    texture, not chalk. The digits on it stay dark ink, and boards stay light ink."""
    from edgecnn.segment import segment
    from edgecnn.tooling.synth import make_photo

    assert segment(make_photo(seed, paper="squared").image).polarity == "dark"
    assert segment(make_photo(1001, paper="squared").image).polarity == "light"  # a board: chalk
