"""Synthetic photo benchmark: N generated photos (fixed seed, MNIST *test* digits) read end to end.

    .venv/bin/python scripts/bench_photos.py [--count 200] [--seed 1000] [--model M.onnx] [--paper ruled]
        [--turn DEG [--fill continue|white|black]] [--shadow edge|soft|hand] [--underline] [--frame circle|box]
        [--texture dots|flecks] [--margin] [--save-failures DIR]

Reports digit accuracy (1 − edit distance / digits), the share of photos with no missed or
extra digit (count right in every row), the share read exactly, and segmentation/inference
time per photo. Targets: ≥ 98 % digits, ≥ 95 % photos. ``--turn`` turns every photo (a page photographed askew,
or turned in an editor whose canvas keeps its size: ``--fill white|black`` fills the corners it uncovers).
``--shadow`` casts a shadow across every photo: a straight sharp or soft edge, or a hand's (``synth.shadowed``).
``--underline`` draws a line under every row (``synth.underlined``), ``--frame`` a circle or a box around it
(``synth.framed``). ``--texture`` prints a dot grid under the writing or scatters flecks over the paper
(``synth.textured``), ``--margin`` a notebook's red margin rule down the left side (``synth.margined``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from edgecnn.tooling.synth import FILLS, FRAMES, SHADOWS, TEXTURES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000, help="first seed (photo i uses seed + i)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--paper", choices=["plain", "ruled", "squared"], default="plain",
                    help="draw printed rules or a grid under the writing (board photos stay plain)")
    ap.add_argument("--turn", type=float, default=0.0, help="turn each photo by this many degrees (counter-clockwise)")
    ap.add_argument("--fill", choices=FILLS, default="continue",
                    help="the corners a turn uncovers: the border continued, or filled white or black")
    ap.add_argument("--shadow", choices=SHADOWS, default=None,
                    help="cast a shadow across each photo: a straight sharp or soft edge, or a hand's")
    ap.add_argument("--underline", action="store_true", help="draw a line under each row, in the ink's colour")
    ap.add_argument("--frame", choices=FRAMES, default=None, help="draw a circle or a box around each row")
    ap.add_argument("--texture", choices=TEXTURES, default=None,
                    help="print a dot grid on each photo, or scatter flecks over it")
    ap.add_argument("--margin", action="store_true", help="print a notebook's red margin rule down the left side")
    ap.add_argument("--save-failures", type=Path, default=None)
    args = ap.parse_args(argv)

    import cv2
    import numpy as np

    cv2.setNumThreads(1)
    from edgecnn.draw import annotate, mosaic
    from edgecnn.reader import DigitReader
    from edgecnn.tooling.synth import (edit_distance, framed, make_photo, margined, shadowed, textured, turned,
                                       underlined)

    reader = DigitReader(args.model, min_confidence=0.0)
    edits = digits = count_ok = exact = 0
    seg_ms, inf_ms = [], []
    t0 = time.time()
    for i in range(args.count):
        p = make_photo(args.seed + i, paper=args.paper)
        image = textured(p.image, args.seed + i, args.texture) if args.texture else p.image
        image = margined(image, args.seed + i) if args.margin else image
        image = underlined(p, args.seed + i, image=image) if args.underline else image
        image = framed(p, args.seed + i, args.frame, image) if args.frame else image
        image = turned(image, args.turn, args.fill) if args.turn else image
        image = shadowed(image, args.seed + i, args.shadow) if args.shadow else image
        r = reader.read(image)
        seg_ms.append(r.timings["segment"])
        inf_ms.append(r.timings["infer"])
        e = edit_distance("".join(r.rows), p.digits)
        edits += e
        digits += len(p.digits)
        ok_count = [len(x) for x in r.rows] == [len(x) for x in p.rows]
        count_ok += ok_count
        exact += r.rows == p.rows
        if (e or not ok_count) and args.save_failures:
            args.save_failures.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(args.save_failures / f"{args.seed + i}.png"), annotate(image, r, margin=True))
            if r.digits:
                cv2.imwrite(str(args.save_failures / f"{args.seed + i}.crops.png"), mosaic(r))
            print(f"seed {args.seed + i}: truth {'|'.join(p.rows)} read {'|'.join(r.rows)}")
    n = args.count
    print(f"{n} photos, {digits} digits, {time.time() - t0:.0f} s")
    print(f"digit accuracy (edit distance): {1 - edits / max(digits, 1):.2%}")
    print(f"photos with no missed/extra digit: {count_ok / n:.1%}   read exactly: {exact / n:.1%}")
    print(f"median ms per photo: segmentation {np.median(seg_ms):.2f}, inference {np.median(inf_ms):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
