"""The evaluation figure: a one-epoch run still draws its curves; the title names the run, not model.keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgecnn.tooling.evaluate import ModelSource, score
from edgecnn.tooling.plots import PANEL, TITLE, evaluation_figure, figure_size


@pytest.fixture
def evaluation():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 200)
    probs = np.eye(10, dtype=np.float32)[np.where(rng.random(200) < 0.9, labels, (labels + 1) % 10)]
    return score(probs, labels, top=36)


@pytest.mark.parametrize("epochs", [1, 5])
def test_curves_panel_is_drawn(evaluation, epochs):
    history = [{"epoch": e + 1, "accuracy": 0.5 + e / 20, "val_accuracy": 0.55 + e / 20, "loss": 1 - e / 10,
                "val_loss": 0.9 - e / 10} for e in range(epochs)]
    img = evaluation_figure(evaluation, np.zeros((200, 28, 28), np.uint8), history, "runs/x: accuracy")
    assert (img.shape[1], img.shape[0]) == figure_size(curves=True)
    curves = img[TITLE:, 2 * PANEL:]
    coloured = (np.abs(curves.astype(int) - curves.mean(axis=2, keepdims=True)) > 40).any(axis=2)
    assert coloured.sum() > 30  # the train/validation points or lines, in colour


def test_title_names_the_run():
    from edgecnn.cli.evaluate import _name

    assert _name(ModelSource("keras", Path("runs/edge-s2d/model.keras"), Path("runs/edge-s2d"))) == "runs/edge-s2d"
    assert _name(ModelSource("onnx", Path("runs/edge-s2d/model.int8.onnx"))) == "edge-s2d/model.int8.onnx"
    assert _name(ModelSource("onnx", Path("edgecnn/models/edge.int8.onnx"))) == "edge.int8.onnx"


def test_without_matplotlib_opencv_draws_the_same_size(evaluation, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    img = evaluation_figure(evaluation, np.zeros((200, 28, 28), np.uint8), None)
    assert (img.shape[1], img.shape[0]) == figure_size(curves=False)
