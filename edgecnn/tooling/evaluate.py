"""Evaluate a digit classifier on a labelled set: accuracy, per-class accuracy, confusion, worst mistakes.

Two steps kept apart: :func:`predict` runs a model (an ONNX file through
:class:`~edgecnn.onnxmodel.OnnxModel`, or a ``.keras`` file / run directory through Keras,
which is imported only then) and :func:`score` turns probabilities and labels into an
:class:`Evaluation`. Neither prints nor writes files.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EdgeCNNError
from ..rundir import RunDir
from .mnist import to_input

BATCH = 256
CLASSES = 10


@dataclass
class ModelSource:
    """What a MODEL argument points at."""

    kind: str                 # "onnx" or "keras"
    path: Path                # the .onnx or .keras file
    run_dir: Path | None = None

    @property
    def history(self) -> Path | None:
        """The run directory's ``history.json`` (training curves), if there is one."""
        h = RunDir(self.run_dir).history if self.run_dir else None
        return h if h is not None and h.is_file() else None


@dataclass
class Mistake:
    index: int         # position in the evaluated set
    true: int
    pred: int
    confidence: float  # the model's probability for ``pred``

    def to_dict(self) -> dict:
        return {"index": self.index, "true": self.true, "pred": self.pred, "confidence": round(self.confidence, 4)}


@dataclass
class Evaluation:
    count: int
    correct: int
    per_class: list[dict]          # [{"label", "count", "correct", "accuracy"}], one per class
    confusion: np.ndarray          # CLASSES×CLASSES int, rows = true, columns = predicted
    mistakes: list[Mistake]        # most confident first
    predictions: np.ndarray = field(repr=False, default=None)

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else 0.0

    def to_dict(self) -> dict:
        return {"count": self.count, "correct": self.correct, "accuracy": self.accuracy,
                "per_class": self.per_class, "confusion": self.confusion.tolist(),
                "mistakes": [m.to_dict() for m in self.mistakes]}


def resolve(model: str | os.PathLike) -> ModelSource:
    """MODEL → an ONNX file, a ``.keras`` file, or a run directory (its ``model.keras``)."""
    path = Path(model)
    if path.is_dir():
        return ModelSource("keras", RunDir(path).trained_model(), path)
    if not path.exists():
        raise EdgeCNNError(f"{path}: no such model file or run directory")
    if path.suffix == ".keras":
        return ModelSource("keras", path)
    return ModelSource("onnx", path)  # OnnxModel checks the content and says what is wrong


def predict(source: ModelSource, images: np.ndarray, threads: int = 1, batch: int = BATCH, device: str = "cpu",
            look_again: bool = False) -> np.ndarray:
    """Class probabilities (N×10 float32) for uint8 N×28×28 images, in batches of ``batch`` (``device``: ONNX only).

    ``look_again``: as :class:`~edgecnn.DigitReader` reads, unsure readings read again moved a little and averaged
    (:mod:`edgecnn.lookagain`)."""
    if source.kind == "onnx":
        from ..onnxmodel import OnnxModel

        run = OnnxModel(source.path, threads=threads, device=device).predict
    else:
        from edgecnn.export.convert import load_keras, quiet_tensorflow

        quiet_tensorflow()
        keras_model = load_keras(source.path)

        def run(x):
            return np.asarray(keras_model(x, training=False), np.float32)

    if look_again:
        from ..lookagain import look_again as again

        plain = run

        def run(x):
            return again(x[..., 0], plain(x), plain)

    parts = [run(to_input(images[i:i + batch])) for i in range(0, len(images), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, CLASSES), np.float32)


def score(probabilities: np.ndarray, labels: np.ndarray, top: int = 10) -> Evaluation:
    """Accuracy, per-class accuracy, confusion matrix and the ``top`` most confident mistakes."""
    probabilities = np.asarray(probabilities, np.float32)
    labels = np.asarray(labels).astype(np.int64)
    if probabilities.shape != (len(labels), CLASSES):
        raise EdgeCNNError(f"expected {len(labels)}×{CLASSES} probabilities, got {probabilities.shape}")
    pred = probabilities.argmax(axis=1) if len(labels) else np.zeros(0, np.int64)
    confusion = np.zeros((CLASSES, CLASSES), np.int64)
    np.add.at(confusion, (labels, pred), 1)
    per_class = []
    for c in range(CLASSES):
        n, ok = int(confusion[c].sum()), int(confusion[c, c])
        per_class.append({"label": c, "count": n, "correct": ok, "accuracy": ok / n if n else None})
    wrong = np.flatnonzero(pred != labels)
    conf = probabilities[wrong, pred[wrong]] if len(wrong) else np.zeros(0, np.float32)
    order = wrong[np.argsort(-conf, kind="stable")][:top]
    mistakes = [Mistake(int(i), int(labels[i]), int(pred[i]), float(probabilities[i, pred[i]])) for i in order]
    return Evaluation(len(labels), int((pred == labels).sum()), per_class, confusion, mistakes, pred)


def load_history(path: Path | None) -> list[dict]:
    """A run's ``history.json`` (list of per-epoch dicts); [] when absent or unreadable."""
    import json

    if path is None:
        return []
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, ValueError, RecursionError):
        return []
    if not isinstance(value, list):
        return []

    def plottable(v) -> bool:  # NaN, Infinity, 1e999 or text would break the curves ('unexpected ValueError')
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) < 1e9

    return [{k: v for k, v in e.items() if plottable(v)} for e in value if isinstance(e, dict)]
