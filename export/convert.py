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

from edgecnn.errors import EdgeCNNError, first_line

from .config import DEFAULT_OPSET

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
BATCH = "batch"


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python logging and tf2onnx's chatter (all go to stderr anyway)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "tf2onnx", "absl", "onnxruntime"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_keras(path: str | os.PathLike):
    """Load a ``.keras`` model in Keras' safe mode; anything that is not a model → one clear error."""
    from edgecnn.fileio import check_regular, check_zip_sizes

    path = Path(path)
    check_regular(path, kind="a Keras model", missing="no such model file")  # a FIFO or device: refused unopened
    # before Keras inflates anything: a 4.9 MB file whose config.json inflates to 3.5 GB peaked at 8 GB
    check_zip_sizes(path, 512 * 2**20, {"config.json": 16 * 2**20, "metadata.json": 2**20})
    quiet_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # zip/h5/config/deserialization errors all mean "not a usable model"
        raise EdgeCNNError(f"{path}: not a loadable Keras model ({first_line(e)})") from None
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
    _fold_flatten_transpose(simplified)
    _short_names(simplified)
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


def _fold_flatten_transpose(proto) -> None:
    """Fold the NCHW→NHWC Transpose before a Keras Flatten into the next MatMul's weight rows.

    Keras flattens channels-last; the ONNX convolutions are channels-first, so tf2onnx keeps a
    Transpose → Reshape → MatMul. Permuting the constant weight rows once gives the same result
    without the per-image Transpose. (No off-the-shelf optimizer does this; parity checks it.)
    """
    import onnx
    from onnx import numpy_helper

    graph = proto.graph
    inferred = onnx.shape_inference.infer_shapes(proto).graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in inferred.value_info}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    weights = {t.name: t for t in graph.initializer}
    for transpose in [n for n in graph.node if n.op_type == "Transpose"]:
        perm = next((list(a.ints) for a in transpose.attribute if a.name == "perm"), None)
        after = consumers.get(transpose.output[0], [])
        if perm != [0, 2, 3, 1] or len(after) != 1 or after[0].op_type != "Reshape":
            continue
        reshape = after[0]
        matmuls = consumers.get(reshape.output[0], [])
        nchw = shapes.get(transpose.input[0], [])
        if (len(matmuls) != 1 or matmuls[0].op_type != "MatMul" or matmuls[0].input[1] not in weights
                or len(nchw) != 4 or 0 in nchw[1:]):
            continue
        _, c, h, w = nchw
        tensor = weights[matmuls[0].input[1]]
        weight = numpy_helper.to_array(tensor)
        if weight.shape[0] != c * h * w or len(consumers[tensor.name]) != 1:
            continue
        permuted = weight.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(weight.shape)
        tensor.CopyFrom(numpy_helper.from_array(permuted, tensor.name))
        reshape.input[0] = transpose.input[0]
        graph.node.remove(transpose)


def _short_names(proto) -> None:
    """Rename nodes, intermediate tensors and weights after their op (``Conv_1``, ``Conv_1.W``).

    tf2onnx's TensorFlow scope names are long and repeated through the graph (and through
    every Q/DQ pair after quantization); short names keep the files small and readable.
    """
    graph = proto.graph
    keep = {graph.input[0].name, graph.output[0].name}
    rename: dict[str, str] = {}
    initializers = {t.name for t in graph.initializer}
    roles = {"Conv": ("X", "W", "B"), "MatMul": ("A", "B"), "Gemm": ("A", "B", "C"), "Add": ("A", "B"),
             "Reshape": ("data", "shape")}
    for i, node in enumerate(graph.node):
        node.name = f"{node.op_type}_{i}"
        for j, name in enumerate(node.input):
            if name in initializers and name not in rename:
                role = roles.get(node.op_type, ())
                rename[name] = f"{node.name}.{role[j] if j < len(role) else j}"
        for j, name in enumerate(node.output):
            if name not in keep:
                rename[name] = node.name if j == 0 else f"{node.name}:{j}"
    for node in graph.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    for tensor in graph.initializer:
        tensor.name = rename.get(tensor.name, tensor.name)
    for value in graph.value_info:
        value.name = rename.get(value.name, value.name)


def _version() -> str:
    from edgecnn import __version__

    return __version__
