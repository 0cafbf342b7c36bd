"""Big pictures: time and peak memory of reading one file, decode included, on one thread.

    .venv/bin/python -m edgecnn.tooling.bigimage FILE... [--repeat 5] [--core 0]
    .venv/bin/python -m edgecnn.tooling.bigimage --make-scan scan.png     # a generated 300-dpi A4 scan

Each file is read as ``edgecnn predict`` reads it (``DigitReader.read(path)``: a big JPEG is decoded
at a fraction of its size by libjpeg), pinned to one core, OpenCV and onnxruntime on one thread:
median wall time over ``--repeat`` reads. Peak memory is measured in a fresh process per file: its
peak resident memory while reading, over what it held after reading a small image first (model and
libraries loaded; Linux: the peak is reset through ``/proc/self/clear_refs``), against the size of the
picture decoded at full size (width × height × 3 bytes).
Targets (issue 16): a 12-megapixel photo ≤ 150 ms, a 300-dpi A4 scan ≤ 250 ms, peak ≤ 2× the decoded picture.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

_CHILD = """
import json, sys
import cv2, numpy as np
cv2.setNumThreads(1)
from edgecnn import DigitReader

def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))

r = DigitReader(threads=1)
r.read(np.full((480, 640), 235, np.uint8))
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak (VmHWM) to the current resident size
reading = r.read(sys.argv[1])
print(json.dumps({"added_kib": status("VmHWM") - before, "shape": reading.shape, "digits": len(reading.digits)}))
"""


def peak_memory(path: Path) -> dict:
    """Peak resident memory added by reading ``path`` in a fresh process (KiB), and the picture's full shape."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_scan(path: Path, seed: int = 0) -> Path:
    """A 300-dpi A4 page (2480×3508 grey PNG) with 100 MNIST test digits in one corner, like a filled form."""
    import cv2

    from .synth import mnist_test

    images, _ = mnist_test()
    rng = np.random.default_rng(seed)
    page = np.full((3508, 2480), 242, np.uint8)
    for k in range(100):
        d = cv2.resize(images[int(rng.integers(len(images)))], (90, 90), interpolation=cv2.INTER_CUBIC)
        y, x = 200 + (k // 10) * 120, 200 + (k % 10) * 110
        page[y: y + 90, x: x + 90] = np.minimum(page[y: y + 90, x: x + 90], 255 - d)
    page = np.clip(page.astype(np.int16) + rng.normal(0, 2, page.shape).astype(np.int16), 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), page)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edgecnn.tooling.bigimage", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: do not pin)")
    ap.add_argument("--make-scan", type=Path, default=None, help="write a generated 300-dpi A4 scan here and exit")
    args = ap.parse_args(argv)
    if args.make_scan:
        print(make_scan(args.make_scan))
        return 0

    import cv2

    from ..cpuinfo import cpu_info
    from ..reader import DigitReader

    if args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    cv2.setNumThreads(1)
    reader = DigitReader(threads=1)
    print(f"{cpu_info()['model']}, one thread; median of {args.repeat} reads, decode included")
    for f in args.files:
        reader.read(f)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            reading = reader.read(f)
            times.append(time.perf_counter() - t0)
        mem = peak_memory(f)
        h, w = reading.shape
        decoded = w * h * 3 / 1024
        print(f"{f.name}: {w}×{h} ({w * h / 1e6:.1f} Mpx), {len(reading.digits)} digits: "
              f"{np.median(times) * 1e3:.0f} ms; peak memory +{mem['added_kib'] / 1024:.0f} MiB = "
              f"{mem['added_kib'] / decoded:.2f}× the decoded picture ({decoded / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
