"""Read the digits in the example photos with the Python API (no TensorFlow needed).

    .venv/bin/python examples/read_digits.py [PHOTO ...]
"""

import json
import sys
from pathlib import Path

from edgecnn import DigitReader

HERE = Path(__file__).resolve().parent

reader = DigitReader(threads=1, min_confidence=0.5)  # the bundled int8 model; pass model="my.onnx" for another
truth = {p["file"]: p["rows"] for p in json.loads((HERE / "photos.json").read_text())["photos"]}

for path in sys.argv[1:] or sorted(HERE / name for name in truth):
    reading = reader.read(path)                      # a file path or a BGR/grey numpy array
    print(f"{Path(path).name}: {' | '.join(reading.rows)}   (truth: {' | '.join(truth.get(Path(path).name, ['?']))})")
    for d in reading.digits:                         # in reading order
        x, y, w, h = d.box
        print(f"  row {d.row}  {d.label}  {d.confidence:.2f}  at x={x} y={y} w={w} h={h}")
    print(f"  segmentation {reading.timings['segment']:.1f} ms, inference {reading.timings['infer']:.1f} ms")
