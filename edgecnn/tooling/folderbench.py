"""Folder speed: `edgecnn predict FOLDER` with --workers 1 against --workers N, timed in one run.

    .venv/bin/python scripts/bench_folder.py [--count 200] [--workers 1,2] [--repeat 3] [--size WxH] [--dir DIR] [--json]

Writes COUNT synthetic photos (edgecnn.tooling.synth.make_photo, fixed seeds, JPEG so decoding is part of the work)
into DIR (default: a temporary folder), then runs the real command in a fresh process for each worker count,
interleaved REPEAT times (1, 2, 1, 2, ...), and reports the median of each:

- wall: the whole command as a user waits for it (start-up, model load, pool start, reading, output);
- read: the time in predict's own summary line (reading and output, after start-up).

The speed-up is workers-1 time over workers-N time. Each run's stdout must be byte-identical to the first's (the
order is the same). The host's CPU, its cores and its load average are printed with the figures: on a shared
machine another job's load lowers the speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_photos(folder: Path, count: int, size: tuple[int, int] | None = None, seed: int = 5000) -> None:
    import cv2

    from edgecnn.tooling.synth import make_photo

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = folder / f"photo_{i:04d}.jpg"
        if not path.exists():
            cv2.imwrite(str(path), make_photo(seed + i, size=size).image, [cv2.IMWRITE_JPEG_QUALITY, 90])


def time_predict(folder: Path, workers: int, model: str | None) -> tuple[float, float, bytes]:
    cmd = [sys.executable, "-m", "edgecnn", "predict", str(folder), "--jsonl", "--workers", str(workers)]
    if model:
        cmd += ["--model", model]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace').strip()[-300:]}")
    hit = re.search(r"in ([\d.]+) s \(", p.stderr.decode())
    return wall, float(hit.group(1)) if hit else float("nan"), p.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--workers", default=f"1,{os.cpu_count() or 1}", help="comma-separated worker counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", default=None, help="photo size WxH, e.g. 1600x1200 (default: make_photo's mix, 480x640 to 1024x768)")
    ap.add_argument("--dir", type=Path, default=None, help="where the photos go (kept; reused when present)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]

    from edgecnn.cpuinfo import cpu_info, describe_isa

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp) / "photos"
        make_photos(folder, args.count, tuple(int(v) for v in args.size.split("x")) if args.size else None)
        load_before = os.getloadavg()
        runs: dict[int, list[tuple[float, float]]] = {w: [] for w in counts}
        reference = None
        for _ in range(args.repeat):
            for w in counts:
                wall, read, out = time_predict(folder, w, args.model)
                reference = out if reference is None else reference
                if out != reference:
                    sys.exit(f"error: --workers {w} wrote different output than --workers {counts[0]}")
                runs[w].append((wall, read))
        load_after = os.getloadavg()
    cpu = cpu_info()
    med = {w: {"wall_s": statistics.median(r[0] for r in rs), "read_s": statistics.median(r[1] for r in rs)}
           for w, rs in runs.items()}
    base = counts[0]
    doc = {"host": {"cpu": cpu["model"], "isa": describe_isa(cpu), "cores": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after]},
           "photos": args.count, "size": args.size or "480x640 to 1024x768", "repeat": args.repeat,
           "runs": {str(w): {**{k: round(v, 3) for k, v in m.items()},
                             "ms_per_image": round(1e3 * m["wall_s"] / args.count, 1),
                             "speedup_wall": round(med[base]["wall_s"] / m["wall_s"], 2),
                             "speedup_read": round(med[base]["read_s"] / m["read_s"], 2)} for w, m in med.items()}}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    h = doc["host"]
    print(f"{h['cpu']} ({h['isa']}), {h['cores']} cores, load average {h['load_average_before'][0]:.2f} before, "
          f"{h['load_average_after'][0]:.2f} after")
    print(f"edgecnn predict over {args.count} JPEG photos ({doc['size']}), median of {args.repeat} interleaved runs:")
    for w, r in doc["runs"].items():
        print(f"  --workers {w}: {r['wall_s']:.2f} s wall ({r['ms_per_image']:.1f} ms/image), {r['read_s']:.2f} s "
              f"reading; {r['speedup_wall']:.2f}× wall, {r['speedup_read']:.2f}× reading vs --workers {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
