"""`edgecnn evaluate` on a tiny generated IDX set whose accuracy is known exactly; the PNG plot."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from runtime_helpers import tiny_onnx

pytest.importorskip("onnx")  # only to write the test model

N, FLIPPED = 60, 7


@pytest.fixture(scope="module")
def known_set(tmp_path_factory):
    """A tiny ONNX model and an IDX test set labelled with its own predictions, FLIPPED labels changed."""
    from edgecnn.tooling.mnist import write_idx
    from edgecnn.onnxmodel import OnnxModel

    d = tmp_path_factory.mktemp("known")
    model = tiny_onnx(d / "tiny.onnx")
    images = np.random.default_rng(1).integers(0, 256, (N, 28, 28), dtype=np.uint8)
    pred = OnnxModel(model).predict(images.astype(np.float32)[..., None] / 255).argmax(1)
    labels = pred.copy()
    labels[:FLIPPED] = (labels[:FLIPPED] + 1) % 10
    write_idx(d / "data" / "t10k-images-idx3-ubyte.gz", images)
    write_idx(d / "data" / "t10k-labels-idx1-ubyte.gz", labels)
    return model, d / "data", pred, labels


def invoke(*args):
    from edgecnn.cli import app

    return CliRunner().invoke(app, list(map(str, args)))


def test_accuracy_is_exact(known_set, tmp_path):
    model, data, pred, labels = known_set
    r = invoke("evaluate", model, "--data", data, "--json", "--plot", tmp_path / "eval.png")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["count"] == N and out["correct"] == N - FLIPPED
    assert out["accuracy"] == pytest.approx((N - FLIPPED) / N)
    cm = np.array(out["confusion"])
    assert cm.sum() == N and np.trace(cm) == N - FLIPPED
    assert sum(c["count"] for c in out["per_class"]) == N
    assert len(out["mistakes"]) == FLIPPED
    assert all(m["index"] < FLIPPED and m["pred"] == pred[m["index"]] for m in out["mistakes"])
    conf = [m["confidence"] for m in out["mistakes"]]
    assert conf == sorted(conf, reverse=True)


def test_plot_is_png_of_expected_size(known_set, tmp_path):
    from edgecnn.tooling.plots import figure_size

    model, data, _, _ = known_set
    png = tmp_path / "eval.png"
    r = invoke("evaluate", model, "--data", data, "--plot", png)
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imread(str(png))
    assert (img.shape[1], img.shape[0]) == figure_size(curves=False)


def test_plot_with_training_curves():
    from edgecnn.tooling.evaluate import score
    from edgecnn.tooling.plots import evaluation_figure, figure_size

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), 50).astype(np.float32)
    ev = score(probs, rng.integers(0, 10, 50), top=36)
    history = [{"epoch": i + 1, "accuracy": 0.9 + i / 100, "loss": 0.3 - i / 50, "val_accuracy": 0.95, "val_loss": 0.2}
               for i in range(5)]
    img = evaluation_figure(ev, rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), history)
    assert (img.shape[1], img.shape[0]) == figure_size(curves=True) and img.dtype == np.uint8


def test_score_by_hand():
    from edgecnn.tooling.evaluate import score

    probs = np.eye(10, dtype=np.float32)[[0, 1, 2, 2]]
    ev = score(probs, np.array([0, 1, 2, 3]))
    assert ev.accuracy == 0.75 and ev.confusion[3, 2] == 1
    assert ev.per_class[3]["accuracy"] == 0.0 and ev.per_class[4]["accuracy"] is None
    assert [m.index for m in ev.mistakes] == [3]


@pytest.mark.parametrize("args, code, words", [
    (["evaluate", "/nonexistent/m.onnx"], 1, "no such model"),
    (["evaluate", "{model}", "--data", "/nonexistent/d"], 1, "--data"),
    (["evaluate", "{model}", "--plot", "x.txt"], 2, ".png"),
    (["evaluate", "{notonnx}"], 1, "not a usable ONNX"),
])
def test_bad_input_one_line(known_set, tmp_path, args, code, words):
    model, _, _, _ = known_set
    junk = tmp_path / "junk.onnx"
    junk.write_text("not a model")
    r = invoke(*[a.format(model=model, notonnx=junk) for a in args])
    assert r.exit_code == code, r.output
    assert words in r.output and "Traceback" not in r.output


def test_look_again_scores_as_the_reader_reads(mnist_npz):
    """--look-again changes exactly the readings under the reader's UNSURE, each to the mean over its moved views."""
    from edgecnn import lookagain
    from edgecnn.models import DEFAULT_INT8
    from edgecnn.onnxmodel import OnnxModel
    from edgecnn.tooling import evaluate as ev
    from edgecnn.tooling.mnist import load_split, to_input

    if not DEFAULT_INT8.is_file():
        pytest.skip("no bundled model")
    split = load_split("test", mnist_npz(0, 600))
    source = ev.resolve(DEFAULT_INT8)
    plain, again = ev.predict(source, split.images), ev.predict(source, split.images, look_again=True)
    unsure = plain.max(axis=1) < lookagain.UNSURE
    assert unsure.any() and np.array_equal(plain[~unsure], again[~unsure])
    model, x = OnnxModel(DEFAULT_INT8), to_input(split.images[unsure])
    views = np.stack([v for crop in x[..., 0] for v in lookagain.views(crop)])[..., None]
    np.testing.assert_allclose(again[unsure], model.predict(views).reshape(len(x), -1, 10).mean(axis=1), atol=1e-6)
    r = invoke("evaluate", "--data", mnist_npz(0, 600), "--look-again", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["look_again"] is True and out["correct"] == int((again.argmax(1) == split.labels).sum())
