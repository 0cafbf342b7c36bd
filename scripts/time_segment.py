#!/usr/bin/env python
"""Time segmentation + normalization (and, with a model, inference) on a 640×480 frame with 6 digits, one core.

    .venv/bin/python scripts/time_segment.py [--model M.onnx] [--repeat 300]

Prints median and p95 per frame. OpenCV and onnxruntime both run on one thread.
"""

from __future__ import annotations

import argparse
import time



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="also time inference with this model ('default' = bundled)")
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()

    import cv2
    import numpy as np

    cv2.setNumThreads(1)
    from edgecnn.segment import segment
    from edgecnn.tooling.synth import make_photo

    frames = [make_photo(seed, size=(640, 480), rows=2, per_row=3).image for seed in (7, 8, 9)]
    found = [len(segment(f).digits) for f in frames]
    seg = []
    for i in range(args.repeat):
        f = frames[i % len(frames)]
        t0 = time.perf_counter()
        s = segment(f)
        seg.append(time.perf_counter() - t0)
    seg = np.array(seg) * 1e3
    print(f"640×480, {found} digits per frame: segmentation+normalization median {np.median(seg):.2f} ms, "
          f"p95 {np.percentile(seg, 95):.2f} ms, min {seg.min():.2f} ms")
    if args.model:
        from edgecnn.reader import DigitReader

        reader = DigitReader(None if args.model == "default" else args.model, threads=1)
        tot, inf = [], []
        for i in range(args.repeat):
            r = reader.read(frames[i % len(frames)])
            tot.append(r.timings["total"])
            inf.append(r.timings["infer"])
        print(f"with {reader.model.path.name}: inference median {np.median(inf):.2f} ms, "
              f"segmentation+normalization+inference median {np.median(tot):.2f} ms, p95 {np.percentile(tot, 95):.2f} ms")
    del s
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
