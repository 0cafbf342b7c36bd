"""Helpers for the runtime tests: a tiny ONNX classifier and generated images (no real model, no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_onnx(path: Path, metadata: bool = True, shape=("batch", 28, 28, 1), classes: int = 10) -> Path:
    """A one-layer softmax classifier written with the onnx helper (test-time only; the runtime never imports onnx)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(0, 0.05, (784, classes)).astype(np.float32), "W")
    s = numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")
    nodes = [helper.make_node("Reshape", ["image", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "W"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("image", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])], [w, s])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if metadata:
        for k, v in {"edgecnn.version": "test", "edgecnn.arch": "tiny", "edgecnn.precision": "fp32"}.items():
            model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def digits_image(labels=(3, 1, 4), rows: int = 1, seed: int = 0, size=(480, 360)):
    """A clean page with MNIST test digits (dark on light) in known places: (image, truth rows, boxes)."""
    import cv2

    from edgecnn.tooling.synth import mnist_test

    images, ys = mnist_test()
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.full((h, w), 235, np.uint8)
    truth, boxes = [], []
    for r in range(rows):
        text = ""
        for c, want in enumerate(labels):
            k = int(rng.choice(np.flatnonzero(ys == want)[:50]))
            d = cv2.resize(images[k], (84, 84), interpolation=cv2.INTER_CUBIC)
            x0, y0 = 30 + c * 100, 30 + r * 110
            img[y0: y0 + 84, x0: x0 + 84] = np.minimum(img[y0: y0 + 84, x0: x0 + 84], 255 - d)
            yy, xx = np.nonzero(d > 80)
            boxes.append((x0 + xx.min(), y0 + yy.min(), xx.max() - xx.min() + 1, yy.max() - yy.min() + 1))
            text += str(want)
        truth.append(text)
    return img, truth, boxes
