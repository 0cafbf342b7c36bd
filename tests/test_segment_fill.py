"""edgecnn.segment.fill: an editor's or scanner's white or black fill around a turned or letterboxed picture."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgecnn.segment.fill import continue_fill
from edgecnn.tooling.synth import turned


@pytest.fixture(scope="module")
def reader():
    from edgecnn import DigitReader

    return DigitReader(min_confidence=0.0)


def _paper(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """Grey paper with a gentle gradient and sensor noise, no white or black."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(170, 210, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    return np.clip(ramp + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)


def test_a_picture_without_fill_is_returned_as_it_is():
    paper = _paper()
    assert continue_fill(paper) is paper


@pytest.mark.parametrize("fill, level", [("black", 0), ("white", 255)])
def test_a_fill_in_the_corners_is_the_picture_continued(fill, level):
    gray = cv2.cvtColor(turned(cv2.cvtColor(_paper(), cv2.COLOR_GRAY2BGR), 8.0, fill), cv2.COLOR_BGR2GRAY)
    assert np.count_nonzero(np.abs(gray.astype(int) - level) <= 2) > 0.02 * gray.size
    out = continue_fill(gray)
    # no pixel of the fill's level is left, and the corners take the paper's levels beside them
    assert not np.any(np.abs(out.astype(int) - level) <= 2)
    assert 150 <= int(out[0, 0]) <= 230 and 150 <= int(out[-1, -1]) <= 230


def test_blown_out_paper_and_paper_with_writing_are_no_fill():
    # a glare that saturates the paper in a corner fades into it: no step beside it
    paper = _paper().astype(np.float32)
    yy, xx = np.mgrid[: paper.shape[0], : paper.shape[1]]
    glare = np.clip(paper + 120 * np.exp(-((xx / 90.0) ** 2 + (yy / 70.0) ** 2)), 0, 255).astype(np.uint8)
    assert np.count_nonzero(glare == 255) > 0.02 * glare.size
    assert continue_fill(glare) is glare
    # a white bar along a side with a digit written in it is paper, not a fill
    page = _paper()
    page[:60] = 255
    cv2.putText(page, "7", (150, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 40, 4)
    assert np.array_equal(continue_fill(page), page)


@pytest.mark.parametrize("seed, degrees, fill, what", [
    (1006, 5.0, "white", "white corners made the page read as light ink on a dark board: nothing read"),
    (1012, 5.0, "black", "black corners made their edges strong ink: the digits fell under the raised thresholds"),
    (1012, 8.0, "white", "the same through JPEG: its ringing along the fill's edge read as 2s and 9s"),
])
def test_a_turned_photo_with_filled_corners_reads(reader, seed, degrees, fill, what):
    from edgecnn.tooling.synth import make_photo

    p = make_photo(seed)
    image = turned(p.image, degrees, fill)
    if degrees == 8.0:
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1], cv2.IMREAD_COLOR)
    assert reader.read(image).rows == p.rows, what


def test_a_letterboxed_frame_reads(reader):
    """Black bars along two sides (a 4:3 picture in a taller frame): their edges were strong ink, and 1008 read
    nothing."""
    from edgecnn.tooling.synth import make_photo

    p = make_photo(1008)
    pad = p.image.shape[0] // 6
    image = cv2.copyMakeBorder(p.image, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    assert reader.read(image).rows == p.rows
