"""Training augmentation: handwriting styles MNIST lacks, added to the right digits only."""

from __future__ import annotations

import cv2
import numpy as np

from edgecnn.tooling.synth import mnist_test
from edgecnn.train.augment import add_style, augment_batch


def _up(label: int, k: int = 0) -> np.ndarray:
    images, ys = mnist_test()
    return cv2.resize(images[np.flatnonzero(ys == label)[k]].astype(np.float32) / 255, (56, 56))


def test_a_seven_gets_a_bar_across_its_stem():
    seven = _up(7)
    crossed = add_style(seven, 7, np.random.default_rng(0))
    added = (crossed > 0.5) & ~(seven > 0.5)
    ys, xs = np.nonzero(seven > 0.5)
    top, h = ys.min(), ys.max() - ys.min()
    rows = np.flatnonzero(added.any(axis=1))
    assert rows.size and top + 0.35 * h <= rows.mean() <= top + 0.75 * h  # at mid-height
    assert np.ptp(np.flatnonzero(added.any(axis=0))) >= 0.25 * h          # across, not a dot


def test_a_one_gets_a_flag_from_its_top():
    one = _up(1)
    flagged = add_style(one, 1, np.random.default_rng(1))
    added = (flagged > 0.5) & ~(one > 0.5)
    ys, xs = np.nonzero(one > 0.5)
    assert added.sum() > 10
    ay, ax = np.nonzero(added)
    assert ay.min() <= ys.min() + 3 and ax.min() < xs.min()  # starts at the top, reaches left of the stem


def test_some_crossed_sevens_get_a_foot_like_a_z():
    seven = _up(7)
    ys, xs = np.nonzero(seven > 0.5)
    bottom, h = ys.max(), ys.max() - ys.min()
    feet = 0
    for seed in range(20):
        added = (add_style(seven, 7, np.random.default_rng(seed)) > 0.5) & ~(seven > 0.5)
        low = added[bottom - 3:]
        feet += bool(low.any() and np.ptp(np.flatnonzero(low.any(axis=0))) >= 0.2 * h)  # a stroke along the base
    assert 3 <= feet <= 14  # some, not all


def test_a_nine_gets_a_small_head_on_a_long_stem():
    nine = _up(9)
    small = add_style(nine, 9, np.random.default_rng(0))

    def extent(img):
        ys, xs = np.nonzero(img > 0.5)
        head = ys < ys.min() + 0.3 * (ys.max() - ys.min())
        return ys.min(), ys.max(), np.ptp(xs[head])

    (t0, b0, w0), (t1, b1, w1) = extent(nine), extent(small)
    assert abs(t1 - t0) <= 2 and abs(b1 - b0) <= 2  # the same height
    assert w1 <= 0.85 * w0                          # a narrower head


def test_other_digits_and_unlabelled_batches_are_unchanged():
    three = _up(3)
    assert np.array_equal(add_style(three, 3, np.random.default_rng(0)), three)
    images, ys = mnist_test()
    a = augment_batch(images[:16], np.random.default_rng(5))
    b = augment_batch(images[:16], np.random.default_rng(5))
    assert np.array_equal(a, b)  # deterministic
    styled = augment_batch(images[:64], np.random.default_rng(5), labels=ys[:64], style_rng=np.random.default_rng(6))
    plain = augment_batch(images[:64], np.random.default_rng(5))
    assert styled.shape == (64, 28, 28, 1) and 0 <= styled.min() and styled.max() <= 1
    same = [i for i in range(64) if ys[i] not in (1, 7, 9)]
    assert np.array_equal(styled[same], plain[same])  # other digits: the very same augmentation
    assert not np.array_equal(styled, plain)          # some 7s and 1s were restyled


def test_training_batches_add_styles_only_when_asked():
    """Styles are opt-in (`edgecnn train --styles`); stroke matching draws from a stream of its own."""
    from edgecnn.train.data import MnistBatches

    images, ys = mnist_test()
    plain = MnistBatches(images[:256], ys[:256], 128, seed=0, augment=True)
    styled = MnistBatches(images[:256], ys[:256], 128, seed=0, augment=True, styles=True)
    x0, y0 = plain[0]
    idx = plain.order[:128]
    # the default (stroke_match 0) draws stroke matching from its own stream and never applies it: the batches of the
    # runs before it
    assert np.array_equal(x0, augment_batch(images[idx], np.random.default_rng([0, 3, 0, 0])))
    matched, _ = MnistBatches(images[:256], ys[:256], 128, seed=0, augment=True, stroke_match=0.6)[0]
    assert np.array_equal(matched, augment_batch(images[idx], np.random.default_rng([0, 3, 0, 0]),
                                                 match_rng=np.random.default_rng([0, 5, 0, 0]), match_p=0.6))
    assert not np.array_equal(matched, x0)
    x1, _ = styled[0]
    others = ~np.isin(y0, (1, 7, 9))
    assert np.array_equal(x1[others], x0[others]) and not np.array_equal(x1, x0)


def test_runtime_strokes_bring_any_pen_to_mnists_width():
    """Training sees the strokes the runtime shows the model: a hairline and a marker both come out near
    MNIST's width (the runtime's match_stroke target at its 56 px scale)."""
    import cv2

    from edgecnn.normalize import STROKE_TARGET, stroke_width
    from edgecnn.train.augment import runtime_strokes

    for width in (1, 12):
        img = np.zeros((56, 56), np.float32)
        cv2.line(img, (28, 6), (28, 50), 1.0, width)
        cv2.line(img, (16, 6), (40, 6), 1.0, width)  # a 7-ish shape
        before, after = stroke_width(cv2.copyMakeBorder(img, 8, 8, 8, 8, cv2.BORDER_CONSTANT)), stroke_width(runtime_strokes(img))
        assert abs(after - STROKE_TARGET) < abs(before - STROKE_TARGET), (width, before, after)
        assert 0.6 * STROKE_TARGET < after < 1.6 * STROKE_TARGET, (width, before, after)  # thinning stops short


def test_a_share_of_augmented_digits_get_runtime_strokes():
    images, _ = mnist_test()
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    plain = augment_batch(images[:64], rng_a, p=1.0)
    matched = augment_batch(images[:64], rng_b, p=1.0, match_rng=np.random.default_rng(2), match_p=0.6)
    changed = [not np.array_equal(a, b) for a, b in zip(plain, matched)]
    assert 0.4 < np.mean(changed) < 0.85  # 60% of them (a few already had MNIST's width)
