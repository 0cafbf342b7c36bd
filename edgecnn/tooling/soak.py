"""Soak test: `edgecnn webcam` over ≥ 10,000 frames of a generated video; memory must stay flat.

    .venv/bin/python scripts/soak_webcam.py [--frames 10000] [--model M.onnx] [--save] [--keep DIR]

Generates a video (a 300-frame generated clip repeated up to ``--frames``, see
``edgecnn/tooling/synth_video.py``), runs the real command on it headless with ``--json`` (and
``--save`` if asked), and samples the process's resident memory (psutil) as frames go by.
Prints RSS after warm-up (frame 500) and at the end, the growth, the run's summary line, and
exits 1 when memory grew by more than ``--max-growth`` MiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_long_video(path: Path, frames: int, clip: int = 300, seed: int = 11) -> None:
    import cv2

    from edgecnn.tooling.synth_video import SIZE, frames as video_frames

    images = [img for img, _ in video_frames(seed, clip)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, SIZE)
    for i in range(frames):
        writer.write(images[i % clip])
    writer.release()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--save", action="store_true", help="also write the annotated video (--save)")
    ap.add_argument("--keep", type=Path, default=None, help="folder for the video(s) instead of a temporary one")
    ap.add_argument("--max-growth", type=float, default=20.0, help="MiB of RSS growth allowed after warm-up")
    args = ap.parse_args(argv)

    import psutil

    folder = args.keep or Path(tempfile.mkdtemp(prefix="edgecnn-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "soak.mp4"
    t0 = time.time()
    make_long_video(video, args.frames)
    print(f"generated {video} ({args.frames} frames, {video.stat().st_size / 2**20:.1f} MiB) in {time.time() - t0:.0f} s")
    cmd = [sys.executable, "-m", "edgecnn", "webcam", "--source", str(video), "--no-show", "--json"]
    if args.model:
        cmd += ["--model", args.model]
    if args.save:
        cmd += ["--save", str(folder / "soak.annotated.mp4")]
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[int, float]] = []
    n = 0
    for line in proc.stdout:
        n += 1
        if n % 500 == 0 or n == 1:
            try:
                samples.append((n, ps.memory_info().rss / 2**20))
            except psutil.Error:
                pass
    err = proc.stderr.read()
    code = proc.wait()
    json.loads(line)  # the last line is whole JSON
    secs = time.time() - t0
    print(f"exit {code}; {n} JSON lines in {secs:.0f} s")
    print("RSS MiB by frame: " + ", ".join(f"{f}: {m:.1f}" for f, m in samples))
    warm = next((m for f, m in samples if f >= 500), samples[0][1])
    end = samples[-1][1]
    peak = max(m for _, m in samples)
    print(f"RSS after warm-up (frame 500) {warm:.1f} MiB, at the end {end:.1f} MiB, growth {end - warm:+.1f} MiB, peak {peak:.1f} MiB")
    print(next((x for x in err.splitlines() if x.startswith("webcam:")), err.strip()[-300:] or "(no summary)"))
    if args.keep is None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    ok = code == 0 and n == args.frames and end - warm <= args.max_growth
    print("soak: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
