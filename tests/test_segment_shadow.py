"""A shadow across the page (a phone's, a hand's): its edge is not ink, and the digits it crosses stay whole."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgecnn.segment import ink_image, segment
from edgecnn.tooling.synth import SHADOWS, make_photo, shadowed


def _shadowed(page: np.ndarray, shade: np.ndarray, depth: float, soft: float) -> np.ndarray:
    """``page`` darkened by ``depth`` where ``shade`` is set, the shadow's edge blurred ``soft`` px, sensor noise."""
    m = cv2.GaussianBlur(shade.astype(np.float32), (0, 0), soft)
    noise = np.random.default_rng(0).normal(0, 3, page.shape)
    return np.clip(page * (1 - depth * m) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", SHADOWS)
def test_photos_with_a_shadow_across_them_keep_their_digits(kind):
    """Bench photos with a shadow cast across them (seeds 1000–1029) are cut into the digits written: before the
    paper's cap, the shadow's edge read as a band of ink that joined or hid digits on half of them."""
    right = 0
    for seed in range(1000, 1030):
        p = make_photo(seed)
        seg = segment(shadowed(p.image, seed, kind))
        right += [len(r) for r in seg.rows] == [len(r) for r in p.rows]
    assert right >= 26, right


def _page() -> np.ndarray:
    """Paper with a number written in its top left corner (inside 0–60 × 0–200 px)."""
    page = np.full((360, 480), 220, np.uint8)
    cv2.putText(page, "2718", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 40, 4)
    return page.astype(np.float32)


def _paper_ink(ink: np.ndarray) -> float:
    """The ink's 99.9th percentile away from the written number."""
    return float(np.percentile(np.concatenate([ink[70:].ravel(), ink[:70, 220:].ravel()]), 99.9))


def test_the_shaded_side_of_a_sharp_edge_is_paper_not_ink():
    """Across a sharp shadow edge the ink stays at the paper's noise: no band along the edge."""
    yy, xx = np.mgrid[0:360, 0:480]
    ink, polarity = ink_image(_shadowed(_page(), (xx - 240) * 0.57 - (yy - 180) * 0.82 > 0, 0.5, 1.0))
    assert polarity == "dark"
    assert _paper_ink(ink) < 40


@pytest.mark.parametrize("corner", [(0, 359), (479, 0), (479, 359)])
def test_a_shadow_cut_by_the_picture_corner_is_followed_to_the_border(corner):
    """A hand's shadow reaching in over a corner leaves a wedge of shade along the border: paper too."""
    shade = np.zeros((360, 480), np.uint8)
    cv2.ellipse(shade, corner, (260, 150), 30, 0, 360, 1, -1)
    ink, polarity = ink_image(_shadowed(_page(), shade > 0, 0.5, 1.5))
    assert polarity == "dark"
    assert _paper_ink(ink) < 40


@pytest.mark.parametrize("seed, paper", [(5092, "plain"), (7116, "ruled")])
def test_a_blob_of_thick_ink_is_ink_not_shade(seed, paper):
    """A thick digit's blob about as wide as the paper's closing (bench photos 5092, 7116) stays whole: the cap holds
    only where a closing four times wider finds the shade too."""
    p = make_photo(seed, paper=paper)
    assert [len(r) for r in segment(p.image).rows] == [len(r) for r in p.rows]
