"""Checks the export targets run: Keras vs onnxruntime parity, test accuracy, and the int8 accuracy gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgecnn.errors import EdgeCNNError, SettingError

PARITY_IMAGES = 1000
PARITY_TOLERANCE = 1e-4
BATCH = 500


def session(model_bytes: bytes):
    """An onnxruntime CPU session for a serialized model."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def ort_probabilities(sess, x: np.ndarray) -> np.ndarray:
    """Run float32 N×28×28×1 through the session in batches → N×10."""
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + BATCH]})[0] for i in range(0, len(x), BATCH)])


def keras_probabilities(model, x: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(model(x[i:i + BATCH], training=False)) for i in range(0, len(x), BATCH)])


def parity(model, sess, x: np.ndarray, tolerance: float = PARITY_TOLERANCE) -> dict:
    """Compare Keras and onnxruntime on ``x``; raise unless max |Δp| ≤ tolerance and every argmax agrees."""
    expected, got = keras_probabilities(model, x), ort_probabilities(sess, x)
    diff = float(np.max(np.abs(expected - got)))
    disagree = int(np.sum(expected.argmax(1) != got.argmax(1)))
    if diff > tolerance or disagree:
        raise EdgeCNNError(f"the ONNX model does not match Keras on {len(x)} test images: "
                           f"max |Δp| = {diff:.2e} (limit {tolerance:.0e}), {disagree} different predictions")
    return {"images": len(x), "max_abs_diff": diff, "argmax_agreement": 1.0}


def accuracy(sess, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Test accuracy (0..1) and the predicted labels."""
    predicted = ort_probabilities(sess, x).argmax(1)
    return float(np.mean(predicted == labels)), predicted


@dataclass(frozen=True)
class Gate:
    """The int8 accuracy gate's verdict: a status, not an exception."""

    passed: bool
    drop_pp: float  # fp32 accuracy minus int8 accuracy, in percentage points
    problem: SettingError | None  # why it did not pass, in the words of the max_drop setting


def gate(fp32_accuracy: float, int8_accuracy: float, max_drop_pp: float) -> Gate:
    """Does int8 stay within ``max_drop_pp`` percentage points of fp32's test accuracy?"""
    drop = 100.0 * (fp32_accuracy - int8_accuracy)
    if drop > max_drop_pp + 1e-9:
        return Gate(False, drop, SettingError("max_drop", f"int8 accuracy {100 * int8_accuracy:.2f}% is {drop:.2f} pp below "
                                                          f"fp32 {100 * fp32_accuracy:.2f}% ({{setting}} {max_drop_pp:g})", exit_code=1))
    return Gate(True, drop, None)
