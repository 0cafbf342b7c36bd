"""Benchmark Keras, onnxruntime fp32 and onnxruntime int8 side by side, and against the machine's limit.

:func:`run` measures, in one process and one run, with the same inputs and pinned threads:

* latency p50/p90/p99 and throughput per runtime and batch size (warm-ups first; the
  runtimes are interleaved round by round so all see the same machine load);
* model size on disk; cold start (session creation + first inference, in a fresh process)
  and the resident memory of the ``predict`` path (same fresh process);
* the frame pipeline (segmentation + normalization + inference of a generated 640×480
  photo with 6 digits), median and p95 (timed by :mod:`edgecnn.tooling.frametime`);
* the compute floor (:mod:`edgecnn.tooling.floor`): multiply-adds per image from the ONNX graph ÷ the measured
  single-core GEMM peak (onnxruntime's own MLAS kernels), and each result as "× floor".

It returns a plain dict (the ``--json`` document); the CLI renders it. TensorFlow is
imported only when a Keras model is given.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import EdgeCNNError
from .floor import gemm_peak, macs_per_image

DEFAULT_BATCHES = (1, 8, 64, 256)


@dataclass(frozen=True)
class Settings:
    """How long to measure. ``quick`` is for tests and smoke runs (tiny iteration counts)."""

    batches: tuple[int, ...] = DEFAULT_BATCHES
    threads: int = 1
    seconds: float = 1.0      # measuring time per runtime and batch size
    rounds: int = 5           # interleaving rounds
    min_calls: int = 10
    max_calls: int = 5000
    warmup: int = 3
    frames: bool = True
    frame_calls: int = 100
    cold_runs: int = 3

    @classmethod
    def quick(cls, **kw) -> "Settings":
        return cls(**{"seconds": 0.02, "rounds": 1, "min_calls": 2, "max_calls": 3, "warmup": 1,
                      "frame_calls": 3, "cold_runs": 1, **kw})


# --------------------------------------------------------------------------- timing


def percentiles(samples_s: list[float], batch: int) -> dict:
    """p50/p90/p99 latency (ms) and throughput (images/s) from per-call times in seconds."""
    a = np.asarray(samples_s, np.float64)
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return {"p50_ms": p50 * 1e3, "p90_ms": p90 * 1e3, "p99_ms": p99 * 1e3,
            "throughput_ips": batch * len(a) / a.sum(), "calls": len(a)}


def time_interleaved(fns: dict[str, Callable[[], object]], s: Settings) -> dict[str, list[float]]:
    """Per-call seconds for each function, warmed up, interleaved over ``s.rounds`` rounds."""
    calls = {}
    for name, fn in fns.items():
        for _ in range(s.warmup):
            fn()
        t = time.perf_counter()
        fn()
        est = max(time.perf_counter() - t, 1e-6)
        calls[name] = int(np.clip(s.seconds / est, s.min_calls, s.max_calls))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(s.rounds):
        for name, fn in fns.items():
            n = calls[name] // s.rounds + (1 if r < calls[name] % s.rounds else 0)
            for _ in range(n):
                t = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t)
    return samples


# --------------------------------------------------------------------------- fresh-process figures

_FRESH = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import onnxruntime
from edgecnn.onnxmodel import OnnxModel
t1 = time.perf_counter()
m = OnnxModel(sys.argv[1], threads=int(sys.argv[2]))
m.predict(np.zeros((1, 28, 28, 1), np.float32))
t2 = time.perf_counter()
for _ in range(20):
    m.predict(np.random.rand(64, 28, 28, 1).astype(np.float32))
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
kb = lambda k: int(status[k].split()[0]) if k in status else None
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "cold_start_ms": (t2 - t1) * 1e3,
                  "rss_mb": (kb("VmRSS") or 0) / 1024, "peak_rss_mb": (kb("VmHWM") or 0) / 1024, "heavy": heavy}))
"""


