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


def test_a_tilted_fine_grid_keeps_its_vertical_lines():
    # photographed at a tilt, a fine grid's horizontal lines cross every few rows of the (page-wide) vertical band at
    # a slant; their long runs there passed for one thick stroke, no vertical line was erased and the lines joined
    # the two rows' digits into three tall ones (bench photo 5148 read "752")
    p = make_photo(5148, paper="squared")
    assert [len(r) for r in segment(p.image).rows] == [len(r) for r in p.rows]


@pytest.mark.parametrize("seed", [9019, 9186])
def test_a_row_of_digits_along_a_line_is_not_taken_for_it(seed):
    # a row of marker digits written along a grid line filled most of that line's band, so the band's level was
    # theirs, and their strokes that line up passed for lines of it (thick, dark): subtracted, they cut every
    # digit of the row in two. A page's lines are printed alike: far darker than most, it is no line
    p = make_photo(seed, paper="squared")
    assert [len(r) for r in segment(p.image).rows] == [len(r) for r in p.rows]


@pytest.mark.parametrize("seed", [1120, 1141, 1165])
def test_a_dense_grid_is_not_taken_for_light_ink(seed):
    """Shrunk 8× for the polarity check, a dense grid beats into a pattern of bright dots: paper
    texture, not chalk. The digits on it stay dark ink, and boards stay light ink."""
    from edgecnn.segment import segment
    from edgecnn.tooling.synth import make_photo

    assert segment(make_photo(seed, paper="squared").image).polarity == "dark"
    assert segment(make_photo(1001, paper="squared").image).polarity == "light"  # a board: chalk


@pytest.mark.parametrize("slope", [0.2, 0.35, 0.6])
def test_a_stroke_over_a_line_stays_whole(slope):
    # a faint stroke (75) over lines of 50 lost nearly all its ink where it lies on a line (a line is subtracted at
    # 1.4× its level), and bridging across the line misses a stroke that crosses it at a shallow angle (paper on
    # one side): strong ink on a line joined to its stroke beside the lines is the stroke's
    ink = _grid(24, 0.0, level=50)
    y = 206  # a horizontal line's row near x = 250
    stroke = np.zeros_like(ink)
    cv2.line(stroke, (150, round(y - 100 * slope)), (350, round(y + 100 * slope)), 75, 3)
    on_line = (stroke > 0) & (np.abs(np.arange(ink.shape[0])[:, None] - y) <= 2)
    clean = erase_lines(np.maximum(ink, stroke), (0.0, 2.0), strong=35.0)
    assert np.median(clean[on_line]) >= 35
    assert np.count_nonzero(clean[:, :100] > 25) == 0  # the lines away from it, and their crossings, are erased


@pytest.mark.parametrize("seed", [1012, 1138, 1177])
def test_digits_are_not_cut_where_grid_lines_are_erased(seed):
    # the benchmark's photos of faint digits on a grid: cut along the lines, their pieces read as extra digits or rows
    # (1012: "05" read "62|21", 1138: a piece of a 5 read as a row of its own, 1177: a row read as two rows)
    p = make_photo(seed, paper="squared")
    seg = segment(p.image)
    assert [len(r) for r in seg.rows] == [len(r) for r in p.rows]


def test_line_remnants_do_not_set_the_digit_height():
    # after a fine grid is erased, a few 1 px slivers of its lines stay; when they outnumbered the digits among the
    # larger pieces, the typical digit height came out at 1 px and every digit was dropped as "taller than the
    # writing" (bench photo 1006 read nothing)
    from edgecnn.segment import find_digits

    rng = np.random.default_rng(0)
    ink = np.zeros((480, 640), np.uint8)
    for k, text in enumerate("872"):
        cv2.putText(ink, text, (60 + 40 * k, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 200, 3)
    for _ in range(12):  # remnants: flat, 9-25 px long, scattered over the page
        x, y = int(rng.integers(0, 600)), int(rng.integers(0, 300))
        ink[y, x: x + int(rng.integers(9, 26))] = 120
    groups, _ = find_digits(ink)
    assert sorted(box[0] for box, _ in groups) == pytest.approx([60, 100, 140], abs=8)


def test_a_line_hidden_by_a_row_written_along_it_is_erased():
    """Bench photo 11112 (ruled): a row written along a line made its band one thick stroke, so the line was never
    found; it joined the row into strokes wider than three digits, and the row was lost."""
    photo = make_photo(11112, paper="ruled")
    assert [len(r) for r in segment(photo.image).rows] == [len(r) for r in photo.rows]


def test_a_hidden_line_is_put_back_only_where_its_ink_runs():
    """Between two evenly spaced lines two pitches apart, a line is added where the ink along it is at half their
    level for most of its length (printed between the strokes), not on bare paper."""
    from edgecnn.segment.lines import _hidden_lines

    ink = np.zeros((480, 640), np.uint8)
    found = [((0, y), (639, y), 3, 40.0) for y in (40, 120, 200, 360, 440)]  # 280 hidden
    assert _hidden_lines(found, ink, True) == found                     # bare paper there: nothing added
    cv2.line(ink, (0, 280), (639, 280), 40, 3)
    for x in range(60, 600, 120):
        cv2.circle(ink, (x, 280), 25, 200, 6)                            # a row of strokes along it
    added = [line for line in _hidden_lines(found, ink, True) if line not in found]
    assert added == [((0, 280), (639, 280), 3, 40.0)]


@pytest.mark.parametrize("paper, degrees, seed", [("squared", -10.0, 1010), ("ruled", 6.0, 1008), ("squared", 6.0, 1009)])
def test_a_lined_page_photographed_askew_is_read_turned_level(paper, degrees, seed):
    """Lines 6-10° from level are past what the eraser takes (±2°): they joined the digits, or their pieces read as
    rows of 1s. Their angle is the page's: found on the ink 4× smaller, the page is analysed turned level."""
    from edgecnn import DigitReader
    from edgecnn.tooling.synth import turned

    p = make_photo(seed, paper=paper)
    assert DigitReader(min_confidence=0.0).read(turned(p.image, degrees)).rows == p.rows


def test_the_askew_look_finds_the_turn_and_ignores_one_long_edge():
    from edgecnn.segment.lines import askew_lines

    page = np.zeros((480, 640), np.uint8)
    for y in range(40, 480, 56):  # ruled lines, faint ink 30 over the paper
        cv2.line(page, (0, y), (639, y), 30, 2)
    m = cv2.getRotationMatrix2D((320, 240), -8.0, 1.0)
    assert askew_lines(cv2.warpAffine(page, m, (640, 480)), (0.0, 2.0)) == pytest.approx(8.0, abs=1.0)  # turned back
    assert askew_lines(page, (0.0, 2.0)) is None  # level: the eraser's business
    edge = np.zeros((480, 640), np.uint8)
    cv2.line(edge, (0, 200), (639, 290), 30, 6)  # one long edge (a shadow's), 8° from level
    assert askew_lines(edge, (0.0, 2.0)) is None
