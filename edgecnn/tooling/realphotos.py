"""Read a folder of real photos with labels.json and report per-photo readings and digit accuracy.

    .venv/bin/python scripts/eval_real_photos.py PHOTOS_DIR [--model M.onnx] [--save DIR]
    .venv/bin/python -m edgecnn.tooling.realphotos PHOTOS_DIR ...      # the same

labels.json: {"photos": [{"file": ..., "digits": "12345", "rows": ["12345"]}, ...]}.
Digit accuracy = 1 − (sum of edit distances between reading and truth) / (number of true digits).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Iterator

from .synth import edit_distance


def read_labelled(folder: str | os.PathLike, reader) -> Iterator[tuple[dict, Path, object, int]]:
    """Each photo of ``folder/labels.json`` read from its file, as ``edgecnn predict`` reads it: (its labels
    entry, its path, the Reading, edits from the truth)."""
    folder = Path(folder)
    for p in json.loads((folder / "labels.json").read_text())["photos"]:
        r = reader.read(folder / p["file"])
        yield p, folder / p["file"], r, edit_distance("".join(r.rows), p["digits"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photos", type=Path)
    ap.add_argument("--model", default=None)
    ap.add_argument("--min-confidence", type=float, default=0.0)
    ap.add_argument("--save", type=Path, default=None, help="write annotated photos and crop mosaics here")
    args = ap.parse_args(argv)

    import cv2

    from ..draw import annotate, mosaic
    from ..imageio import read_image
    from ..reader import DigitReader

    reader = DigitReader(args.model, min_confidence=args.min_confidence)
    errors = total = rows_ok = photos = 0
    for p, path, r, e in read_labelled(args.photos, reader):
        photos += 1
        errors += e
        total += len(p["digits"])
        rows_ok += r.rows == p["rows"]
        conf = " ".join(f"{d.confidence:.2f}" for d in r.digits)
        print(f"{p['file']:<14} truth {'|'.join(p['rows']):<14} read {'|'.join(r.rows):<14} edits {e}  conf [{conf}]")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(args.save / f"{Path(p['file']).stem}.annotated.png"), annotate(read_image(path), r, margin=True))
            if r.digits:
                cv2.imwrite(str(args.save / f"{Path(p['file']).stem}.crops.png"), mosaic(r))
    acc = 1 - errors / max(total, 1)
    print(f"digit accuracy {acc:.1%} ({total - errors}/{total} by edit distance); rows exactly right on {rows_ok}/{photos} photos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
