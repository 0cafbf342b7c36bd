"""Helpers for the webcam tests: a model to read with, and a generated video with its ground truth."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# A sheet that the bundled model and the fallback MLP both read: the fallback only has ~95 %
# MNIST accuracy, so not every generated sheet is within its reach.
VIDEO_SEED = 11


def mlp_onnx(path: Path, train_images: np.ndarray, train_labels: np.ndarray, n: int = 30000, epochs: int = 5,
             hidden: int = 200, seed: int = 0) -> Path:
    """A 784→hidden→10 MLP trained in numpy (a few seconds, ~95 % on MNIST) and written with the onnx helper.

    Test-time only (the runtime never imports onnx); used when there is no bundled model yet.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    x = train_images[:n].reshape(n, -1).astype(np.float32) / 255.0
    y = train_labels[:n].astype(np.int64)
    w1 = rng.normal(0, np.sqrt(2 / 784), (784, hidden)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.normal(0, np.sqrt(2 / hidden), (hidden, 10)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    lr, bs = 0.1, 100
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, bs):
            idx = order[i: i + bs]
            xb, yb = x[idx], y[idx]
            h = np.maximum(xb @ w1 + b1, 0)
            z = h @ w2 + b2
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            g = p / len(yb)
            gh = (g @ w2.T) * (h > 0)
            w2 -= lr * h.T @ g
            b2 -= lr * g.sum(0)
            w1 -= lr * xb.T @ gh
            b1 -= lr * gh.sum(0)
    init = [numpy_helper.from_array(a, name) for a, name in
            ((w1, "W1"), (b1, "B1"), (w2, "W2"), (b2, "B2"), (np.array([-1, 784], np.int64), "shape"))]
    nodes = [helper.make_node("Reshape", ["image", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "W1"], ["h0"]), helper.make_node("Add", ["h0", "B1"], ["h1"]),
             helper.make_node("Relu", ["h1"], ["h"]),
             helper.make_node("MatMul", ["h", "W2"], ["z0"]), helper.make_node("Add", ["z0", "B2"], ["z"]),
             helper.make_node("Softmax", ["z"], ["probabilities"], axis=1)]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28, 1])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    for k, v in {"edgecnn.version": "test", "edgecnn.arch": "mlp", "edgecnn.precision": "fp32"}.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def reading_model(folder: Path) -> Path:
    """The bundled int8 model when it is there, else a freshly trained MLP (in a one-thread BLAS subprocess:
    OpenBLAS's threads crawl on a busy shared machine)."""
    import os
    import subprocess
    import sys

    from edgecnn.models import DEFAULT_INT8

    if DEFAULT_INT8.is_file():
        return DEFAULT_INT8
    out = folder / "mlp.onnx"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([sys.executable, __file__, str(out)], env=env, check=True, timeout=300)
    return out


def make_video(path: Path, seed: int = VIDEO_SEED, count: int = 90) -> dict:
    """The test video (a generated hand-held camera film of 2×3 digits) and its ground truth."""
    from edgecnn.tooling.synth_video import write_video

    return write_video(path, seed=seed, count=count)


if __name__ == "__main__":
    from edgecnn.tooling.mnist import load_split

    train = load_split("train")
    mlp_onnx(Path(sys.argv[1]), train.images, train.labels)
