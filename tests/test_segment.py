"""Segmentation on generated images: boxes, blank pages, reading order, polarity, odd arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgecnn.segment import erase_lines, reading_order, segment, to_gray
from edgecnn.tooling.synth import make_photo
from runtime_helpers import digits_image


def _iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def test_known_boxes_and_rows():
    img, truth, boxes = digits_image((3, 1, 4), rows=2)
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [3, 3]
    assert [d.row for d in seg.digits] == [0, 0, 0, 1, 1, 1]
    for d, b in zip(seg.digits, boxes):
        assert _iou(d.box, b) > 0.6, (d.box, b)


@pytest.mark.parametrize("value", [0, 255, 128])
def test_blank_image_has_no_digits(value):
    assert segment(np.full((480, 640), value, np.uint8)).digits == []


def test_noise_gives_clean_empty_result():
    rng = np.random.default_rng(0)
    seg = segment(rng.integers(0, 256, (480, 640), dtype=np.uint8))
    assert len(seg.digits) <= 2  # a photo of pure noise: nothing (or next to nothing) is writing


def test_light_ink_on_dark_board():
    img, truth, boxes = digits_image((7, 2))
    seg = segment(255 - img)
    assert seg.polarity == "light"
    assert len(seg.digits) == 2


def test_uneven_lighting():
    img, truth, boxes = digits_image((5, 0, 9))
    ramp = np.linspace(0.35, 1.0, img.shape[1], dtype=np.float32)[None, :]
    seg = segment((img * ramp).astype(np.uint8))
    assert len(seg.digits) == 3


def test_broken_stroke_is_merged():
    img, _, _ = digits_image((5,))
    x, y, w, h = segment(img).digits[0].box
    cut = img.copy()
    cut[y + h // 3: y + h // 3 + 3, x: x + w] = 235  # cut the 5 horizontally
    assert len(segment(cut).digits) == 1


def test_reading_order_tilted_rows():
    # two rows of four boxes, each row rising to the right
    boxes = [(10 + 60 * i, 100 - 8 * i, 40, 50) for i in range(4)] + [(10 + 60 * i, 200 - 8 * i, 40, 50) for i in range(4)]
    order = list(reversed(range(8)))
    rows = reading_order([boxes[i] for i in order])
    assert [[order[i] for i in r] for r in rows] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_a_row_curving_down_stays_one_row():
    """Writing along an arc (a sheet shot at an angle): each digit overlaps its neighbour by a third of its height."""
    arc = [(10 + 60 * i, 100 + 33 * i, 40, 50) for i in range(5)]  # each 33 px lower: 17/50 = 0.34 overlap
    below = [(10 + 60 * i, 400, 40, 50) for i in range(5)]          # a second row well below
    assert reading_order(arc + below) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    apart = [(10, 100, 40, 50), (70, 140, 40, 50)]  # 10/50 = 0.2 overlap: two lines of writing
    assert reading_order(apart) == [[0], [1]]


def test_single_mnist_digit_is_one_crop(mnist_test):
    img = mnist_test.images[0]
    seg = segment(img)
    assert seg.single and len(seg.digits) == 1
    assert np.abs(seg.digits[0].crop - img / 255.0).mean() < 0.02


@pytest.mark.parametrize("seed", range(6))
def test_synthetic_photo_counts(seed):
    p = make_photo(seed, size=(640, 480))
    seg = segment(p.image)
    assert [len(r) for r in seg.rows] == [len(r) for r in p.rows]


@pytest.mark.parametrize("paper", ["ruled", "squared"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_digits_on_ruled_and_squared_paper(paper, seed):
    # before lines were erased, the rules joined the digits into page-wide components: none of these read right
    p = make_photo(seed, size=(640, 480), paper=paper, polarity="dark")
    seg = segment(p.image)
    assert [len(r) for r in seg.rows] == [len(r) for r in p.rows]


def _ruled_page(pitch=40, level=60):
    ink = np.zeros((480, 640), np.uint8)
    for y in range(20, 480, pitch):
        ink[y: y + 2] = level
    return ink


def test_erase_lines_keeps_the_strokes_that_cross_them():
    ink = _ruled_page()
    ink[110:290, 300:306] = 200  # a dark stroke across four rules (its ends between two)
    clean = erase_lines(ink, (0.0, 2.0))
    assert clean is not None
    assert clean[:, :250].max() <= 10           # the rules are gone
    assert clean[110:290, 300:306].min() >= 150  # the stroke, crossings included, is not


def test_erase_lines_leaves_pages_without_rules_alone():
    assert erase_lines(np.zeros((480, 640), np.uint8), (0.0, 2.0)) is None
    one = np.zeros((480, 640), np.uint8)
    one[240:244] = 60  # one pen line across the page is not ruled paper ...
    assert erase_lines(one, (0.0, 2.0)) is None
    one[240:244] = 0
    one[:, 40:42] = 60  # ... but a lone line printed thin (a notebook's margin rule) is a printed line
    assert erase_lines(one, (0.0, 2.0)).max() == 0
    close_up = np.zeros((480, 640), np.uint8)
    close_up[40:440, 200:230] = 200  # "11" filling the frame: long strokes, but thick for their length
    close_up[40:440, 400:430] = 200
    assert erase_lines(close_up, (0.0, 2.0)) is None


def test_to_gray_any_array():
    assert to_gray(np.zeros((5, 5, 4), np.uint8)).shape == (5, 5)
    assert to_gray(np.full((5, 5), 65535, np.uint16)).max() == 255
    assert to_gray(np.array([[np.nan, np.inf], [-1.0, 2.0]], np.float32)).dtype == np.uint8
    rgba = np.zeros((4, 4, 4), np.uint8)  # fully transparent black → white paper
    assert to_gray(rgba).min() == 255


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    shapes = st.one_of(
        st.tuples(st.integers(1, 90), st.integers(1, 90)),
        st.tuples(st.integers(1, 90), st.integers(1, 90), st.integers(1, 5)),
    )
    dtypes = st.sampled_from([np.uint8, np.uint16, np.float32])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_segment_never_fails(data):
        dtype = data.draw(dtypes)
        shape = data.draw(shapes)
        a = data.draw(arrays(dtype, shape))
        seg = segment(a)
        h, w = shape[:2]
        for d in seg.digits:
            assert d.crop.shape == (28, 28) and d.crop.dtype == np.float32
            assert 0.0 <= d.crop.min() and d.crop.max() <= 1.0
            x, y, bw, bh = d.box
            assert 0 <= x and 0 <= y and bw >= 1 and bh >= 1 and x + bw <= w and y + bh <= h

    @settings(max_examples=40, deadline=None)
    @given(st.integers(65, 400), st.integers(65, 400), st.integers(0, 2**31 - 1))
    def test_segment_random_pages(h, w, seed):
        rng = np.random.default_rng(seed)
        a = np.full((h, w), 230, np.uint8)
        for _ in range(rng.integers(0, 6)):  # random strokes
            p = rng.integers(0, [w, h], (4, 2)).astype(np.int32)
            import cv2
            cv2.polylines(a, [p], False, int(rng.integers(0, 120)), int(rng.integers(1, 6)))
        for d in segment(a).digits:
            x, y, bw, bh = d.box
            assert x + bw <= w and y + bh <= h and d.crop.shape == (28, 28)


def _sheet_on_desk(seed: int = 0):
    """A sheet with two rows of digits lying on a darker, grainy desk, with another sheet's corner beside it."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = 1200, 1600
    grain = cv2.GaussianBlur(rng.normal(0, 30, (h, w)).astype(np.float32), (0, 0), 1.5)
    desk = np.clip(105 + grain + np.linspace(-15, 15, w)[None, :], 0, 255).astype(np.uint8)
    page, truth, _ = digits_image((3, 1, 4), rows=2, seed=seed, size=(360, 260))
    quad = np.float32([[300, 250], [1250, 180], [1330, 950], [260, 1000]])
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [360, 0], [360, 260], [0, 260]]), quad)
    sheet = cv2.warpPerspective(page, warp, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    inside = cv2.warpPerspective(np.full_like(page, 255), warp, (w, h), flags=cv2.INTER_NEAREST) > 0
    img = np.where(inside, sheet, desk)
    cv2.fillConvexPoly(img, np.int32([[0, 500], [120, 620], [0, 760]]), 225)  # another sheet's corner
    return img, truth


def test_sheet_on_a_desk_reads_only_the_sheet():
    img, truth = _sheet_on_desk()
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [len(t) for t in truth]


def test_dark_frame_with_compression_blocks_has_no_digits():
    """A nearly black camera frame whose MPEG blocks differ by a few grey levels is not writing."""
    import cv2

    video = Path(__file__).resolve().parents[1] / "examples" / "digits.mp4"
    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 52)
    ok, frame = cap.read()
    cap.release()
    assert ok and np.percentile(frame, 99.5) - np.percentile(frame, 0.5) < 16
    assert segment(frame).digits == []
    rng = np.random.default_rng(1)  # the same with its blocks' levels shuffled
    blocks = rng.integers(7, 12, (60, 80)).astype(np.uint8)
    assert segment(np.repeat(np.repeat(blocks, 8, axis=0), 8, axis=1)).digits == []


