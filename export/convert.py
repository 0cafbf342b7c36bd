"""Keras → ONNX: load a ``.keras`` file safely, convert it with tf2onnx, and leave a lean, checked graph.

The graph has one input ``image`` (float32 ``[batch, 28, 28, 1]``, NHWC, values in [0, 1]) and
one output ``probabilities`` (``[batch, 10]``). It is converted in inference mode (no Dropout,
no augmentation; BatchNorm folded into the convolutions), simplified with onnxsim (constant
folding removes Shape/Gather/Concat chains of static flattens), and checked with
``onnx.checker`` (full check).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from edgecnn.errors import EdgeCNNError

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
BATCH = "batch"
DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 13, 18  # tf2onnx 1.17 writes up to 18; int8 per-channel QDQ needs ≥ 13


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python logging and tf2onnx's chatter (all go to stderr anyway)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "tf2onnx", "absl", "onnxruntime"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_keras(path: str | os.PathLike):
    """Load a ``.keras`` model in Keras' safe mode; anything that is not a model → one clear error."""
    path = Path(path)
    if not path.is_file():
        raise EdgeCNNError(f"{path}: no such model file")
    quiet_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # zip/h5/config/deserialization errors all mean "not a usable model"
        detail = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise EdgeCNNError(f"{path}: not a loadable Keras model ({detail})") from None
    if not isinstance(model, keras.Model):
        raise EdgeCNNError(f"{path}: not a Keras model")
    shape = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else None
    if shape != (28, 28, 1) or tuple(model.output_shape[1:]) != (10,):
        raise EdgeCNNError(f"{path}: expected a 28×28×1 → 10 classes model, got {shape} → {tuple(model.output_shape[1:])}")
    return model


def to_onnx(model, opset: int = DEFAULT_OPSET):
    """Convert a Keras model to a simplified, checked ``onnx.ModelProto`` (not yet saved)."""
    quiet_tensorflow()
    import onnx
    import onnxsim
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, 28, 28, 1), tf.float32, name=INPUT_NAME),)
    infer = tf.function(lambda x: model(x, training=False))
    try:
        proto, _ = tf2onnx.convert.from_function(infer, input_signature=spec, opset=opset)
    except Exception as e:
        raise EdgeCNNError(f"tf2onnx could not convert the model at opset {opset}: {str(e).strip()[:200]}") from None
    _name_io(proto)
    simplified, ok = onnxsim.simplify(proto)
    if not ok:
        raise EdgeCNNError("onnxsim could not validate the simplified graph")
    _name_io(simplified)  # simplification keeps names; re-assert the symbolic batch dimension
    simplified.producer_name, simplified.producer_version = "edgecnn", _version()
    simplified.doc_string = "edgecnn digit classifier: image [batch,28,28,1] in [0,1] → probabilities [batch,10]"
    onnx.checker.check_model(simplified, full_check=True)
    return simplified


def _name_io(proto) -> None:
    """Name the single input ``image`` and output ``probabilities``; call the batch dimension ``batch``."""
    graph = proto.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise EdgeCNNError(f"expected one input and one output, got {len(graph.input)} and {len(graph.output)}")
    rename = {graph.input[0].name: INPUT_NAME, graph.output[0].name: OUTPUT_NAME}
    for node in graph.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    for value in (graph.input[0], graph.output[0]):
        value.name = rename[value.name]
        value.type.tensor_type.shape.dim[0].dim_param = BATCH
    # intermediate shapes still name tf2onnx's unk__N batch; drop them, onnxsim/ORT re-infer
    del graph.value_info[:]


def _version() -> str:
    from edgecnn import __version__

    return __version__
