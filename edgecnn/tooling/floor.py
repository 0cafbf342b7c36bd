"""The compute floor: multiply-adds per image from an ONNX graph ÷ the measured single-core GEMM peak.

:func:`macs_per_image` counts the multiply-adds of Conv/Gemm/MatMul nodes; :func:`gemm_peak` times onnxruntime's
own GEMM kernels (MLAS) on an n×n×n product. The two one-node GEMM models it runs ship beside this module
(``gemm_fp32.onnx``: MatMul; ``gemm_int8.onnx``: MatMulInteger, uint8 × int8 → int32), so ``edgecnn bench`` measures
the floor on a runtime-only install, which has no ``onnx``. They are built with onnx's own protobuf
(:func:`gemm_model`, needs the ``[train]`` extra); ``tests/tooling/test_floor.py`` checks the shipped files against
it, and :func:`save_gemm_models` rewrites them.

On AMX hosts onnxruntime ≥ 1.32 runs the int8 GEMM on AMX only if the process could use two or more CPUs when
onnxruntime was loaded; pinned at launch (``taskset``) it measures the AVX-512 VNNI kernel, the one the bundled
model's convs use (they have no AMX kernel), so the int8 floor is ~2.5× lower unpinned (README, int8 on AMX).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GEMM_MODELS = {"fp32": HERE / "gemm_fp32.onnx", "int8": HERE / "gemm_int8.onnx"}
GEMM_OPSET, GEMM_IR_VERSION = 13, 8


def macs_per_image(path: str | os.PathLike) -> tuple[int, str]:
    """Multiply-adds per image of Conv/Gemm/MatMul nodes: (count, method).

    With ``onnx`` installed: shape inference on the graph. Without it (the light runtime):
    onnxruntime's profiler, which records every node's input and output shapes, on an
    unoptimized session run once with batch 1.
    """
    try:
        import onnx  # noqa: F401
    except ImportError:
        return macs_from_profile(path), "onnxruntime profile shapes"
    return macs_from_onnx(path), "onnx shape inference"


def _conv_like_macs(op: str, in_shapes: list, out_shape: list) -> int:
    """MACs of one node for batch 1, from its input/output shapes (None where unknown)."""
    out = [d for d in out_shape[1:]]
    if any(not isinstance(d, int) for d in out):
        return 0
    n_out = int(np.prod(out)) if out else 1
    if op in ("Conv", "ConvInteger", "QLinearConv", "FusedConv"):
        w = in_shapes[3] if op == "QLinearConv" else in_shapes[1]
        return n_out * int(np.prod(w[1:])) if w and all(isinstance(d, int) for d in w[1:]) else 0
    if op in ("Gemm", "MatMul", "MatMulInteger", "QLinearMatMul", "QGemm"):
        a = in_shapes[0]
        k = a[-1] if a else None
        return n_out * k if isinstance(k, int) else 0
    return 0


def macs_from_onnx(path) -> int:
    import onnx

    model = onnx.load(str(path))
    for v in model.graph.input:  # batch 1 everywhere
        dim = v.type.tensor_type.shape.dim
        if dim:
            dim[0].ClearField("dim_param")
            dim[0].dim_value = 1
    model = onnx.shape_inference.infer_shapes(model)
    g = model.graph
    shapes = {}
    for v in list(g.input) + list(g.value_info) + list(g.output):
        shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    for node in g.node:
        ins = [shapes.get(i) for i in node.input]
        if node.op_type == "Gemm":
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            b = ins[1] if len(ins) > 1 else None
            if not b or len(b) != 2 or not all(isinstance(d, int) and d > 0 for d in b):
                continue  # a weight of unknown shape: not counted (was 'unexpected TypeError')
            k = b[1] if trans_b else b[0]
            out = shapes.get(node.output[0]) or [1, b[0] if trans_b else b[1]]
            if all(isinstance(d, int) for d in out[1:]):
                total += int(np.prod(out[1:])) * k
            continue
        total += _conv_like_macs(node.op_type, ins, shapes.get(node.output[0]) or [])
    return total


def macs_from_profile(path) -> int:
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    o.enable_profiling = True
    o.intra_op_num_threads = 1
    o.log_severity_level = 3
    import tempfile

    with tempfile.TemporaryDirectory(prefix="edgecnn-macs-") as d:
        o.profile_file_prefix = str(Path(d) / "p")
        sess = ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        shape = [1 if not isinstance(x, int) else x for x in inp.shape]
        sess.run(None, {inp.name: np.zeros(shape, np.float32)})
        events = json.loads(Path(sess.end_profiling()).read_text())
    total = 0
    for e in events:
        args = e.get("args", {})
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        ins = [next(iter(x.values())) for x in args.get("input_type_shape", [])]
        outs = [next(iter(x.values())) for x in args.get("output_type_shape", [])]
        if outs:
            total += _conv_like_macs(args.get("op_name", ""), ins, outs[0])
    return total


def gemm_model(precision: str):
    """The one-node ``Y = A·B`` model (square, side ``n`` left symbolic) for ``precision``, as an ``onnx.ModelProto``."""
    from onnx import TensorProto, helper

    op, (a, b, y) = {"fp32": ("MatMul", (TensorProto.FLOAT,) * 3),
                     "int8": ("MatMulInteger", (TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32))}[precision]
    graph = helper.make_graph([helper.make_node(op, ["A", "B"], ["Y"])], "gemm",
                              [helper.make_tensor_value_info("A", a, ["n", "n"]),
                               helper.make_tensor_value_info("B", b, ["n", "n"])],
                              [helper.make_tensor_value_info("Y", y, ["n", "n"])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", GEMM_OPSET)], ir_version=GEMM_IR_VERSION)


def save_gemm_models() -> None:
    """Write :data:`GEMM_MODELS` from :func:`gemm_model` (needs ``onnx``)."""
    import onnx

    for precision, path in GEMM_MODELS.items():
        onnx.save(gemm_model(precision), str(path))


def gemm_peak(precision: str = "fp32", threads: int = 1, seconds: float = 0.5, n: int = 512) -> float:
    """Best multiply-adds per second of an n×n×n GEMM in onnxruntime (MLAS) with ``threads`` threads.

    fp32: ``MatMul``; int8: ``MatMulInteger`` (uint8 × int8 → int32, the kernel family of
    QLinearConv on x86; it includes packing B on every call, so it is a slight underestimate).
    """
    import onnxruntime as ort

    if precision == "fp32":
        a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    else:
        a = np.random.randint(0, 255, (n, n), np.uint8)
        b = np.random.randint(-127, 127, (n, n), np.int8)
    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = threads, 1
    o.log_severity_level = 3
    sess = ort.InferenceSession(str(GEMM_MODELS[precision]), o, providers=["CPUExecutionProvider"])
    feed = {"A": a, "B": b}
    sess.run(None, feed)
    best, end = float("inf"), time.perf_counter() + seconds
    runs = 0
    while time.perf_counter() < end or runs < 3:
        t = time.perf_counter()
        sess.run(None, feed)
        best = min(best, time.perf_counter() - t)
        runs += 1
    return n ** 3 / best


def interleaved(cases: dict, rounds: int, min_seconds: float = 0.1, pick=None) -> dict:
    """ONNX sessions timed round-robin: ``cases`` maps a name to ``(session, feed)``. Returns name → seconds per run
    (``pick`` of the rounds: median, or min for a peak); each round runs every case
    for ≥ ``min_seconds``, in turn, so a busy neighbour slows all of them alike."""
    calls = {}
    for name, (sess, feed) in cases.items():
        sess.run(None, feed)
        t, n = time.perf_counter(), 0
        while time.perf_counter() - t < min_seconds:
            sess.run(None, feed)
            n += 1
        calls[name] = max(2, n)
    samples = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (sess, feed) in cases.items():
            t = time.perf_counter()
            for _ in range(calls[name]):
                sess.run(None, feed)
            samples[name].append((time.perf_counter() - t) / calls[name])
    pick = pick or statistics.median
    return {name: pick(v) for name, v in samples.items()}