@pytest.mark.parametrize("faint", [25, 45])
def test_faint_lines_crossing_the_page_do_not_join_the_digits(faint):
    """Bleed-through or pencil scribbles that touch every digit must not chain them into one component."""
    import cv2

    img, truth, _ = digits_image((3, 1, 4, 1, 5), rows=3, size=(560, 380))
    page = img.copy()
    rng = np.random.default_rng(0)
    for _ in range(80):
        p = rng.integers(0, [560, 380])
        q = p + rng.integers(-120, 120, 2)
        cv2.line(page, tuple(int(v) for v in p), tuple(int(v) for v in q), 235 - faint, 2)
    seg = segment(np.minimum(page, img))
    assert [len(r) for r in seg.rows] == [5, 5, 5]


def test_a_sliver_cut_by_the_frame_side_is_not_a_digit():
    """The edge of something outside the frame shows as a thin dark stroke along its side."""
    img, truth, _ = digits_image((2, 5, 5), size=(480, 360))
    img[0:70, 474:480] = 60  # a dark sliver running off the right side, as tall as a digit
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [3]


def test_a_stroke_wider_than_three_digits_is_not_a_digit():
    """Show-through or a shadow edge: one long wavy stroke under the row, as tall as half a digit."""
    import cv2

    img, truth, _ = digits_image((7, 4, 1), size=(480, 360))
    xs = np.arange(20, 460)
    pts = np.column_stack([xs, 200 + 25 * np.sin(xs / 25.0)]).astype(np.int32)
    cv2.polylines(img, [pts], False, 90, 3)
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [3]