def fresh_process(path: Path, threads: int) -> dict:
    """Cold start and resident memory of ``OnnxModel(path).predict`` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _FRESH, str(path), str(threads)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise EdgeCNNError(f"{path}: the fresh-process measurement failed ({tail[:200]})")
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- runtimes


@dataclass
class Runtime:
    name: str                         # "keras model(x)", "onnx fp32", ...
    kind: str                         # keras-call | keras-predict | onnx
    path: Path
    run: Callable[[np.ndarray], object]
    precision: str = "fp32"


def onnx_runtime(path: Path, threads: int, label: str | None = None) -> tuple[Runtime, object]:
    """An onnxruntime runtime timed through ``session.run`` (what ``OnnxModel.predict`` wraps)."""
    from ..onnxmodel import OnnxModel

    m = OnnxModel(path, threads=threads)
    precision = m.info.precision if m.info.precision in ("fp32", "int8") else ("int8" if ".int8." in path.name else "fp32")
    sess, inp, out = m.session, m.input_name, m.output_name
    nchw = m.layout == "NCHW"

    def run(x):
        return sess.run([out], {inp: x.transpose(0, 3, 1, 2).copy() if nchw else x})

    return Runtime(label or f"onnx {precision}", "onnx", path, run, precision), m


def keras_runtimes(source: str | os.PathLike, threads: int) -> tuple[list[Runtime], Path, float]:
    """Keras ``model(x)`` and ``model.predict`` runtimes, the .keras path, and load+first-call ms."""
    from .evaluate import resolve

    src = resolve(source)
    if src.kind != "keras":
        raise EdgeCNNError(f"--keras {source}: expected a run directory or a .keras file")
    from edgecnn.export.convert import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialized in this process
        pass
    from edgecnn.export.convert import load_keras

    t = time.perf_counter()
    model = load_keras(src.path)
    model(np.zeros((1, 28, 28, 1), np.float32), training=False)
    cold = (time.perf_counter() - t) * 1e3
    call = Runtime("keras model(x)", "keras-call", src.path, lambda x: model(x, training=False))
    pred = Runtime("keras predict", "keras-predict", src.path, lambda x: model.predict(x, batch_size=len(x), verbose=0))
    return [call, pred], src.path, cold


def default_models() -> list[Path]:
    from ..models import DEFAULT_FP32, DEFAULT_INT8

    found = [p for p in (DEFAULT_FP32, DEFAULT_INT8) if p.is_file()]
    if not found:
        raise EdgeCNNError(f"no bundled models in {DEFAULT_FP32.parent}; pass --model PATH")
    return found


# --------------------------------------------------------------------------- the benchmark


def run(models: list[Path] | None = None, keras: str | os.PathLike | None = None, settings: Settings = Settings(),
        progress: Callable[[str], None] = lambda m: None) -> dict:
    """Measure everything (see module doc) and return the result document."""
    import cv2

    s = settings
    if not s.batches or min(s.batches) < 1:
        raise EdgeCNNError("batch sizes must be ≥ 1", exit_code=2)
    if s.threads < 1:
        raise EdgeCNNError(f"threads must be ≥ 1 (got {s.threads})", exit_code=2)
    cv2.setNumThreads(s.threads)
    models = [Path(m) for m in (models or default_models())]

    runtimes: list[Runtime] = []
    sizes, cold, onnx_models = [], [], {}
    keras_cold = None
    if keras is not None:
        progress(f"loading Keras model {keras}")
        ks, kpath, keras_cold = keras_runtimes(keras, s.threads)
        runtimes += ks
        sizes.append({"runtime": "keras", "path": str(kpath), "bytes": kpath.stat().st_size})
        cold.append({"runtime": "keras", "cold_start_ms": keras_cold, "where": "in process, TensorFlow already imported"})
    names = set()
    for path in models:
        rt, m = onnx_runtime(path, s.threads)
        if rt.name in names:
            rt.name = f"{rt.name} ({path.name})"
        names.add(rt.name)
        runtimes.append(rt)
        onnx_models[rt.name] = (path, m)
        sizes.append({"runtime": rt.name, "path": str(path), "bytes": path.stat().st_size})

    progress("measuring the compute floor (GEMM peak, multiply-adds per image)")
    macs, macs_method = macs_per_image(models[0])
    peak_secs = 0.05 if s.rounds == 1 else 0.5
    peak_fp32 = gemm_peak("fp32", s.threads, peak_secs)
    peak_int8 = gemm_peak("int8", s.threads, peak_secs)
    floor_us = macs / peak_fp32 * 1e6 if macs else None
    floor_int8_us = macs / peak_int8 * 1e6 if macs else None

    rng = np.random.default_rng(0)
    results = []
    for batch in s.batches:
        progress(f"batch {batch}")
        x = np.ascontiguousarray(rng.random((batch, 28, 28, 1), dtype=np.float32))
        samples = time_interleaved({rt.name: (lambda rt=rt: rt.run(x)) for rt in runtimes}, s)
        for rt in runtimes:
            r = {"runtime": rt.name, "batch": batch, **percentiles(samples[rt.name], batch)}
            per_image_us = r["p50_ms"] * 1e3 / batch
            r["us_per_image"] = per_image_us
            r["x_floor"] = per_image_us / floor_us if floor_us else None
            r["x_floor_int8_peak"] = per_image_us / floor_int8_us if (floor_int8_us and rt.precision == "int8") else None
            results.append(r)

    progress("cold start and memory (fresh process per model)")
    memory = []
    for name, (path, _) in onnx_models.items():
        f = fresh_process(path, s.threads)
        runs = [f] + [fresh_process(path, s.threads) for _ in range(s.cold_runs - 1)]
        cold.append({"runtime": name, "cold_start_ms": float(np.median([r["cold_start_ms"] for r in runs])),
                     "import_ms": float(np.median([r["import_ms"] for r in runs])),
                     "where": "fresh process: session creation + first inference (imports not included)"})
        memory.append({"runtime": name, "rss_mb": f["rss_mb"], "peak_rss_mb": f["peak_rss_mb"],
                       "imports_tensorflow": bool(f["heavy"])})

    frames = None
    if s.frames:
        progress("frame pipeline (640×480, 6 digits)")
        frames = frame_pipeline({n: p for n, (p, _) in onnx_models.items()}, s)

    doc = {
        "machine": machine(s.threads),
        "settings": {"batches": list(s.batches), "threads": s.threads, "seconds_per_cell": s.seconds,
                     "rounds": s.rounds, "warmup": s.warmup, "quick": s.rounds == 1},
        "models": sizes,
        "floor": {"macs_per_image": macs, "macs_method": macs_method,
                  "peak_fp32_gmacs": peak_fp32 / 1e9, "peak_int8_gmacs": peak_int8 / 1e9,
                  "peak_method": f"onnxruntime MatMul / MatMulInteger 512×512×512, {s.threads} thread(s), best run",
                  "floor_us_per_image": floor_us, "floor_int8_us_per_image": floor_int8_us},
        "results": results,
        "cold_start": cold,
        "memory": memory,
        "frames": frames,
        "speedups": speedups(results),
    }
    doc["targets"] = targets(doc)
    return doc


BASELINE = "straightforward"  # frame rows: the straightforward pipeline, and edgecnn on a blank frame
BLANK = "blank frame"


def frame_pipeline(models: dict[str, Path], s: Settings) -> list[dict]:
    """Read a generated 640×480 photo with one row of 6 digits; per-frame total, segment and infer ms.

    Besides each model, interleaved in the same loop: the straightforward pipeline
    (:mod:`edgecnn.tooling.baseline`) with the int8 model (the first model if none is int8), and
    that model's reader on a blank frame (nearly black, with compression blocks a few levels apart).
    """
    from ..reader import DigitReader
    from ..webcam import LOOK_AGAIN
    from .baseline import straightforward
    from .frametime import time_reads
    from .synth import make_photo

    photo = next(p for p in (make_photo(seed, size=(640, 480), rows=1, per_row=6, polarity="dark") for seed in range(1, 100))
                 if len(p.digits) == 6)
    readers = {name: DigitReader(path, threads=s.threads, min_confidence=0.0, look_again=LOOK_AGAIN)  # as the webcam reads
               for name, path in models.items()}
    main = next((n for n in models if "int8" in n), next(iter(models)))
    readers[f"{BASELINE} ({main})"] = DigitReader(models[main], threads=s.threads, min_confidence=0.0,
                                                  segmenter=straightforward, look_again=False, upright=False)
    timings = time_reads(readers, [photo.image], repeat=s.frame_calls, warmup=s.warmup)  # interleaved
    blank = time_reads({f"{BLANK} ({main})": readers[main]}, [blank_frame()], repeat=s.frame_calls, warmup=s.warmup)
    out = []
    for name, ts in {**timings, **blank}.items():
        total = [t["total"] for t in ts]
        out.append({"runtime": name, "median_ms": float(np.median(total)), "p95_ms": float(np.percentile(total, 95)),
                    "segment_ms": float(np.median([t["segment"] for t in ts])),
                    "infer_ms": float(np.median([t["infer"] for t in ts])),
                    "digits_found": ts[-1]["digits"], "digits_true": 0 if name.startswith(BLANK) else len(photo.digits),
                    "frames": len(ts), "model": name == main})
    return out


def blank_frame(seed: int = 0) -> np.ndarray:
    """A 640×480 camera frame with nothing in view: nearly black, 8×8 compression blocks ±3 levels apart."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(8, 15, (60, 80), dtype=np.uint8)
    return np.repeat(np.repeat(blocks, 8, axis=0), 8, axis=1)[..., None].repeat(3, axis=2)


