#!/usr/bin/env python
"""int8 on an AMX host: which kernel runs each int8 conv, how fast, and what the int8 "floor" measures.

    taskset -c 1 .venv/bin/python scripts/int8_amx.py [--batch 64] [--rounds 7] [--amx-check] [--json]

One thread, everything timed interleaved (round-robin, ``--rounds`` rounds, the best round kept: the
host is shared, and a neighbour's burst only ever adds time), host named in the header. Three tables:

1. **kernels** — single-op ONNX models at the shape of the network's biggest conv (64→64, 3×3,
   14×14, batch 64: a GEMM of M = 64·196 = 12,544, N = 64, K = 576), plus the op ``edgecnn bench``
   uses for its int8 floor (``MatMulInteger`` uint8×int8, 512³, B fed as an input). GMAC/s each.
2. **per node** — onnxruntime's own profiler on the bundled int8 and fp32 models: µs, multiply-adds
   and GMAC/s per node after graph optimization.
3. **variants** — the whole network: the bundled files under other session options, and the fp32
   file re-quantized other ways (calibrated on random images: speed only, not accuracy).
4. with ``--amx-check``: the kernels again in child processes where onnxruntime is denied AMX (a
   small ``LD_PRELOAD`` shim, compiled on the fly, fails its ``arch_prctl`` request for the tile
   state, so MLAS keeps its AVX-512 VNNI kernels): what AMX adds to onnxruntime's int8 here.
5. ``--openvino-only``, run with the ``onnxruntime-openvino`` build (it replaces ``onnxruntime``, so in
   a virtualenv of its own)::

       python -m venv /tmp/ovep && /tmp/ovep/bin/pip install onnxruntime-openvino onnx numpy
       PYTHONPATH=. taskset -c 1 /tmp/ovep/bin/python scripts/int8_amx.py --openvino-only

   the bundled models on onnxruntime's CPU provider and on its OpenVINO provider, where the fp32
   file can run in bf16 on AMX; MNIST test accuracy of each.

Only public names are used: onnx, onnxruntime (and its quantization tool), numpy, and edgecnn's
model paths, CPU description and MNIST loader.

Measured on the Intel Xeon host with AMX (2 cores, shared; onnxruntime 1.32, 2026-11-30) — see the
README's "What limited the int8 speed-up" for the figures and the conclusions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper, numpy_helper

from edgecnn.cpuinfo import cpu_info, describe_isa
from edgecnn.tooling.floor import interleaved
from edgecnn.models import DEFAULT_FP32, DEFAULT_INT8

RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------- sessions and timing

def session(model, level: str = "all", **config) -> ort.InferenceSession:
    """A one-thread CPU session like ``OnnxModel``'s (ORT_ENABLE_ALL unless ``level`` says otherwise)."""
    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = 1, 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                  "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                                  "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC}[level]
    o.log_severity_level = 3
    for k, v in config.items():
        o.add_session_config_entry(k, v)
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(data, o, providers=["CPUExecutionProvider"])


def model_of(nodes, inputs, outputs, inits, ms_domain=False) -> onnx.ModelProto:
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid("com.microsoft", 1)] if ms_domain else [])
    m = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, inits), opset_imports=opsets)
    m.ir_version = 8
    return m


# --------------------------------------------------------------------------- 1. kernels

def matmul_integer(m, n, k, const_b=True):
    a = RNG.integers(0, 255, (m, k), dtype=np.uint8)
    b = RNG.integers(-127, 127, (k, n), dtype=np.int8)
    inits = [numpy_helper.from_array(b, "B")] if const_b else []
    ins = [helper.make_tensor_value_info("A", T.UINT8, [m, k])] + ([] if const_b else [helper.make_tensor_value_info("B", T.INT8, [k, n])])
    model = model_of([helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], ins,
                     [helper.make_tensor_value_info("Y", T.INT32, [m, n])], inits)
    return model, ({"A": a} if const_b else {"A": a, "B": b}), m * n * k