def test_a_piece_of_a_printed_rule_is_not_a_one():
    """A grid line's broken piece: straighter and longer than any 1 on the page."""
    img, truth, _ = digits_image((0, 1, 2), rows=2, size=(480, 360))
    img[60:200, 315:318] = 120  # vertical, 3 px wide, 1.7 digits tall, right of the rows
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [3, 3]


def test_a_page_of_many_digits_is_read_not_dropped():
    """A form with 224 digits (more than the old cut-off of 200 candidates) keeps them all."""
    img, truth, _ = digits_image(tuple(range(10)) + tuple(range(6)), rows=14, size=(1640, 1560))
    seg = segment(img)
    assert len(seg.digits) == 16 * 14 and [len(r) for r in seg.rows] == [16] * 14


def test_a_low_piece_does_not_break_its_row_in_two():
    """Rows are chained left to right; a piece written low (a fragment, a descender) must not split the line."""
    boxes = [(0, 100, 40, 100), (100, 100, 40, 100), (150, 170, 30, 60), (200, 90, 40, 75), (300, 100, 40, 100)]
    assert reading_order(boxes) == [[0, 1, 2, 3, 4]]
    two_lines = [(0, 100, 40, 100), (100, 100, 40, 100), (0, 260, 40, 100), (100, 260, 40, 100)]
    assert reading_order(two_lines) == [[0, 1], [2, 3]]


def test_a_digit_in_pieces_over_each_other_stays_in_its_line():
    """A faint 5 in three pieces (two above its bowl) must not start a line of its own."""
    boxes = [(0, 105, 40, 100), (100, 100, 40, 100), (200, 95, 40, 100), (300, 100, 40, 100),
             (395, 150, 55, 60), (402, 100, 10, 50), (414, 100, 30, 50), (500, 100, 40, 100), (600, 100, 40, 100)]
    assert len(reading_order(boxes)) == 1