def speedups(results: list[dict]) -> dict:
    """The ratios the targets are stated in (None when a runtime or batch size was not measured)."""
    def get(name_prefix, batch, key="p50_ms"):
        for r in results:
            if r["runtime"].startswith(name_prefix) and r["batch"] == batch:
                return r[key]
        return None

    def ratio(a, b):
        return a / b if a and b else None

    out = {
        "fp32_vs_keras_predict_batch1": ratio(get("keras predict", 1), get("onnx fp32", 1)),
        "fp32_vs_keras_call_batch1": ratio(get("keras model(x)", 1), get("onnx fp32", 1)),
    }
    for b in sorted({r["batch"] for r in results}):
        out[f"int8_vs_fp32_throughput_batch{b}"] = ratio(get("onnx int8", b, "throughput_ips"), get("onnx fp32", b, "throughput_ips"))
        out[f"int8_vs_fp32_p50_batch{b}"] = ratio(get("onnx fp32", b), get("onnx int8", b))
    return out


def targets(result: dict) -> list[dict]:
    """The speed targets for the default model, checked against this run (None: not measured)."""
    sp, res = result["speedups"], result["results"]

    def floor(name, batch):
        """× floor against the runtime's own precision: int8 is held to the int8 GEMM peak, not fp32's."""
        return next((r.get("x_floor_int8_peak") or r["x_floor"] for r in res
                     if r["runtime"].startswith(name) and r["batch"] == batch), None)

    cold = [c["cold_start_ms"] for c in result["cold_start"] if c["runtime"].startswith("onnx")]
    rss = [m["peak_rss_mb"] for m in result["memory"]]
    frames = result.get("frames") or []
    main = next((f for f in frames if f.get("model")), None)
    base = next((f for f in frames if f["runtime"].startswith(BASELINE)), None)
    blank = next((f for f in frames if f["runtime"].startswith(BLANK)), None)
    rows = [("frame 640×480, 6 digits: median ms", main and main["median_ms"], "<=", 3),
            ("frame vs the straightforward pipeline, same model", main and base and main["median_ms"] / base["median_ms"],
             "<=", 2),
            ("blank frame: median ms", blank and blank["median_ms"], "<=", 1),
            ("onnx fp32 vs keras predict, batch 1", sp.get("fp32_vs_keras_predict_batch1"), ">=", 100),
            ("onnx fp32 vs keras model(x), batch 1", sp.get("fp32_vs_keras_call_batch1"), ">=", 20),
            ("int8 vs fp32 throughput, batch 64", sp.get("int8_vs_fp32_throughput_batch64"), ">=", 1.5),
            ("onnx fp32 × floor, batch 1", floor("onnx fp32", 1), "<=", 3),
            ("onnx int8 × int8 floor, batch 1", floor("onnx int8", 1), "<=", 3),
            ("onnx fp32 × floor, batch 64", floor("onnx fp32", 64), "<=", 1.5),
            ("onnx int8 × int8 floor, batch 64", floor("onnx int8", 64), "<=", 1.5),
            ("cold start ms (worst model)", max(cold) if cold else None, "<=", 50),
            ("predict peak RSS MB (worst model)", max(rss) if rss else None, "<=", 150)]
    return [{"target": name, "value": v, "want": f"{op} {want}",
             "met": None if v is None else (v >= want if op == ">=" else v <= want)} for name, v, op, want in rows]


def machine(threads: int) -> dict:
    """The host: its CPU by name and the int8-relevant instruction set (see :mod:`edgecnn.cpuinfo`)."""
    import onnxruntime as ort

    from ..cpuinfo import cpu_info, describe_isa

    info = cpu_info()
    features = info["features"] or {}
    return {"cpu": info["model"], "cpu_vendor": info["vendor"], "cpu_family": info["family"],
            "cpu_model_number": info["model_number"], "isa": info["isa"], "isa_text": describe_isa(info),
            "cpu_features": info["features"], "cores": os.cpu_count(), "threads": threads,
            "python": platform.python_version(), "onnxruntime": ort.__version__, "numpy": np.__version__,
            "avx512_vnni": features.get("avx512_vnni", False), "avx512f": features.get("avx512f", False)}
