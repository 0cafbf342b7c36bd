#!/usr/bin/env python
"""Why is int8 not faster than fp32, and what fixes it? Quantize one fp32 ONNX many ways and time them.

    .venv/bin/python scripts/int8_investigation.py MODEL.onnx [--batch 64] [--rounds 7] [--iters 20] [--out DIR]

Every variant is built from the same fp32 file with ``export.quantize.quantize`` (the exporter's
own code path, with its :class:`QuantSettings`) calibrated on the same 500 MNIST training
images, checked on 2,000 test images, and timed single-threaded at one batch size; timings
are interleaved (round-robin, ``--rounds`` rounds of ``--iters`` runs) and the median per-image
time is reported with its ratio to fp32 under ``ORT_ENABLE_ALL``. Session-level options
(graph optimization level) and graph edits (input layout) are timed the same way.

Findings (edge model, AMD EPYC AVX-512 VNNI, onnxruntime 1.31, 1 thread, batch 64; a shared
2-core box with load 5–7, so ±20 % noise: compare ratios within one run)

* The lever is the graph optimization level, not the quantization format: at ORT_ENABLE_ALL
  onnxruntime rewrites QDQ Conv into NHWC ``QLinearConv``/``NhwcMaxPool`` and every fused int8
  variant runs 2.0–2.7× fp32; at ORT_ENABLE_EXTENDED the same int8 file runs 0.96× fp32 (all)
  — "int8 ≈ fp32". ``OnnxModel`` uses ORT_ENABLE_ALL.
* U8S8 vs S8S8 QDQ, per-channel vs per-tensor, reduce_range: 1.98–2.45×, within the noise;
  accuracy 97.90–98.05 % on 2,000 images (reduce_range the lowest). The exporter keeps
  S8S8 (issue 3 asks for signed int8); U8S8 is what vpdpbusd computes natively.
* Harmful: QOperator S8S8 0.21× (onnxruntime warns about it), U8U8 weights 1.23×, symmetric
  activations 1.56×, quantizing Conv only 1.80× (fp32 pools between int8 convs).
* NCHW input (removing the leading Reshape/Transpose): fp32 1.18×, int8 2.36× vs 2.24× — noise;
  the layout op on a 1-channel input is a free reshape.
* Per-node profile (batch 64): the int8 convs 2–4 (97 % of the multiply-adds) reach ~150 GMAC/s
  (~70 % of the MatMulInteger peak); the first conv (1 input channel, K = 9, 3 % of the MACs)
  takes 34 % of the int8 time. Keeping it fp32 (nodes_to_exclude) made the model 2.3× slower:
  the fp32/int8 boundary adds an NCHWc MaxPool, ReorderOutput and QuantizeLinear.
* The fix was the network's shape, not a quantization option: a space-to-depth stem (4 input
  channels) and 64-wide convs took int8 from 2.4× to 1.3× its floor — scripts/stem_variants.py.
  The findings above were measured on the old net (32-32-64-64 with a 1-channel first conv).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


import numpy as np


def session(path: Path, level: str = "all", threads: int = 1, extra: dict | None = None):
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = threads, 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                                  "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                                  "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                                  "layout": getattr(ort.GraphOptimizationLevel, "ORT_ENABLE_LAYOUT", ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                                  "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[level]
    for k, v in (extra or {}).items():
        o.add_session_config_entry(k, v)
    o.log_severity_level = 3
    return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])


def optimized_ops(path: Path, level: str = "all") -> list[str]:
    """The node types onnxruntime actually runs after its graph optimizations."""
    import onnx
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as d:
        o = ort.SessionOptions()
        o.graph_optimization_level = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                                      "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                                      "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}.get(level, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        o.optimized_model_filepath = str(Path(d) / "opt.onnx")
        o.log_severity_level = 3
        ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])
        return [n.op_type for n in onnx.load(o.optimized_model_filepath).graph.node]


def nchw_input(src: Path, dst: Path) -> Path:
    """The same model with an NCHW [N,1,28,28] input: the leading layout Transpose/Reshape removed."""
    import onnx

    m = onnx.load(str(src))
    g = m.graph
    inp = g.input[0].name
    first = [n for n in g.node if inp in n.input]
    if len(first) != 1 or first[0].op_type not in ("Transpose", "Reshape"):
        raise SystemExit(f"{src}: no leading layout op to remove ({[n.op_type for n in first]})")
    node = first[0]
    out = node.output[0]
    g.node.remove(node)
    for n in g.node:
        n.input[:] = [inp if x == out else x for x in n.input]
    dims = g.input[0].type.tensor_type.shape.dim
    dims[1].dim_value, dims[2].dim_value, dims[3].dim_value = 1, 28, 28
    onnx.save(m, str(dst))
    return dst


def time_round(sess, x: np.ndarray, iters: int) -> float:
    name = sess.get_inputs()[0].name
    t = time.perf_counter()
    for _ in range(iters):
        sess.run(None, {name: x})
    return (time.perf_counter() - t) / iters / len(x) * 1e6  # µs per image


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="the fp32 ONNX file (from edgecnn export)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None, help="keep the variant files here")
    ap.add_argument("--only", default=None, help="comma-separated variant names")
    args = ap.parse_args()

    from edgecnn.export.quantize import QuantSettings, calibration_images, quantize
    from edgecnn.tooling.mnist import load_split

    out = args.out or Path(tempfile.mkdtemp(prefix="int8-inv-"))
    out.mkdir(parents=True, exist_ok=True)
    calib = calibration_images(load_split("train").images, 500, 0)
    test = load_split("test")
    xt = (test.images[:2000].astype(np.float32) / 255)[..., None]
    yt = test.labels[:2000]

    variants: dict[str, tuple[Path, str, dict]] = {"fp32 (all)": (args.model, "all", {})}
    variants["fp32 (extended)"] = (args.model, "extended", {})
    variants["fp32 (basic)"] = (args.model, "basic", {})
    quant = {
        "QDQ s8s8 per-channel": QuantSettings(activation_type="QInt8"),
        "QDQ s8s8 per-tensor": QuantSettings(activation_type="QInt8", per_channel=False),
        "QDQ u8s8 per-channel": QuantSettings(activation_type="QUInt8"),
        "QDQ u8s8 per-tensor": QuantSettings(activation_type="QUInt8", per_channel=False),
        "QDQ u8s8 per-channel reduce_range": QuantSettings(activation_type="QUInt8", reduce_range=True),
        "QDQ u8u8 per-tensor": QuantSettings(activation_type="QUInt8", weight_type="QUInt8", per_channel=False),
        "QOperator s8s8 per-channel": QuantSettings(format="QOperator", activation_type="QInt8"),
        "QOperator u8s8 per-channel": QuantSettings(format="QOperator", activation_type="QUInt8"),
        "QOperator u8s8 per-tensor": QuantSettings(format="QOperator", activation_type="QUInt8", per_channel=False),
        "QDQ u8s8 Conv only": QuantSettings(activation_type="QUInt8", op_types=("Conv",)),
        "QDQ u8s8 per-channel symmetric act": QuantSettings(activation_type="QUInt8", extra_options={"ActivationSymmetric": True}),
    }
    for name, s in quant.items():
        path = out / (name.replace(" ", "_") + ".onnx")
        try:
            quantize(args.model, path, calib, s)
        except Exception as e:  # report and keep going
            print(f"{name}: quantization failed: {e}")
            continue
        variants[name] = (path, "all", {})
    best = out / "QDQ_u8s8_per-channel.onnx"
    if best.exists():
        variants["QDQ u8s8 per-channel (extended)"] = (best, "extended", {})
        variants["QDQ u8s8 per-channel (basic)"] = (best, "basic", {})
    try:
        nchw = nchw_input(args.model, out / "fp32_nchw.onnx")
        variants["fp32 NCHW input"] = (nchw, "all", {})
        from onnxruntime.quantization import quantize_static

        from edgecnn.export.quantize import _Batches

        q = out / "QDQ_u8s8_nchw.onnx"  # quantize() feeds NHWC calibration; call quantize_static directly
        quantize_static(str(nchw), str(q), _Batches(np.ascontiguousarray(calib.transpose(0, 3, 1, 2))),
                        **QuantSettings(activation_type="QUInt8").kwargs())
        variants["QDQ u8s8 NCHW input"] = (q, "all", {})
    except BaseException as e:
        print(f"NCHW variant skipped: {e}")
    if args.only:
        keep = set(args.only.split(","))
        variants = {k: v for k, v in variants.items() if k in keep or k == "fp32 (all)"}

    sessions, accs = {}, {}
    for name, (path, level, extra) in variants.items():
        s = session(path, level, extra=extra)
        nchw_in = len(s.get_inputs()[0].shape) == 4 and s.get_inputs()[0].shape[1] == 1
        xin = xt.transpose(0, 3, 1, 2).copy() if nchw_in else xt
        pred = np.concatenate([s.run(None, {s.get_inputs()[0].name: xin[i:i + 500]})[0] for i in range(0, len(xin), 500)]).argmax(1)
        accs[name] = float((pred == yt).mean())
        batch = np.ascontiguousarray(xin[: args.batch])
        for _ in range(3):
            s.run(None, {s.get_inputs()[0].name: batch})
        sessions[name] = (s, batch)

    samples = {k: [] for k in sessions}
    for _ in range(args.rounds):  # interleaved: every variant sees the same machine load
        for name, (s, batch) in sessions.items():
            samples[name].append(time_round(s, batch, args.iters))
    base = float(np.median(samples["fp32 (all)"]))
    print(f"\nbatch {args.batch}, 1 thread, median of {args.rounds} interleaved rounds × {args.iters} runs; "
          f"accuracy on 2,000 MNIST test images")
    print(f"{'variant':<38} {'µs/image':>9} {'img/s':>8} {'vs fp32':>8} {'acc':>7}  size")
    for name, ts in samples.items():
        med = float(np.median(ts))
        size = variants[name][0].stat().st_size
        print(f"{name:<38} {med:9.1f} {1e6 / med:8.0f} {base / med:7.2f}× {100 * accs[name]:6.2f}%  {size / 1024:.0f} KiB")
    print("\ngraphs as onnxruntime runs them (ORT_ENABLE_ALL):")
    for name in ("fp32 (all)", "QDQ s8s8 per-channel", "QDQ u8s8 per-channel", "QOperator u8s8 per-channel"):
        if name in variants:
            print(f"  {name}: {' '.join(optimized_ops(variants[name][0]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
