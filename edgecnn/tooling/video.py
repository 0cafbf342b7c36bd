"""Write a generated test video of handwritten digits and its ground truth JSON.

    .venv/bin/python scripts/make_video.py [--out examples/digits.mp4] [--frames 150] [--seed 1] [--fps 30]

MNIST test digits (2 rows × 3) on paper, filmed by a slightly shaky camera with changing
light and a few blank frames (see ``edgecnn/tooling/synth_video.py``). The truth goes beside the
video as ``<name>.truth.json``: per frame, the rows and digit boxes. Try it with
``edgecnn webcam --source examples/digits.mp4 --no-show``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("examples/digits.mp4"))
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fps", type=float, default=30.0)
    args = ap.parse_args(argv)

    from edgecnn.atomic import atomic_path, write_text
    from edgecnn.tooling.synth_video import write_video

    with atomic_path(args.out) as tmp:
        truth = write_video(tmp, seed=args.seed, count=args.frames, fps=args.fps)
    truth["video"] = args.out.name
    truth_path = args.out.with_suffix(".truth.json")
    write_text(truth_path, json.dumps(truth) + "\n")
    blank = sum(f["blank"] for f in truth["frames"])
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {args.frames} frames, {blank} blank; "
          f"reading {' | '.join(truth['rows'])}) and {truth_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
