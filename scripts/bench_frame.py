#!/usr/bin/env python
"""Per-frame cost of `edgecnn webcam`'s processing on ONE CPU core: a 640×480 frame holding 6 digits.

    .venv/bin/python scripts/bench_frame.py [--model M.onnx] [--frames 10] [--repeat 30] [--core 0] [--profile]

The same as ``python -m edgecnn.tooling.frametime`` (the timer ``edgecnn bench --frames`` uses too): median and p95
wall time, the segment/infer split, the median CPU time and the ≤ 3 ms budget verdict.
"""

from edgecnn.tooling.frametime import main

if __name__ == "__main__":
    raise SystemExit(main())
