"""Regenerate examples/: six synthetic photos (MNIST test digits) and examples/photos.json ground truth.

    .venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# (file, seed, kwargs): pen on paper, pencil, grid, whiteboard-ish, chalk on a board, a phone-size photo
EXAMPLES = [
    ("one_row.jpg", 11, dict(size=(640, 480), rows=1, per_row=5, polarity="dark")),
    ("two_rows.jpg", 24, dict(size=(800, 600), rows=2, per_row=4, polarity="dark")),
    ("grid.jpg", 35, dict(size=(800, 600), rows=3, per_row=4, polarity="dark")),
    ("chalkboard.jpg", 42, dict(size=(640, 480), rows=2, per_row=3, polarity="light")),
    ("shadow.jpg", 57, dict(size=(640, 480), rows=1, per_row=6, polarity="dark")),
    ("portrait.jpg", 68, dict(size=(480, 640), rows=3, per_row=3, polarity="dark")),
]


def main(argv: list[str] | None = None) -> int:
    import cv2

    from edgecnn.atomic import write_bytes, write_json
    from edgecnn.tooling.synth import make_photo

    out = REPO / "examples"
    truth = {"about": "Synthetic photos made by scripts/make_examples.py from MNIST test digits; rows top to bottom, each left to right.",
             "photos": []}
    for name, seed, kw in EXAMPLES:
        p = make_photo(seed, **kw)
        ok, buf = cv2.imencode(".jpg", p.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        write_bytes(out / name, buf.tobytes())
        truth["photos"].append({"file": name, "seed": seed, **p.truth()})
        print(f"{name}: {' | '.join(p.rows)}")
    write_json(out / "photos.json", truth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
