"""Property tests: segmentation and normalization accept any 2-D/3-D array and always give well-formed crops."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edgecnn.normalize import normalize_digit
from edgecnn.segment import segment

DTYPES = [np.uint8, np.uint16, np.float32]
FLOATS = st.floats(width=32)  # any float32: NaN, ±inf, ±3.4e38, subnormals


def elements_for(dtype):
    return FLOATS if dtype is np.float32 else st.integers(0, int(np.iinfo(dtype).max))


@st.composite
def arrays(draw, max_side=96):
    dtype = draw(st.sampled_from(DTYPES))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    shape = (h, w) if draw(st.booleans()) else (h, w, draw(st.sampled_from([1, 2, 3, 4])))
    elements = elements_for(dtype)
    if dtype is np.float32:
        elements = elements | st.sampled_from([0.0, 1.0, 255.0, 0.5])
    kind = draw(st.sampled_from(["random", "blank", "page"]))
    if kind == "random":
        return draw(hnp.arrays(dtype, shape, elements=elements))
    a = np.full(shape, draw(elements), dtype)
    if kind == "page":  # a few strokes of another value: something segment() can find
        v = draw(elements)
        for _ in range(draw(st.integers(1, 4))):
            y, x = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
            a[y: y + draw(st.integers(1, 40)), x: x + draw(st.integers(1, 6))] = v
    return a


def check_segmentation(img):
    seg = segment(img)
    h, w = img.shape[:2]
    crops = seg.crops
    assert crops.dtype == np.float32 and crops.shape == (len(seg.digits), 28, 28, 1)
    for d in seg.digits:
        assert d.crop.shape == (28, 28) and d.crop.dtype == np.float32
        assert np.isfinite(d.crop).all() and d.crop.min() >= 0 and d.crop.max() <= 1
        x, y, bw, bh = d.box
        assert 0 <= x and 0 <= y and bw >= 1 and bh >= 1 and x + bw <= w and y + bh <= h, (d.box, img.shape)
    assert sorted(i for row in seg.rows for i in row) == list(range(len(seg.digits)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(arrays())
def test_segment_any_array(img):
    check_segmentation(img)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(arrays(max_side=400))
def test_segment_any_array_larger(img):
    """Past SINGLE_MAX (64 px) the full pipeline runs: illumination, components, rows."""
    check_segmentation(img)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=80), elements=elements_for(dt))))
def test_normalize_any_array(ink):
    out = normalize_digit(ink)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
