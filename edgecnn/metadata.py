"""The ``metadata_props`` keys an edgecnn ONNX file carries, and how they are read back.

Every value is a string (ONNX's rule); structured values are JSON. The exporter writes
them with :func:`encode`, the runtime reads them with :func:`decode`, which falls back to
the defaults below (and says so) for a foreign model.

=========================  ==========================================================
key                        value
=========================  ==========================================================
edgecnn.version            edgecnn version that exported the file
edgecnn.arch               architecture name (``edge``, ``conv2`` ...)
edgecnn.input              JSON: name, layout NHWC, shape [batch,28,28,1], dtype, range [0,1]
edgecnn.normalization      JSON: how a digit crop must be prepared (ink bright on dark,
                           longest side 20 px keeping aspect, area interpolation, centred
                           by mass in 28×28)
edgecnn.labels             JSON list of the 10 class labels ``"0"`` … ``"9"``
edgecnn.test_accuracy      MNIST test accuracy of *this file* (0..1)
edgecnn.precision          ``fp32`` or ``int8``
edgecnn.quantization       JSON: quantization settings (format, calibration method/size...) or ``null``
edgecnn.training           JSON: training config summary (epochs, batch, augment, seed...)
edgecnn.source_sha256      SHA-256 of the ``.keras`` file it was converted from
edgecnn.exported_at        ISO-8601 UTC export time
edgecnn.opset              ONNX opset
edgecnn.tools              JSON: versions of tensorflow, keras, tf2onnx, onnx, onnxruntime
=========================  ==========================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

PREFIX = "edgecnn."
LABELS = [str(d) for d in range(10)]
INPUT = {"name": "image", "layout": "NHWC", "shape": ["batch", 28, 28, 1], "dtype": "float32", "range": [0.0, 1.0]}
NORMALIZATION = {
    "ink": "bright_on_dark",
    "box": 20,
    "size": 28,
    "keep_aspect": True,
    "interpolation": "area",
    "center": "mass",
}
JSON_KEYS = {"input", "normalization", "labels", "quantization", "training", "tools"}
MAX_LABEL = 16  # characters in one class label
MAX_TEXT = 64   # characters of arch / precision shown to the user


class MetadataError(ValueError):
    """Metadata that must not be used (labels that would forge output lines or terminal escapes)."""


def encode(values: dict) -> dict[str, str]:
    """``{'arch': 'edge', 'labels': [...]}`` → ``{'edgecnn.arch': 'edge', 'edgecnn.labels': '[...]'}``."""
    out = {}
    for key, value in values.items():
        text = json.dumps(value) if (key in JSON_KEYS or not isinstance(value, str)) else value
        out[PREFIX + key] = text
    return out


@dataclass
class ModelInfo:
    """What the runtime needs to know about a model, with defaults for foreign files."""

    arch: str = "unknown"
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    precision: str = "unknown"
    test_accuracy: float | None = None
    normalization: dict = field(default_factory=lambda: dict(NORMALIZATION))
    input: dict = field(default_factory=lambda: dict(INPUT))
    raw: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def is_edgecnn(self) -> bool:
        return PREFIX + "version" in self.raw


def decode(props: dict[str, str]) -> ModelInfo:
    """Read the edgecnn keys out of a model's metadata map (missing keys → defaults, listed in ``missing``)."""
    info = ModelInfo(raw=dict(props))

    def get(key, default=None):
        text = props.get(PREFIX + key)
        if text is None:
            info.missing.append(key)
            return default
        if key in JSON_KEYS or key == "test_accuracy":
            try:
                return json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
                info.missing.append(key)
                return default
        return text

    info.arch = _shown(get("arch", info.arch))
    labels = get("labels", info.labels)
    if isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels):
        check_labels(labels)
        info.labels = labels
    info.precision = _shown(get("precision", info.precision))
    acc = get("test_accuracy")
    info.test_accuracy = float(acc) if isinstance(acc, (int, float)) and 0 <= acc <= 1 else None  # never NaN
    norm = get("normalization")
    if isinstance(norm, dict):
        info.normalization = {**NORMALIZATION, **norm}
    inp = get("input")
    if isinstance(inp, dict):
        info.input = {**INPUT, **inp}
    return info


def check_labels(labels: list[str]) -> None:
    """Labels are printed as they are: each must be 1..MAX_LABEL printable characters (no newline, no escape
    sequence, no bidi control), or a crafted model could forge output lines and terminal commands."""
    for i, label in enumerate(labels):
        if not label or len(label) > MAX_LABEL or not label.isprintable() or label != label.strip():
            shown = repr(label[:MAX_LABEL]) + ("…" if len(label) > MAX_LABEL else "")
            raise MetadataError(f"label {i} in its metadata is {shown}; labels must be 1 to {MAX_LABEL} printable "
                                "characters without control characters or surrounding spaces")


def _shown(text) -> str:
    """A metadata string that is printed: escaped when it holds control characters, and cut short."""
    text = str(text)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text[:MAX_TEXT]
