#!/usr/bin/env bash
# The main job on a fresh clone: set up .venv, train the `edge` network (a short run),
# export it to ONNX fp32 + int8, read the example photos and the example video, and score both readings.
#   EPOCHS=15 bash scripts/main.sh     # the full-length training run instead of the short one
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-2}
RUN=${RUN:-runs/main-$(date +%Y%m%d-%H%M%S)}
step() { echo "== $*" >&2; }

step "1/5 .venv: pip install -e '.[train]' (TensorFlow, tf2onnx, onnx, matplotlib: about 90 s on a fresh clone)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[train]'
E=.venv/bin/edgecnn

step "2/5 train edge for $EPOCHS epoch(s) into $RUN"
$E train --arch edge --epochs "$EPOCHS" --seed 0 --out "$RUN"
step "3/5 export $RUN to ONNX fp32 + int8"
$E export "$RUN" --quantize
step "4/5 read the photos in examples/ (annotated copies in $RUN/predictions)"
$E predict examples --model "$RUN/model.int8.onnx" --save "$RUN/predictions" --jsonl > "$RUN/predictions.jsonl"
step "5/5 read examples/digits.mp4 headless (annotated video: $RUN/webcam.mp4)"
$E webcam --source examples/digits.mp4 --no-show --model "$RUN/model.int8.onnx" --save "$RUN/webcam.mp4" --json > "$RUN/webcam.jsonl"

# The readings against the truth: examples/photos.json (rows per photo) and examples/digits.truth.json (per frame).
.venv/bin/python - "$RUN" <<'PY'
import json, sys
from pathlib import Path
from edgecnn.tooling.synth import edit_distance

run = Path(sys.argv[1])
truth = {p["file"]: p["rows"] for p in json.loads(Path("examples/photos.json").read_text())["photos"]}
read = {Path(x["file"]).name: x.get("rows", []) for x in map(json.loads, (run / "predictions.jsonl").read_text().splitlines())}
total = errors = exact = 0
for name, rows in truth.items():
    got = read.get(name, [])
    e = edit_distance("".join(rows), "".join(got))
    total, errors, exact = total + len("".join(rows)), errors + e, exact + (got == rows)
    print(f"  {name:15s} read {' | '.join(got) or '(nothing)':22s} truth {' | '.join(rows):22s} {'ok' if got == rows else 'WRONG'}")
print(f"photos: rows exact on {exact}/{len(truth)}, digit accuracy {100 * (1 - errors / total):.1f}% ({total - errors}/{total} digits)")
video = json.loads(Path("examples/digits.truth.json").read_text())
lines = [json.loads(line) for line in (run / "webcam.jsonl").read_text().splitlines()]
frames = {f["frame"]: f for f in video["frames"]}
right = sum(x["raw"]["rows"] == frames[x["frame"]]["rows"] for x in lines if x["frame"] in frames)
final = lines[-1]["stable"]["rows"] if lines else []
print(f"video: raw reading right on {right}/{len(lines)} frames; final stable reading {' | '.join(final) or '(nothing)'}, "
      f"truth {' | '.join(video['rows'])} {'ok' if final == video['rows'] else 'WRONG'}")
PY
echo "main job done: $RUN (annotated photos in $RUN/predictions, video in $RUN/webcam.mp4)" >&2
