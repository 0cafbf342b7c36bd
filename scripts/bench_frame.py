#!/usr/bin/env python
"""Per-frame cost of `edgecnn webcam`'s processing on ONE CPU core: a 640×480 frame holding 6 digits.

    .venv/bin/python scripts/bench_frame.py [--model M.onnx] [--frames 10] [--repeat 30] [--core 0] [--profile]

Times ``DigitReader.read(frame)`` = segmentation + normalization + one batched inference
(capture and drawing excluded), with OpenCV and onnxruntime on one thread and the process
pinned to one core. Frames are generated sheets (MNIST test digits, 2 rows × 3) as the test
video uses. Prints median and p95 wall time, the segment/infer split, the median CPU time
(what the work costs when the core is shared with other processes), and the budget verdict
(≤ 3 ms median). ``--profile`` adds the functions that cost the most (cProfile).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


BUDGET_MS = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="ONNX model (default: the bundled int8 model)")
    ap.add_argument("--frames", type=int, default=10, help="different generated frames")
    ap.add_argument("--repeat", type=int, default=30, help="times each frame is read")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: do not pin)")
    ap.add_argument("--profile", action="store_true", help="also print the costliest functions")
    args = ap.parse_args()

    import cv2
    import numpy as np

    if args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    cv2.setNumThreads(1)
    from edgecnn.reader import DigitReader
    from edgecnn.tooling.synth_video import sheet

    reader = DigitReader(args.model, threads=1, min_confidence=0.0)
    frames, truth = [], []
    s = args.seed
    while len(frames) < args.frames:
        p = sheet(s, size=(640, 480), rows=2, per_row=3)
        if not truth or p.rows != truth[-1]:  # sheet() skips seeds that do not fit: the next seed may give the same one
            frames.append(p.image)
            truth.append(p.rows)
        s += 1
    found = [len(reader.read(f).digits) for f in frames]
    right = sum(reader.read(f).rows == t for f, t in zip(frames, truth))
    for f in frames:  # warm-up
        reader.read(f)

    wall, cpu, seg, inf = [], [], [], []
    for _ in range(args.repeat):
        for f in frames:
            c0, t0 = time.process_time(), time.perf_counter()
            r = reader.read(f)
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
            seg.append(r.timings["segment"])
            inf.append(r.timings["infer"])
    wall, cpu, seg, inf = map(np.asarray, (wall, cpu, seg, inf))
    med = float(np.median(wall))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"model {reader.model.path} ({reader.model.info.precision or '?'}); {len(wall)} reads of {len(frames)} "
          f"640×480 frames; digits found per frame {min(found)}–{max(found)} (6 written), frames read exactly {right}/{len(frames)}")
    print(f"one core ({'core ' + str(args.core) if args.core >= 0 else 'not pinned'}), cv2 and onnxruntime 1 thread, "
          f"load average {load:.2f} on {os.cpu_count()} CPUs")
    print(f"per frame: median {med:.2f} ms, p95 {np.percentile(wall, 95):.2f} ms, min {wall.min():.2f} ms "
          f"(CPU time median {np.median(cpu):.2f} ms)")
    print(f"  segmentation+normalization median {np.median(seg):.2f} ms, inference median {np.median(inf):.2f} ms")
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