def qlinear_matmul(m, n, k):
    a = RNG.integers(0, 255, (m, k), dtype=np.uint8)
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "as"), numpy_helper.from_array(np.array(128, np.uint8), "az"),
             numpy_helper.from_array(RNG.integers(-127, 127, (k, n), dtype=np.int8), "B"),
             numpy_helper.from_array(np.array(0.01, np.float32), "bs"), numpy_helper.from_array(np.array(0, np.int8), "bz"),
             numpy_helper.from_array(np.array(0.05, np.float32), "ys"), numpy_helper.from_array(np.array(128, np.uint8), "yz")]
    node = helper.make_node("QLinearMatMul", ["A", "as", "az", "B", "bs", "bz", "ys", "yz"], ["Y"])
    model = model_of([node], [helper.make_tensor_value_info("A", T.UINT8, [m, k])],
                     [helper.make_tensor_value_info("Y", T.UINT8, [m, n])], inits)
    return model, {"A": a}, m * n * k


def qlinear_conv(batch, hw, cin, cout, act="u8", weight_zp=0, per_channel=True):
    """An NHWC com.microsoft QLinearConv (what onnxruntime makes of the QDQ convs), 3×3, pad 1."""
    at, anp, azp = (T.UINT8, np.uint8, 128) if act == "u8" else (T.INT8, np.int8, 0)
    n = cout if per_channel else 1
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "xs"), numpy_helper.from_array(np.array(azp, anp), "xz"),
             numpy_helper.from_array(RNG.integers(-100, 100, (cout, cin, 3, 3), dtype=np.int8), "W"),
             numpy_helper.from_array((RNG.random(n) * 0.01 + 0.001).astype(np.float32), "ws"),
             numpy_helper.from_array(np.full(n, weight_zp, np.int8), "wz"),
             numpy_helper.from_array(np.array(0.05, np.float32), "ys"), numpy_helper.from_array(np.array(azp, anp), "yz"),
             numpy_helper.from_array(RNG.integers(-1000, 1000, cout, dtype=np.int32), "b")]
    node = helper.make_node("QLinearConv", ["X", "xs", "xz", "W", "ws", "wz", "ys", "yz", "b"], ["Y"],
                            domain="com.microsoft", channels_last=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = model_of([node], [helper.make_tensor_value_info("X", at, [batch, hw, hw, cin])],
                     [helper.make_tensor_value_info("Y", at, [batch, hw, hw, cout])], inits, ms_domain=True)
    lo, hi = (0, 255) if act == "u8" else (-128, 127)
    return model, {"X": RNG.integers(lo, hi, (batch, hw, hw, cin)).astype(anp)}, batch * hw * hw * cout * cin * 9


def fp32_conv(batch, hw, cin, cout):
    inits = [numpy_helper.from_array(RNG.standard_normal((cout, cin, 3, 3)).astype(np.float32), "W"),
             numpy_helper.from_array(np.zeros(cout, np.float32), "b")]
    node = helper.make_node("Conv", ["X", "W", "b"], ["Y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = model_of([node], [helper.make_tensor_value_info("X", T.FLOAT, [batch, cin, hw, hw])],
                     [helper.make_tensor_value_info("Y", T.FLOAT, [batch, cout, hw, hw])], inits)
    return model, {"X": RNG.standard_normal((batch, cin, hw, hw)).astype(np.float32)}, batch * hw * hw * cout * cin * 9


def fp32_matmul(n):
    model = model_of([helper.make_node("MatMul", ["A", "B"], ["Y"])],
                     [helper.make_tensor_value_info("A", T.FLOAT, [n, n]), helper.make_tensor_value_info("B", T.FLOAT, [n, n])],
                     [helper.make_tensor_value_info("Y", T.FLOAT, [n, n])], [])
    return model, {"A": RNG.random((n, n), dtype=np.float32), "B": RNG.random((n, n), dtype=np.float32)}, n ** 3


def kernels(batch: int, rounds: int) -> list[dict]:
    m = batch * 196
    rows = [
        ("MatMulInteger u8×s8 512³, B an input", "edgecnn bench's int8 floor", matmul_integer(512, 512, 512, const_b=False)),
        (f"MatMulInteger u8×s8 {m}×64×576, B constant", "the 64→64 conv as a bare GEMM (no im2col, no requant)", matmul_integer(m, 64, 576)),
        (f"QLinearMatMul u8×s8 {m}×64×576", "bare GEMM + requantization to uint8", qlinear_matmul(m, 64, 576)),
        ("QLinearConv u8×s8 64→64 14×14, symmetric weights", "the shipped path (ORT turns S8 QDQ into this)", qlinear_conv(batch, 14, 64, 64)),
        ("QLinearConv u8×s8 64→64, weight zero point 1", "forces the generic QGEMM (the AMX dispatch) + im2col", qlinear_conv(batch, 14, 64, 64, weight_zp=1, per_channel=False)),
        ("QLinearConv s8×s8 64→64, symmetric weights", "what session.qdqisint8allowed=1 runs", qlinear_conv(batch, 14, 64, 64, act="s8")),
        ("QLinearConv u8×s8 32→64 14×14 (K=288)", "the second conv", qlinear_conv(batch, 14, 32, 64)),
        ("QLinearConv u8×s8 4→32 14×14 (K=36)", "the first conv", qlinear_conv(batch, 14, 4, 32)),
        ("Conv fp32 64→64 14×14", "the same conv in fp32 (NCHWc)", fp32_conv(batch, 14, 64, 64)),
        ("MatMul fp32 512³", "edgecnn bench's fp32 floor", fp32_matmul(512)),
    ]
    cases, macs, notes = {}, {}, {}
    for name, note, (model, feed, mac) in rows:
        cases[name], macs[name], notes[name] = (session(model), feed), mac, note
    secs = interleaved(cases, rounds, pick=min)  # a peak: the least-disturbed round, like bench's gemm_peak
    return [{"kernel": k, "ms": secs[k] * 1e3, "gmacs": macs[k] / secs[k] / 1e9, "note": notes[k]} for k in cases]


# --------------------------------------------------------------------------- 2. per-node profile

def conv_macs(model: onnx.ModelProto, batch: int) -> dict:
    """Original node name → multiply-adds per batch, for Conv and MatMul nodes (shapes from inference)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    out = {}
    producer = {o: n.name for n in model.graph.node if n.op_type == "Conv" for o in n.output}
    for node in model.graph.node:
        if node.op_type == "Relu" and node.input[0] in producer:  # fp32 Conv+Relu fuse under the Relu's name
            out[node.name] = producer[node.input[0]]
        if node.op_type == "Conv" and node.input[1] in inits:
            w, y = inits[node.input[1]], shapes.get(node.output[0])
            if y:
                out[node.name] = batch * int(np.prod(y[1:])) * int(np.prod(w[1:]))
        elif node.op_type == "MatMul" and node.input[1] in inits:
            out[node.name] = batch * int(np.prod(inits[node.input[1]]))
    return {k: (out[v] if isinstance(v, str) else v) for k, v in out.items()}


def profile(path: Path, batch: int, runs: int = 40) -> list[dict]:
    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = 1, 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.log_severity_level = 3
    o.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        o.profile_file_prefix = os.path.join(tmp, "prof")
        sess = ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])
        x = RNG.random((batch, 28, 28, 1), dtype=np.float32)
        for _ in range(runs):
            sess.run(None, {sess.get_inputs()[0].name: x})
        events = json.load(open(sess.end_profiling()))
    fp32 = onnx.load(str(DEFAULT_FP32))
    macs = conv_macs(fp32, batch)
    times, ops = {}, {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            name = e["name"][: -len("_kernel_time")]
            times.setdefault(name, []).append(e["dur"])
            ops[name] = e["args"].get("op_name", "")
    total = sum(statistics.median(v) for v in times.values())
    rows = []
    for name, v in sorted(times.items(), key=lambda kv: -statistics.median(kv[1])):
        us = statistics.median(v)
        # fused int8 nodes keep the original name as a prefix ("Conv_8_token_32"); MatMul+Add → "MatMul_15/..."
        orig = next((k for k in macs if name == k or name.startswith(k + "_") or name.startswith(k + "/")), None)
        mac = macs.get(orig)
        rows.append({"node": name, "op": ops[name], "us": us, "share": us / total, "macs": mac,
                     "gmacs": mac / us / 1e3 if mac else None})
    return rows


# --------------------------------------------------------------------------- 3. whole-network variants

def quantized(fp32: Path, out: Path, fmt="QDQ", act="QInt8", weight="QInt8", per_channel=True, **extra) -> Path:
    """The fp32 network quantized with onnxruntime's tool, calibrated on random images (speed only)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"image": RNG.random((50, 28, 28, 1), dtype=np.float32)} for _ in range(4)])

        def get_next(self):
            return next(self.batches, None)

    prepared = out.with_suffix(".prep.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=False)
    quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.from_string(fmt),
                    activation_type=getattr(QuantType, act), weight_type=getattr(QuantType, weight),
                    per_channel=per_channel, extra_options=extra)
    return out


def variants(batch: int, rounds: int, macs: int, floor_gmacs: float) -> list[dict]:
    x = {"image": RNG.random((batch, 28, 28, 1), dtype=np.float32)}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        specs = [
            ("fp32 (bundled)", DEFAULT_FP32, {}, "reference"),
            ("int8 (bundled): QDQ S8S8 per-channel", DEFAULT_INT8, {}, "ORT → NHWC QLinearConv u8×s8, ConvSym kernel"),
            ("int8, session.qdqisint8allowed=1", DEFAULT_INT8, {"session.qdqisint8allowed": "1"}, "keeps s8 activations"),
            ("int8, session.disable_prepacking=1", DEFAULT_INT8, {"session.disable_prepacking": "1"}, "weights not packed: generic QGEMM"),
            ("int8, ORT_ENABLE_EXTENDED", DEFAULT_INT8, {"level": "extended"}, "no NHWC rewrite"),
            ("re-quantized QDQ U8S8 per-channel", quantized(DEFAULT_FP32, t / "u8s8pc.onnx", act="QUInt8"), {}, "same kernels as bundled"),
            ("re-quantized QDQ U8S8 per-tensor, asymmetric weights",
             quantized(DEFAULT_FP32, t / "u8s8asym.onnx", act="QUInt8", per_channel=False, WeightSymmetric=False), {},
             "weight zero point ≠ 0: generic QGEMM (AMX dispatch)"),
            ("re-quantized QDQ U8U8 per-tensor", quantized(DEFAULT_FP32, t / "u8u8.onnx", act="QUInt8", weight="QUInt8", per_channel=False), {},
             "uint8 weights: U8U8 QGEMM"),
            ("re-quantized QOperator U8S8 per-channel", quantized(DEFAULT_FP32, t / "qop.onnx", fmt="QOperator", act="QUInt8"), {}, ""),
        ]
        cases, notes = {}, {}
        for name, path, cfg, note in specs:
            cfg = dict(cfg)
            level = cfg.pop("level", "all")
            cases[name], notes[name] = (session(path, level, **cfg), x), note
        secs = interleaved(cases, rounds, pick=min)
    floor_us = macs / floor_gmacs / 1e3
    return [{"variant": k, "us_per_image": secs[k] * 1e6 / batch, "x_int8_floor": secs[k] * 1e6 / batch / floor_us,
             "note": notes[k]} for k in cases]


# --------------------------------------------------------------------------- AMX allowed vs denied

# MLAS asks Linux for the AMX tile state once (arch_prctl ARCH_REQ_XCOMP_PERM) and picks its AMX int8 GEMM only
# when that succeeds. This shim makes the request fail, so the same binary falls back to AVX-512 VNNI.
NO_AMX_SHIM = r"""
#define _GNU_SOURCE
#include <stdarg.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
long syscall(long n, ...) {
  va_list ap; va_start(ap, n);
  long a[6]; for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (n == SYS_arch_prctl && a[0] == 0x1023) { errno = EPERM; return -1; }
  static long (*real)(long, ...) = 0;
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
"""


def amx_check(batch: int, rounds: int, repeats: int = 3) -> list[dict] | None:
    """The kernel table in child processes with AMX allowed and denied, alternating; best of ``repeats`` each."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not sys.platform.startswith("linux"):
        return None
    best: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "libnoamx.so"
        (Path(tmp) / "noamx.c").write_text(NO_AMX_SHIM)
        subprocess.run([cc, "-O2", "-shared", "-fPIC", str(Path(tmp) / "noamx.c"), "-o", str(lib), "-ldl"], check=True)
        cmd = [sys.executable, __file__, "--kernels-only", "--json", "--batch", str(batch), "--rounds", str(rounds)]
        for _ in range(repeats):
            for mode, env in (("AMX allowed", dict(os.environ)), ("AMX denied", dict(os.environ, LD_PRELOAD=str(lib)))):
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                for r in json.loads(out.stdout)["kernels"]:
                    key = (r["kernel"], mode)
                    best[key] = max(best.get(key, 0.0), r["gmacs"])
    names = list(dict.fromkeys(k for k, _ in best))
    return [{"kernel": k, "amx_allowed_gmacs": best[(k, "AMX allowed")], "amx_denied_gmacs": best[(k, "AMX denied")]}
            for k in names]


# --------------------------------------------------------------------------- 5. AMX through OpenVINO

def openvino(batch: int, rounds: int) -> list[dict] | None:
    """The bundled models on onnxruntime's CPU provider and on OpenVINO's (bf16 = AMX-BF16), with MNIST accuracy.

    Needs the ``onnxruntime-openvino`` build of onnxruntime (it replaces the ``onnxruntime`` package, so use a
    separate virtualenv); None where this onnxruntime has no OpenVINOExecutionProvider.
    """
    if "OpenVINOExecutionProvider" not in ort.get_available_providers():
        return None

    def ovep(path, **cfg):
        o = ort.SessionOptions()
        o.intra_op_num_threads, o.inter_op_num_threads, o.log_severity_level = 1, 1, 3
        opts = {"device_type": "CPU", "num_of_threads": "1"}
        if cfg:
            opts["load_config"] = json.dumps({"CPU": cfg})
        return ort.InferenceSession(str(path), o, providers=[("OpenVINOExecutionProvider", opts), "CPUExecutionProvider"])

    specs = {"CPU provider, fp32": session(DEFAULT_FP32), "CPU provider, int8": session(DEFAULT_INT8),
             "OpenVINO, fp32 file, f32": ovep(DEFAULT_FP32, INFERENCE_PRECISION_HINT="f32"),
             "OpenVINO, fp32 file, bf16 (AMX-BF16)": ovep(DEFAULT_FP32, INFERENCE_PRECISION_HINT="bf16"),
             "OpenVINO, int8 file": ovep(DEFAULT_INT8)}
    accuracy = {}
    try:
        from edgecnn.tooling.mnist import load_split, to_input

        test = load_split("test", allow_download=False)
        images = to_input(test.images)
        for name, sess in specs.items():
            pred = np.concatenate([sess.run(None, {"image": images[i:i + 100]})[0].argmax(1) for i in range(0, len(images), 100)])
            accuracy[name] = float(np.mean(pred == test.labels))
    except Exception:  # no MNIST here: speed only
        pass
    rows = []
    for b in sorted({1, batch}):
        x = {"image": RNG.random((b, 28, 28, 1), dtype=np.float32)}
        secs = interleaved({k: (v, x) for k, v in specs.items()}, rounds, pick=min)
        rows += [{"runtime": k, "batch": b, "us_per_image": secs[k] * 1e6 / b, "mnist": accuracy.get(k)} for k in specs]
    return rows


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--amx-check", action="store_true",
                    help="also time the kernels with AMX denied to onnxruntime (needs a C compiler; Linux)")
    ap.add_argument("--openvino-only", action="store_true",
                    help="only compare onnxruntime's CPU provider with its OpenVINO provider (an onnxruntime-openvino venv)")
    ap.add_argument("--kernels-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.openvino_only:
        rows = openvino(args.batch, args.rounds)
        if args.json:
            print(json.dumps({"openvino": rows}, indent=1))
        elif rows is None:
            print("this onnxruntime has no OpenVINOExecutionProvider (pip install onnxruntime-openvino, in its own venv)")
        else:
            info = cpu_info()
            print(f"host: {info['model']} ({describe_isa(info)}), onnxruntime {ort.__version__}, 1 thread")
            for r in rows:
                acc = f"MNIST {100 * r['mnist']:.2f}%" if r["mnist"] is not None else ""
                print(f"  batch {r['batch']:3d}  {r['runtime']:38s} {r['us_per_image']:7.1f} µs/image  {acc}")
        return
    if args.kernels_only:
        print(json.dumps({"kernels": kernels(args.batch, args.rounds)}))
        return

    info = cpu_info()
    host = f"{info['model']} ({describe_isa(info)}), onnxruntime {ort.__version__}, 1 thread, batch {args.batch}"
    kern = kernels(args.batch, args.rounds)
    floor = kern[0]["gmacs"]
    prof = {"int8": profile(DEFAULT_INT8, args.batch), "fp32": profile(DEFAULT_FP32, args.batch)}
    macs = sum(v for k, v in conv_macs(onnx.load(str(DEFAULT_FP32)), 1).items() if not k.startswith("Relu"))
    var = variants(args.batch, args.rounds, macs, floor)
    amx = amx_check(args.batch, args.rounds) if args.amx_check else None
    if args.json:
        print(json.dumps({"host": host, "macs_per_image": macs, "int8_floor_gmacs": floor,
                          "kernels": kern, "profile": prof, "variants": var, "amx_check": amx}, indent=1))
        return
    print(f"host: {host}")
    print(f"\n1. kernels (M = {args.batch}·196 rows; GMAC/s = multiply-adds ÷ best round's time)")
    for r in kern:
        print(f"  {r['kernel']:52s} {r['ms']:8.3f} ms {r['gmacs']:6.0f} GMAC/s  {r['note']}")
    for which, rows in prof.items():
        print(f"\n2. per node, {which} (onnxruntime profiler, median of 40 runs)")
        for r in rows[:8]:
            g = f"{r['gmacs']:6.0f} GMAC/s" if r["gmacs"] else ""
            print(f"  {r['op']:24s} {r['node']:34s} {r['us']:7.0f} µs {100 * r['share']:5.1f}%  {g}")
    print(f"\n3. whole network ({macs / 1e6:.2f}M multiply-adds/image; int8 floor = the bench op above, {floor:.0f} GMAC/s "
          f"→ {macs / floor / 1e3:.1f} µs/image)")
    for r in var:
        print(f"  {r['variant']:54s} {r['us_per_image']:7.1f} µs/image {r['x_int8_floor']:5.2f}× int8 floor  {r['note']}")
    if args.amx_check:
        print("\n4. the kernels with AMX allowed and denied to onnxruntime (child processes, alternating, best of 3)")
        for r in amx or []:
            print(f"  {r['kernel']:52s} {r['amx_allowed_gmacs']:6.0f} vs {r['amx_denied_gmacs']:6.0f} GMAC/s")
        if amx is None:
            print("  (no C compiler here)")


if __name__ == "__main__":
    main()
