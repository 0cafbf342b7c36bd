#!/usr/bin/env python
"""When onnxruntime's CPU provider uses AMX for int8, and whether the bundled int8 model's convs can.

    .venv/bin/python scripts/int8_amx_paths.py [--cpu 1] [--repeats 2] [--rounds 5] [--no-accuracy] [--json]

Do NOT start it under ``taskset -c N`` (see below): it pins itself to one core (``--cpu``, default the last one
this process may use) *after* onnxruntime is loaded, so every figure is one thread on one core, and it runs each
measurement twice, in child processes: **AMX on** (pinned after loading onnxruntime) and **AMX off** (pinned
before), alternating, ``--repeats`` times; each figure is the median of its rounds (round-robin over the cases,
``--rounds`` rounds) and then of the repeats.

What decides AMX (onnxruntime 1.32, CPU provider, x86-64 Linux)
---------------------------------------------------------------
MLAS has one AMX kernel, the u8×s8 integer GEMM (``qgemm_kernel_amx.cpp``, ``MlasGemmU8S8DispatchAmx``); the
MLAS platform constructor (``platform.cpp``) installs it as ``GemmU8S8Dispatch`` only, when the library is loaded:

1. CPUID leaf 7 EDX bits 24 and 25 (AMX-TILE, AMX-INT8) and XCR0 bits 17-18 (tile state enabled by the OS);
2. ``MlasInitAMX()``: ``arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`` succeeds and
   ``ARCH_GET_XCOMP_PERM`` reports the tile bits;
3. in the 1.32 wheel (not in the public platform.cpp the search index holds): a probe thread reads its CPU
   affinity, needs **two CPUs** in it, pins itself to the first, loads a tile, migrates to the second with
   ``sched_setaffinity`` and checks the tile survived (``memcmp``). With one CPU in the affinity mask the probe
   cannot run and AMX stays off. Disassembly of ``onnxruntime_pybind11_state*.so`` (1.32.0): the probe at
   ``0x118d680`` (``ldtilecfg``/``tileloadd``/``syscall 203``/``tilestored``/``memcmp``), its thread start
   ``0x118d870`` (``sched_getaffinity``; returns without probing unless a second CPU is found), and the constructor
   at ``0x17247a0``-``0x17249c6`` (``pthread_create``/``pthread_join``, then the store of the AMX dispatch).

So ``taskset -c 1 python …`` (one CPU from the start) turns AMX off for the whole process; pinning after
``import onnxruntime`` keeps it. Nothing else gates it: no environment variable or session option, no minimum
M, N or K (the kernel pads K to 64 and masks M and N tails). The dispatch is chosen per signedness,
``MlasGemmQuantGetDispatch(AIsSigned, BIsSigned)`` (``qgemm.h``): only A unsigned × B signed reaches AMX;
u8×u8, s8×s8 and s8×u8 keep their AVX-512 VNNI / AVX2 kernels.

Which int8 ops go through that GEMM: MatMulInteger, QLinearMatMul, MatMulIntegerToFloat, DynamicQuantizeMatMul,
QGemm, ConvInteger (im2col + ``MlasGemm``) and QLinearConv *when its weight zero point is not 0*. A QLinearConv
with symmetric int8 weights (zero point 0, what the exporter writes) takes ``TryConvSymPrepack`` in
``qlinearconv.cc`` and runs MLAS's indirect conv kernel ``ConvSymU8S8Dispatch``, which has AVX2 / AVX-VNNI /
AVX-512 Core / AVX-512 VNNI variants and no AMX one (``platform.cpp``). That is why the bundled model's convs
never use AMX, while ``edgecnn bench``'s int8 floor (MatMulInteger) does whenever bench is started unpinned.

The graph change measured here, :func:`shift_weight_zero_point`: for a Conv whose int8 weights have zero point 0
and no value below -127 (symmetric quantization writes [-127, 127]), store ``w - 1`` with zero point -1. The
dequantized weights are identical, so the network is the same function with the same multiply-adds, but
onnxruntime then runs that conv as im2col + the u8×s8 GEMM, i.e. on AMX where AMX is on (and slower where it
is not, VNNI-only hosts included).

Measured on the Intel Xeon host with AMX (2 shared cores, CPU 1, onnxruntime 1.32, 2026-11-30): AMX takes the u8×s8
GEMM from ~200 to 440-540 GMAC/s (512³ and 12,544×64×576 alike; N=64 keeps it below the 512³ figure), the
generic-path conv 64→64 from 164 to 353, while the bundled symmetric convs stay at 226-251 either way. Whole
network, batch 64: the weight-zero-point change on conv3 and conv4 gives 1.16-1.22× per image with AMX (batch 1
1.09-1.11×), MNIST 99.63% with every prediction identical, but 0.80× without AMX; on conv2 or conv1 too it gains
less or loses (K=288 and K=36 are too shallow for the im2col path). im2col written as ONNX ops (Pad, Slice, Concat)
costs more than the whole conv. Best int8 ratio reached: 2.5-2.6× the AMX int8 floor at batch 64, not ≤ 2×.

Only public names are used: onnx, onnxruntime, numpy, and edgecnn's model paths, CPU description, MNIST loader
and floor functions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

from edgecnn.cpuinfo import cpu_info
from edgecnn.tooling.floor import interleaved  # no onnxruntime import: the AMX decision stays ours
from edgecnn.models import DEFAULT_FP32, DEFAULT_INT8

ort = None  # onnxruntime, imported by load_onnxruntime() once the CPU affinity is decided
RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------- AMX on / off

def load_onnxruntime(amx: bool, cpu: int) -> dict:
    """Import onnxruntime with AMX left on (pin to ``cpu`` afterwards) or turned off (pin before); one core either
    way. Returns what the probe saw: the affinity when onnxruntime was loaded."""
    global ort
    if not amx:
        os.sched_setaffinity(0, {cpu})
    seen = sorted(os.sched_getaffinity(0))
    import onnxruntime

    ort = onnxruntime
    os.sched_setaffinity(0, {cpu})
    return {"affinity_at_import": seen, "pinned_to": cpu, "onnxruntime": ort.__version__}


def session(model, **config):
    """One thread, sequential, ORT_ENABLE_ALL: what ``OnnxModel`` uses."""
    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = 1, 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.log_severity_level = 3
    for k, v in config.items():
        o.add_session_config_entry(k, v)
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(data, o, providers=["CPUExecutionProvider"])


# --------------------------------------------------------------------------- one-node models

DTYPES = {"u8": (T.UINT8, np.uint8, 0, 255), "s8": (T.INT8, np.int8, -127, 127)}


def model_of(nodes, inputs, outputs, inits) -> onnx.ModelProto:
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    m = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, inits), opset_imports=opsets)
    m.ir_version = 8
    return m


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, value, dtype):
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def rand(kind, shape):
    _, npt, lo, hi = DTYPES[kind]
    return RNG.integers(lo, hi + 1, shape).astype(npt)


def matmul_integer(m, n, k, a="u8", b="s8", const_b=True):
    bm = rand(b, (k, n))
    inits = [numpy_helper.from_array(bm, "B")] if const_b else []
    ins = [vi("A", DTYPES[a][0], [m, k])] + ([] if const_b else [vi("B", DTYPES[b][0], [k, n])])
    model = model_of([helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], ins, [vi("Y", T.INT32, [m, n])], inits)
    feed = {"A": rand(a, (m, k))} | ({} if const_b else {"B": bm})
    return model, feed, m * n * k


def qlinear_matmul(m, n, k):
    inits = [const("as", 0.02, np.float32), const("az", 128, np.uint8), numpy_helper.from_array(rand("s8", (k, n)), "B"),
             const("bs", 0.01, np.float32), const("bz", 0, np.int8), const("ys", 0.05, np.float32), const("yz", 128, np.uint8)]
    node = helper.make_node("QLinearMatMul", ["A", "as", "az", "B", "bs", "bz", "ys", "yz"], ["Y"])
    return model_of([node], [vi("A", T.UINT8, [m, k])], [vi("Y", T.UINT8, [m, n])], inits), {"A": rand("u8", (m, k))}, m * n * k


def qgemm(m, n, k):
    """com.microsoft QGemm, u8×s8 with bias and uint8 output (what onnxruntime makes of the QDQ Gemm)."""
    inits = [const("as", 0.02, np.float32), const("az", 128, np.uint8), numpy_helper.from_array(rand("s8", (k, n)), "B"),
             const("bs", 0.01, np.float32), const("bz", 0, np.int8), numpy_helper.from_array(RNG.integers(-999, 999, n).astype(np.int32), "C"),
             const("ys", 0.05, np.float32), const("yz", 128, np.uint8)]
    node = helper.make_node("QGemm", ["A", "as", "az", "B", "bs", "bz", "C", "ys", "yz"], ["Y"], domain="com.microsoft")
    return model_of([node], [vi("A", T.UINT8, [m, k])], [vi("Y", T.UINT8, [m, n])], inits), {"A": rand("u8", (m, k))}, m * n * k


def matmul_integer_to_float(m, n, k):
    inits = [numpy_helper.from_array(rand("s8", (k, n)), "B"), const("as", 0.02, np.float32), const("bs", np.full(n, 0.01), np.float32),
             const("az", 128, np.uint8), const("bz", np.zeros(n), np.int8), const("bias", RNG.random(n), np.float32)]
    node = helper.make_node("MatMulIntegerToFloat", ["A", "B", "as", "bs", "az", "bz", "bias"], ["Y"], domain="com.microsoft")
    return model_of([node], [vi("A", T.UINT8, [m, k])], [vi("Y", T.FLOAT, [m, n])], inits), {"A": rand("u8", (m, k))}, m * n * k


def dynamic_quantize_matmul(m, n, k):
    """com.microsoft DynamicQuantizeMatMul: float A quantized to uint8 on the fly, int8 B."""
    inits = [numpy_helper.from_array(rand("s8", (k, n)), "B"), const("bs", np.full(n, 0.01), np.float32),
             const("bz", np.zeros(n), np.int8)]
    node = helper.make_node("DynamicQuantizeMatMul", ["A", "B", "bs", "bz"], ["Y"], domain="com.microsoft")
    feed = {"A": RNG.random((m, k), dtype=np.float32)}
    return model_of([node], [vi("A", T.FLOAT, [m, k])], [vi("Y", T.FLOAT, [m, n])], inits), feed, m * n * k


def qlinear_conv(batch, hw, cin, cout, weight_zp=0):
    """com.microsoft QLinearConv, NHWC, u8 activations × s8 per-channel weights, 3×3 pad 1: what onnxruntime makes
    of the bundled model's QDQ convs. ``weight_zp`` ≠ 0 sends it to im2col + the u8×s8 GEMM."""
    inits = [const("xs", 0.02, np.float32), const("xz", 0, np.uint8),
             numpy_helper.from_array(RNG.integers(-100, 100, (cout, cin, 3, 3)).astype(np.int8), "W"),
             const("ws", RNG.random(cout) * 0.01 + 0.001, np.float32), const("wz", np.full(cout, weight_zp), np.int8),
             const("ys", 0.05, np.float32), const("yz", 0, np.uint8), const("b", RNG.integers(-999, 999, cout), np.int32)]
    node = helper.make_node("QLinearConv", ["X", "xs", "xz", "W", "ws", "wz", "ys", "yz", "b"], ["Y"],
                            domain="com.microsoft", channels_last=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = model_of([node], [vi("X", T.UINT8, [batch, hw, hw, cin])], [vi("Y", T.UINT8, [batch, hw, hw, cout])], inits)
    return model, {"X": rand("u8", (batch, hw, hw, cin))}, batch * hw * hw * cout * cin * 9


def conv_integer(batch, hw, cin, cout):
    """ConvInteger (NCHW, u8 × s8 → int32): im2col + the integer GEMM, no requantization."""
    inits = [numpy_helper.from_array(RNG.integers(-100, 100, (cout, cin, 3, 3)).astype(np.int8), "W"),
             const("xz", 0, np.uint8), const("wz", 0, np.int8)]
    node = helper.make_node("ConvInteger", ["X", "W", "xz", "wz"], ["Y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = model_of([node], [vi("X", T.UINT8, [batch, cin, hw, hw])], [vi("Y", T.INT32, [batch, cout, hw, hw])], inits)
    return model, {"X": rand("u8", (batch, cin, hw, hw))}, batch * hw * hw * cout * cin * 9


def im2col_qlinear_matmul(batch, hw, cin, cout):
    """A 3×3 pad-1 NHWC conv written as ONNX ops: Pad, nine Slices, Concat (im2col in the graph), Reshape, then
    QLinearMatMul u8×s8 (the AMX-eligible GEMM with requantization) on all ``batch·hw·hw`` rows at once."""
    nodes = [helper.make_node("Pad", ["X", "pads", "xz"], ["Xp"])]
    inits = [const("pads", [0, 1, 1, 0, 0, 1, 1, 0], np.int64), const("axes", [1, 2], np.int64),
             const("rows", [-1, 9 * cin], np.int64), const("xs", 0.02, np.float32), const("xz", 0, np.uint8),
             numpy_helper.from_array(rand("s8", (9 * cin, cout)), "W"), const("ws", 0.01, np.float32), const("wz", 0, np.int8),
             const("ys", 0.05, np.float32), const("yz", 0, np.uint8)]
    taps = []
    for dy in range(3):
        for dx in range(3):
            inits += [const(f"b{dy}{dx}", [dy, dx], np.int64), const(f"e{dy}{dx}", [dy + hw, dx + hw], np.int64)]
            nodes.append(helper.make_node("Slice", ["Xp", f"b{dy}{dx}", f"e{dy}{dx}", "axes"], [f"t{dy}{dx}"]))
            taps.append(f"t{dy}{dx}")
    nodes += [helper.make_node("Concat", taps, ["cols"], axis=3), helper.make_node("Reshape", ["cols", "rows"], ["A"]),
              helper.make_node("QLinearMatMul", ["A", "xs", "xz", "W", "ws", "wz", "ys", "yz"], ["Y"])]
    model = model_of(nodes, [vi("X", T.UINT8, [batch, hw, hw, cin])], [vi("Y", T.UINT8, [batch * hw * hw, cout])], inits)
    return model, {"X": rand("u8", (batch, hw, hw, cin))}, batch * hw * hw * cout * cin * 9


def kernel_rows(batch: int) -> list[tuple[str, tuple]]:
    m = batch * 196  # the 14×14 convs as GEMMs: M = batch·196 rows
    return [
        ("MatMulInteger u8×s8 512³, B an input (the int8 floor)", matmul_integer(512, 512, 512, const_b=False)),
        (f"MatMulInteger u8×s8 {m}×64×576, B constant", matmul_integer(m, 64, 576)),
        (f"MatMulInteger u8×s8 {m}×64×576, B an input", matmul_integer(m, 64, 576, const_b=False)),
        (f"MatMulInteger u8×u8 {m}×64×576, B constant", matmul_integer(m, 64, 576, b="u8")),
        (f"MatMulInteger s8×s8 {m}×64×576, B constant", matmul_integer(m, 64, 576, a="s8")),
        (f"MatMulInteger u8×s8 {m}×128×576 (N=128)", matmul_integer(m, 128, 576)),
        (f"MatMulInteger u8×s8 {m}×64×288 (conv2's K)", matmul_integer(m, 64, 288)),
        (f"MatMulInteger u8×s8 {m}×64×36 (conv1's K)", matmul_integer(m, 64, 36)),
        ("MatMulInteger u8×s8 2048×64×576", matmul_integer(2048, 64, 576)),
        (f"QLinearMatMul u8×s8 {m}×64×576", qlinear_matmul(m, 64, 576)),
        (f"QGemm u8×s8 {m}×64×576 (bias, u8 out)", qgemm(m, 64, 576)),
        (f"MatMulIntegerToFloat u8×s8 {m}×64×576", matmul_integer_to_float(m, 64, 576)),
        (f"DynamicQuantizeMatMul f32→u8×s8 {m}×64×576", dynamic_quantize_matmul(m, 64, 576)),
        (f"ConvInteger u8×s8 64→64 14×14 ×{batch} (NCHW, int32 out)", conv_integer(batch, 14, 64, 64)),
        (f"QLinearConv 64→64 14×14 ×{batch}, w zp 0 (bundled: conv3)", qlinear_conv(batch, 14, 64, 64)),
        (f"QLinearConv 64→64 14×14 ×{batch}, w zp -1", qlinear_conv(batch, 14, 64, 64, -1)),
        (f"Pad+9 Slice+Concat+QLinearMatMul 64→64 14×14 ×{batch}", im2col_qlinear_matmul(batch, 14, 64, 64)),
        (f"QLinearConv 64→64 7×7 ×{batch}, w zp 0 (conv4)", qlinear_conv(batch, 7, 64, 64)),
        (f"QLinearConv 64→64 7×7 ×{batch}, w zp -1", qlinear_conv(batch, 7, 64, 64, -1)),
        (f"QLinearConv 32→64 14×14 ×{batch}, w zp 0 (conv2)", qlinear_conv(batch, 14, 32, 64)),
        (f"QLinearConv 32→64 14×14 ×{batch}, w zp -1", qlinear_conv(batch, 14, 32, 64, -1)),
        (f"QLinearConv 4→32 14×14 ×{batch}, w zp 0 (conv1)", qlinear_conv(batch, 14, 4, 32)),
        (f"QLinearConv 4→32 14×14 ×{batch}, w zp -1", qlinear_conv(batch, 14, 4, 32, -1)),
    ]


def kernels(batch: int, rounds: int) -> dict:
    rows = kernel_rows(batch)
    cases = {name: (session(model), feed) for name, (model, feed, _) in rows}
    macs = {name: mac for name, (_, _, mac) in rows}
    secs = interleaved(cases, rounds)
    return {name: macs[name] / secs[name] / 1e9 for name in cases}


# --------------------------------------------------------------------------- the graph change

def shift_weight_zero_point(model: onnx.ModelProto, convs=None) -> onnx.ModelProto:
    """A copy of the QDQ ``model`` where the int8 weights of each Conv named in ``convs`` (None: every Conv) are stored
    as ``w - 1`` with zero point -1 instead of ``w`` with zero point 0. Same dequantized weights, same function, same
    multiply-adds; onnxruntime runs those convs as im2col + the u8×s8 GEMM instead of its symmetric conv kernel.
    Raises ValueError for a conv whose weights are not symmetric int8 in [-127, 127]."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    inits = {t.name: t for t in out.graph.initializer}
    producer = {o: n for n in out.graph.node for o in n.output}
    for node in out.graph.node:
        if node.op_type != "Conv" or (convs is not None and node.name not in convs):
            continue
        dq = producer.get(node.input[1])
        if dq is None or dq.op_type != "DequantizeLinear" or len(dq.input) < 3 or dq.input[0] not in inits or dq.input[2] not in inits:
            raise ValueError(f"{node.name}: weights are not a DequantizeLinear of an initializer with a zero point")
        w, z = numpy_helper.to_array(inits[dq.input[0]]), numpy_helper.to_array(inits[dq.input[2]])
        if w.dtype != np.int8 or z.dtype != np.int8 or z.any() or w.min() < -127:
            raise ValueError(f"{node.name}: weights are not symmetric int8 in [-127, 127]")
        inits[dq.input[0]].CopyFrom(numpy_helper.from_array((w.astype(np.int16) - 1).astype(np.int8), dq.input[0]))
        inits[dq.input[2]].CopyFrom(numpy_helper.from_array(np.full_like(z, -1), dq.input[2]))
    return out


def network_variants() -> dict:
    int8 = onnx.load(str(DEFAULT_INT8))
    convs = [n.name for n in int8.graph.node if n.op_type == "Conv"]  # conv1 (K=36), conv2 (288), conv3, conv4 (576)
    return {"bundled int8": int8,
            "w zp -1: conv3, conv4": shift_weight_zero_point(int8, set(convs[2:])),
            "w zp -1: conv2, conv3, conv4": shift_weight_zero_point(int8, set(convs[1:])),
            "w zp -1: all four convs": shift_weight_zero_point(int8),
            "fp32": onnx.load(str(DEFAULT_FP32))}


def network(rounds: int, accuracy: bool) -> dict:
    from edgecnn.tooling.floor import gemm_peak, macs_per_image

    variants = network_variants()
    peaks = {"int8": max(gemm_peak("int8") for _ in range(3)), "fp32": max(gemm_peak("fp32") for _ in range(3))}
    macs = macs_per_image(DEFAULT_INT8)[0]
    out = {"int8_peak_gmacs": peaks["int8"] / 1e9, "fp32_peak_gmacs": peaks["fp32"] / 1e9, "macs_per_image": macs, "rows": {}}
    sessions = {name: session(m) for name, m in variants.items()}
    for batch in (64, 1):
        x = RNG.random((batch, 28, 28, 1), dtype=np.float32)
        secs = interleaved({name: (s, {"image": x}) for name, s in sessions.items()}, rounds)
        for name, s in secs.items():
            us = s / batch * 1e6
            floor_us = macs / peaks["fp32" if name == "fp32" else "int8"] * 1e6
            out["rows"].setdefault(name, {})[f"b{batch}_us"] = us
            out["rows"][name][f"b{batch}_x_floor"] = us / floor_us
    if accuracy:
        from edgecnn.tooling.mnist import load_split, to_input

        test = load_split("test")
        x = to_input(test.images)
        preds = {}
        for name, s in sessions.items():
            probs = np.concatenate([s.run(None, {"image": x[i:i + 500]})[0] for i in range(0, len(x), 500)])
            preds[name] = probs.argmax(1)
            out["rows"][name]["mnist"] = float((preds[name] == test.labels).mean())
        for name in preds:
            out["rows"][name]["differs_from_bundled"] = int((preds[name] != preds["bundled int8"]).sum())
    return out


# --------------------------------------------------------------------------- driver

def child(args) -> None:
    info = load_onnxruntime(args.amx == "on", args.cpu)
    result = {"mode": args.amx, **info, "kernels": kernels(args.batch, args.rounds),
              "network": network(args.rounds, args.accuracy)}
    print(json.dumps(result))


def run_child(amx: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", amx, "--cpu", str(args.cpu), "--batch", str(args.batch),
           "--rounds", str(args.rounds)] + ([] if args.accuracy else ["--no-accuracy"])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], path) -> float:
    vals = []
    for r in runs:
        for key in path:
            r = r.get(key) if isinstance(r, dict) else None
        if isinstance(r, (int, float)):
            vals.append(r)
    return statistics.median(vals) if vals else float("nan")


def report(runs: dict, args) -> dict:
    cpu = cpu_info()
    on, off = runs["on"], runs["off"]
    host = f"{cpu['model']} ({', '.join(cpu['isa'] or [])}), onnxruntime {on[0]['onnxruntime']}, one thread on CPU {args.cpu}"
    print(f"host: {host}")
    print(f"AMX on: onnxruntime loaded with affinity {on[0]['affinity_at_import']}, then pinned; "
          f"AMX off: pinned to {off[0]['affinity_at_import']} before loading onnxruntime (its AMX probe needs two CPUs).")
    print(f"medians of {args.rounds} interleaved rounds and of {args.repeats} alternating runs per mode\n")
    print(f"1. one-node models, batch {args.batch} where it applies: GMAC/s")
    print(f"  {'kernel':62s} {'AMX on':>7s} {'AMX off':>7s}  on/off")
    table = {"host": host, "kernels": {}, "network": {}}
    for name in on[0]["kernels"]:
        a, b = median_of(on, ["kernels", name]), median_of(off, ["kernels", name])
        table["kernels"][name] = {"amx_on_gmacs": a, "amx_off_gmacs": b}
        print(f"  {name:62s} {a:7.0f} {b:7.0f}  {a / b:5.2f}×")
    for mode, rs in (("on", on), ("off", off)):
        peak = median_of(rs, ["network", "int8_peak_gmacs"])
        fpeak = median_of(rs, ["network", "fp32_peak_gmacs"])
        print(f"\n2. the whole network, AMX {mode}: µs per image (× floor: {on[0]['network']['macs_per_image'] / 1e6:.2f}M MACs "
              f"over the int8 peak {peak:.0f} GMAC/s, fp32 over {fpeak:.0f})")
        print(f"  {'model':30s} {'b64 µs':>7s} {'×floor':>6s} {'vs bundled':>10s} {'b1 µs':>7s} {'×floor':>6s} {'vs bundled':>10s}"
              f" {'MNIST':>7s} {'≠bundled':>8s}")
        rows = rs[0]["network"]["rows"]
        base = {b: median_of(rs, ["network", "rows", "bundled int8", f"b{b}_us"]) for b in (64, 1)}
        for name in rows:
            m = {k: median_of(rs, ["network", "rows", name, k]) for k in rows[name]}
            table["network"].setdefault(mode, {})[name] = m
            acc = f"{m['mnist'] * 100:6.2f}%" if "mnist" in m else "      —"
            diff = f"{m['differs_from_bundled']:8.0f}" if "differs_from_bundled" in m else "       —"
            print(f"  {name:30s} {m['b64_us']:7.1f} {m['b64_x_floor']:6.2f} {base[64] / m['b64_us']:9.2f}× "
                  f"{m['b1_us']:7.1f} {m['b1_x_floor']:6.2f} {base[1] / m['b1_us']:9.2f}× {acc} {diff}")
    return table


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)), help="the core to pin to (default: the last one allowed)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2, help="child runs per mode, alternating on/off")
    ap.add_argument("--no-accuracy", dest="accuracy", action="store_false", help="skip MNIST test accuracy (10k images)")
    ap.add_argument("--json", action="store_true", help="also print the table as JSON")
    ap.add_argument("--child", choices=["on", "off"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.amx = args.child
        child(args)
        return
    if "onnxruntime" in sys.modules:
        raise SystemExit("onnxruntime is already loaded: run this file as a script")
    if len(os.sched_getaffinity(0)) < 2:
        print("warning: this process may use one CPU only (taskset?); onnxruntime's AMX probe needs two, so 'AMX on' "
              "will be off too", file=sys.stderr)
    runs = {"on": [], "off": []}
    for _ in range(args.repeats):
        for mode in ("on", "off"):
            runs[mode].append(run_child(mode, args))
    table = report(runs, args)
    if args.json:
        print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
