"""The cost of one frame: ``DigitReader.read(frame)`` = segmentation + normalization + one batched inference.

One timer for every place that measures it: ``edgecnn bench --frames`` (:func:`edgecnn.tooling.bench.frame_pipeline`)
and ``python -m edgecnn.tooling.frametime`` (``scripts/bench_frame.py``: one CPU core, generated 640×480 sheets of
6 digits as the test video uses, median and p95 against the 3 ms budget, ``--profile`` for the costliest functions).
Capture and drawing are not included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

BUDGET_MS = 3.0
BASELINE_RATIO = 2.0  # at most this many times the straightforward pipeline's time (:mod:`.baseline`)


def time_reads(readers: dict, frames: list[np.ndarray], repeat: int, warmup: int) -> dict[str, list[dict]]:
    """Each reader reads every frame ``repeat`` times, readers interleaved frame by frame, after ``warmup`` passes.

    Per read: the reader's own ``timings`` (``segment``, ``infer``, ``total`` ms), ``wall`` and ``cpu`` ms around the
    call, and the number of ``digits`` found.
    """
    for r in readers.values():
        for _ in range(warmup):
            for f in frames:
                r.read(f)
    out: dict[str, list[dict]] = {name: [] for name in readers}
    for _ in range(repeat):
        for f in frames:
            for name, r in readers.items():
                c0, t0 = time.process_time(), time.perf_counter()
                reading = r.read(f)
                wall, cpu = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
                out[name].append({**reading.timings, "wall": wall, "cpu": cpu, "digits": len(reading.digits)})
    return out


def sheets(count: int, seed: int = 100) -> tuple[list[np.ndarray], list[list[str]]]:
    """``count`` different generated 640×480 sheets of 2 rows × 3 MNIST test digits, and their rows."""
    from .synth_video import sheet

    frames, truth = [], []
    s = seed
    while len(frames) < count:
        p = sheet(s, size=(640, 480), rows=2, per_row=3)
        if not truth or p.rows != truth[-1]:  # sheet() skips seeds that do not fit: the next seed may give the same one
            frames.append(p.image)
            truth.append(p.rows)
        s += 1
    return frames, truth


def main(argv: list[str] | None = None) -> int:
    """Per-frame cost on ONE CPU core: OpenCV and onnxruntime on one thread, the process pinned to one core.

    Prints median and p95 wall time, the segment/infer split, the median CPU time (what the work costs when the core
    is shared with other processes) and the budget verdict (≤ 3 ms median).
    """
    ap = argparse.ArgumentParser(prog="python -m edgecnn.tooling.frametime", description=main.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="ONNX model (default: the bundled int8 model)")
    ap.add_argument("--frames", type=int, default=10, help="different generated frames")
    ap.add_argument("--repeat", type=int, default=30, help="times each frame is read")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: do not pin)")
    ap.add_argument("--profile", action="store_true", help="also print the costliest functions")
    args = ap.parse_args(argv)

    import cv2

    if args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    cv2.setNumThreads(1)
    from ..reader import DigitReader
    from ..webcam import LOOK_AGAIN

    reader = DigitReader(args.model, threads=1, min_confidence=0.0, look_again=LOOK_AGAIN)  # as the webcam reads
    frames, truth = sheets(args.frames, args.seed)
    found = [len(reader.read(f).digits) for f in frames]
    right = sum(reader.read(f).rows == t for f, t in zip(frames, truth))
    from .baseline import straightforward

    base = DigitReader(args.model, threads=1, min_confidence=0.0, segmenter=straightforward, look_again=False, upright=False)
    both = time_reads({"model": reader, "base": base}, frames, args.repeat, warmup=1)  # interleaved
    reads, base_wall = both["model"], np.asarray([r["wall"] for r in both["base"]])
    wall, cpu, seg, inf = (np.asarray([r[k] for r in reads]) for k in ("wall", "cpu", "segment", "infer"))
    med = float(np.median(wall))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"model {reader.model.path} ({reader.model.info.precision or '?'}); {len(wall)} reads of {len(frames)} "
          f"640×480 frames; digits found per frame {min(found)}–{max(found)} (6 written), frames read exactly {right}/{len(frames)}")
    print(f"one core ({'core ' + str(args.core) if args.core >= 0 else 'not pinned'}), cv2 and onnxruntime 1 thread, "
          f"load average {load:.2f} on {os.cpu_count()} CPUs")
    print(f"per frame: median {med:.2f} ms, p95 {np.percentile(wall, 95):.2f} ms, min {wall.min():.2f} ms "
          f"(CPU time median {np.median(cpu):.2f} ms)")
    print(f"  segmentation+normalization median {np.median(seg):.2f} ms, inference median {np.median(inf):.2f} ms")
    ratio = med / float(np.median(base_wall))
    print(f"straightforward pipeline (Otsu, contours, same model), same frames interleaved: median "
          f"{np.median(base_wall):.2f} ms; edgecnn costs {ratio:.2f}× it (target ≤ {BASELINE_RATIO:.1f}×: "
          f"{'met' if ratio <= BASELINE_RATIO else 'OVER'})")
    print(f"budget ≤ {BUDGET_MS:.1f} ms median: {'met' if med <= BUDGET_MS else 'OVER'}")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for _ in range(max(1, args.repeat // 3)):
            for f in frames:
                reader.read(f)
        prof.disable()
        print("\ncostliest functions (own time, all reads in the profile):")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
