#!/usr/bin/env python
"""Which network shape lets int8 reach its compute floor? Time untrained `edge` variants in onnxruntime.

    .venv/bin/python scripts/stem_variants.py [NAME ...] [--batch 64] [--rounds 7]

Speed does not depend on the weights, so each variant is built untrained, exported and quantized
with the exporter's own code (``to_onnx``, ``quantize`` calibrated on 200 training images), then
timed single-threaded on core 0, fp32 and int8 interleaved. "× floor" is time per image ÷
(multiply-adds ÷ the GEMM peak of the same precision, measured in the same run) — the figure
``edgecnn bench`` reports. Accuracy is a separate question: only the chosen variant was trained.

Measured here (batch 64, onnxruntime 1.31, AVX-512 VNNI; conv3 training paused; ±10% run to run):

    variant      MACs   fp32 µs  int8 µs  int8 × floor
    old edge     7.45M   171      97      2.44   1 input channel: first conv K=9, 34% of int8 time
    s2d          7.45M   156      60      1.53   space-to-depth 14×14×4 stem, then 32-32-64-pool-64
    stride2k3    7.28M   143      59      1.72   3×3 stride-2 stem: still one input channel
    stride2k4    7.33M   143      63      1.82
    s2d_3        5.65M   119      45      1.50   one conv fewer
    s2d_b4_128   9.26M   193      70      1.43   wider last block (7×7: few GEMM rows)
    s2d_stem64   9.48M   194      69      1.36   64-channel stem
    s2d_48      10.16M   203      74      1.38
    s2d_64      12.87M   263      87      1.27   32-64-64-pool-64 → the new `edge`

Why: onnxruntime runs each QLinearConv as im2col + an int8 GEMM whose inner dimension is
3·3·input channels and whose width is the output channels. VNNI fills best with wide, deep GEMMs;
a 1-channel input (K=9) or 32 outputs leave it idle. Going to 64 outputs after a 4-channel stem
made int8 ~10% faster per image than the old net while doing 1.7× the work.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def variants() -> dict:
    """name → builder; a spec is the stem then conv widths, "P" a 2×2 max-pool."""
    from keras import layers

    from edgecnn.train.architectures import _conv_bn, _sequential, _space_to_depth

    def stride2(k):
        return lambda: [layers.Conv2D(32, k, strides=2, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]

    specs = {
        "old_edge": (list, [32, "P", 32, 64, "P", 64]),
        "s2d": (_space_to_depth, [32, 32, 64, "P", 64]),
        "stride2k3": (stride2(3), [32, 64, "P", 64]),
        "stride2k4": (stride2(4), [32, 64, "P", 64]),
        "s2d_3": (_space_to_depth, [32, 64, "P", 64]),
        "s2d_b4_128": (_space_to_depth, [32, 32, 64, "P", 128]),
        "s2d_stem64": (_space_to_depth, [64, 32, 64, "P", 64]),
        "s2d_48": (_space_to_depth, [32, 48, 64, "P", 64]),
        "s2d_64": (_space_to_depth, [32, 64, 64, "P", 64]),
    }

    def builder(name, stem, widths):
        def build():
            body = stem()
            for i, w in enumerate(widths):
                body += [layers.MaxPooling2D(2)] if w == "P" else _conv_bn(w, f"c{i}")
            return _sequential(name, *body, layers.GlobalAveragePooling2D())
        return build

    return {name: builder(name, *spec) for name, spec in specs.items()}


def export(build, folder: Path) -> tuple[Path, Path]:
    import onnx

    from edgecnn.export.convert import to_onnx
    from edgecnn.export.quantize import calibration_images, quantize
    from edgecnn.tooling.mnist import load_split

    model = build()
    model(np.zeros((1, 28, 28, 1), np.float32))
    fp32, int8 = folder / f"{model.name}.onnx", folder / f"{model.name}.int8.onnx"
    onnx.save(to_onnx(model), fp32)
    quantize(fp32, int8, calibration_images(load_split("train").images, 200, 0))
    return fp32, int8


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    table = variants()
    names = a.names or list(table)
    os.sched_setaffinity(0, {0})

    import warnings

    from edgecnn.tooling.bench import Settings, gemm_peak, macs_per_image, time_interleaved
    from edgecnn.onnxmodel import OnnxModel

    warnings.filterwarnings("ignore", message=".*no edgecnn metadata.*")
    with tempfile.TemporaryDirectory() as tmp:
        files = {n: export(table[n], Path(tmp)) for n in names}
        sessions = {(n, p): (OnnxModel(f), macs_per_image(f)[0]) for n, pair in files.items() for p, f in zip(("fp32", "int8"), pair)}
        peak = {"fp32": gemm_peak("fp32", 1, 0.5), "int8": gemm_peak("int8", 1, 0.5)}
        x = np.random.default_rng(0).random((a.batch, 28, 28, 1), np.float32)
        samples = time_interleaved({k: (lambda m=m: m.predict(x)) for k, (m, _) in sessions.items()},
                                   Settings(rounds=a.rounds, min_calls=20 * a.rounds, max_calls=20 * a.rounds))
    times = {k: np.asarray(v) / a.batch * 1e6 for k, v in samples.items()}  # µs per image, per call
    print(f"GEMM peak: fp32 {peak['fp32'] / 1e9:.0f}, int8 {peak['int8'] / 1e9:.0f} GMAC/s; batch {a.batch}, one thread")
    print(f"{'variant':12s} {'MACs':>7s} {'fp32 µs':>8s} {'int8 µs':>8s} {'int8 × floor':>13s}")
    for n in names:
        us = {p: float(np.median(times[(n, p)])) for p in ("fp32", "int8")}
        macs = sessions[(n, "int8")][1]
        print(f"{n:12s} {macs / 1e6:6.2f}M {us['fp32']:8.0f} {us['int8']:8.0f} {us['int8'] / (macs / peak['int8'] * 1e6):13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
