"""The sheet on a desk when light is uneven: part of the sheet in shadow, glare on the desk (generated images)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgecnn.segment import segment, sheet_mask
from runtime_helpers import digits_image

QUAD = np.float32([[260, 200], [1280, 160], [1400, 1000], [220, 1060]])  # the sheet, seen at an angle


def _shaded_sheet(seed: int, shade: str):
    """A sheet with two rows of digits on a grainy desk, its left part in a soft shadow, a lamp's glare on the desk.

    ``shade="diagonal"``: the lower left of the sheet is shaded and the glare lies above its top-left corner, so
    the bright side of the picture is the lit part of the sheet joined to the glare (real_14's light).
    ``shade="band"``: a straight soft shadow covers the sheet's left third; the glare stays apart.
    """
    rng = np.random.default_rng(seed)
    h, w = 1200, 1600
    grain = cv2.GaussianBlur(rng.normal(0, 30, (h, w)).astype(np.float32), (0, 0), 1.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if shade == "diagonal":
        glare = 110 * np.exp(-(((xx - 250) / 500) ** 2 + ((yy - 60) / 220) ** 2))
        light = 0.55 + 0.45 * np.clip((xx - yy + 100) / 500, 0, 1)
    else:
        glare = 95 * np.exp(-(((xx - 150) / 420) ** 2 + ((yy - 100) / 260) ** 2))
        light = 0.62 + 0.38 * np.clip((xx - 450) / 500, 0, 1)
    desk = 95 + grain + glare
    page, truth, _ = digits_image((3, 1, 4), rows=2, seed=seed, size=(360, 260))
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [360, 0], [360, 260], [0, 260]]), QUAD)
    sheet = cv2.warpPerspective(page, warp, (w, h), flags=cv2.INTER_LINEAR, borderValue=0).astype(np.float32)
    inside = cv2.warpPerspective(np.full_like(page, 255), warp, (w, h), flags=cv2.INTER_NEAREST) > 0
    img = np.where(inside, sheet * light + 0.1 * grain, desk)
    return np.clip(img, 0, 255).astype(np.uint8), truth


def _on_sheet(box) -> bool:
    x, y, bw, bh = box
    return cv2.pointPolygonTest(QUAD.reshape(-1, 1, 2), (x + bw / 2, y + bh / 2), True) > 20


@pytest.mark.parametrize("shade", ["diagonal", "band"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_sheet_half_in_shadow_beside_glare_reads_only_its_digits(seed, shade):
    """The bright side of the picture is not the sheet: the sheet is found by its straight edges, the shaded
    digits are kept and the sheet's edges and the desk give no digits."""
    img, truth = _shaded_sheet(seed, shade)
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [len(t) for t in truth]
    assert all(_on_sheet(d.box) for d in seg.digits)


def test_the_sheet_found_by_its_edges_is_the_whole_sheet_and_not_the_glare():
    img, _ = _shaded_sheet(0, "diagonal")
    gray = cv2.resize(img, (1280, 960), interpolation=cv2.INTER_AREA)
    small = cv2.resize(gray, (320, 240), interpolation=cv2.INTER_AREA)
    mask = sheet_mask(small, gray)
    assert mask is not None
    truth = np.zeros_like(small)
    cv2.fillConvexPoly(truth, np.int32(np.rint(QUAD * 0.2)), 255)
    inter = cv2.countNonZero(cv2.bitwise_and(mask, truth))
    assert inter > 0.9 * cv2.countNonZero(truth)           # the shaded part too
    assert cv2.countNonZero(mask) - inter < 0.01 * small.size  # no desk, no glare


@pytest.mark.parametrize("seed", [3047, 3196])
def test_uneven_light_on_a_squared_page_is_no_sheet_edge(seed):
    """Glare or a patchy shade splits a squared page filling the view into a bright and a dim part, and the grid's
    sharp lines along the split passed for a paper edge: the bright part was taken for the sheet and the digits in
    the dim part were cut away with the "desk" (3047 read the grid as 60 digits, 3196 read one). Beyond a sheet's
    outline the desk is darker; here it is paper."""
    from edgecnn.tooling.synth import make_photo

    p = make_photo(seed, paper="squared")
    gray = cv2.cvtColor(p.image, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    assert sheet_mask(cv2.resize(gray, (w // 4, h // 4), interpolation=cv2.INTER_AREA), gray) is None
    assert [len(r) for r in segment(p.image).rows] == [len(r) for r in p.rows]


def test_digits_joined_to_a_shadows_edge_keep_their_strokes():
    """Bench photo 9094 (squared): the faint ink a shadow's edge leaves joined a 4 and the 2 under it into one
    component three digits tall, dropped as a fold or a shadow. The strong strokes of what is dropped so stay
    candidates (if not thin, as a rule's pieces are)."""
    from edgecnn import DigitReader
    from edgecnn.tooling.synth import make_photo

    photo = make_photo(9094, paper="squared")
    assert DigitReader().read(photo.image).rows == photo.rows