def test_an_object_in_the_image_corner_is_not_a_digit():
    """The corner of a book or another sheet poking into the frame's corner, beside a row of writing."""
    import cv2

    img, truth, _ = digits_image((6, 0, 8), size=(480, 360))
    cv2.polylines(img, [np.int32([[400, 0], [479, 90]])], False, 70, 6)  # an edge running out of the top-right corner
    cv2.line(img, (430, 0), (479, 50), 70, 4)
    seg = segment(img)
    assert [len(r) for r in seg.rows] == [3]


def test_a_tall_digit_reaching_into_the_next_row_does_not_take_its_digits():
    """A digit of the next row right of a tall digit that reaches down into it overlaps both rows' last digits
    wholly; it continues the row whose last digit spans its height alike (bench photo 5067 moved a 9 up a row)."""
    boxes = [(0, 0, 30, 50), (40, 0, 30, 50), (80, 0, 30, 130),   # row 1, its last digit tall
             (0, 75, 30, 50), (40, 75, 30, 50), (120, 78, 30, 45)]  # row 2, its last digit right of the tall one
    assert reading_order(boxes) == [[0, 1, 2], [3, 4, 5]]


def _five_with_its_cap_apart(touching: bool):
    """A '1' and a two-stroke 5 whose cap, written apart, sits on the body's top and runs on to the right, past what
    the other rules let a digit be: a wide 5 with a long cap, or (``touching``) a narrow 5 touched by a 2's foot,
    its cap barely over the pair."""
    import cv2

    img = np.full((360, 640), 235, np.uint8)
    cv2.line(img, (60, 120), (62, 240), 40, 7)                                             # 1
    if touching:
        cv2.polylines(img, [np.int32([[100, 140], [120, 125], [140, 135], [140, 165], [100, 240], [175, 232]])],
                      False, 40, 7)                                                       # 2, its foot into the 5
        body = [[205, 125], [195, 180], [215, 174], [232, 190], [234, 220], [215, 240], [170, 236]]
        cap = [(225, 118), (300, 106)]
    else:
        body = [[190, 125], [175, 180], [210, 172], [240, 190], [242, 220], [215, 240], [130, 235]]
        cap = [(200, 118), (325, 106)]
    cv2.polylines(img, [np.int32(body)], False, 40, 7)                                   # the 5's stem and bowl
    cv2.line(img, *cap, 40, 7)                                                            # its cap, apart
    return img, cap[1][0]


@pytest.mark.parametrize("touching", [False, True])
def test_a_five_with_its_cap_written_apart_is_one_digit(touching):
    """The cap of a two-stroke 5 is part of it, though wide of the stem; also when the 5 touches the digit before it
    (bench photo 3068, real_10). Before, the cap was dropped as a dash and the bowl read as a 2 or a 1."""
    img, cap_end = _five_with_its_cap_apart(touching)
    seg = segment(img)
    right = max(d.box[0] + d.box[2] for d in seg.digits)
    assert right >= cap_end, [d.box for d in seg.digits]
    assert len(seg.digits) == 2


def test_what_makes_a_cap():
    """A thick marker's cap may hold over half its body's ink (bench photo 9131: read '521' for '51'); a dash beside a
    digit's middle, or a flat piece over its left half, is no cap."""
    from edgecnn.segment.components import _cap

    body = [60, 351, 118, 424, 1853]
    assert _cap([114, 336, 175, 359, 1034], body, 70.0)      # 9131's cap and body
    assert not _cap([114, 380, 175, 400, 600], body, 70.0)   # a dash at mid-height
    assert not _cap([62, 336, 120, 359, 600], body, 70.0)    # over the left half: a 7's bar, an underline above


def test_otsu_splits_paper_from_ink_and_says_how_well():
    from edgecnn.segment.gray import otsu

    two = np.zeros(256)
    two[10], two[200] = 700, 300                       # paper and ink: the split explains all the variance
    level, upper, explained = otsu(two)
    assert 10 <= level < 200 and upper == pytest.approx(0.3) and explained == pytest.approx(1.0)
    flat = np.ones(256)                                  # uniform noise: 0.75
    assert otsu(flat)[2] == pytest.approx(0.75, abs=0.01)
    one = np.zeros(256)
    one[128] = 50                                        # one level: nothing to split
    assert otsu(one)[2] == 0.0
