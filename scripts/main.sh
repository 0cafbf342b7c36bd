#!/usr/bin/env bash
# The main job on a fresh clone: set up .venv, train the `edge` network (a short run),
# export it to ONNX fp32 + int8, then read the example photos and the example video.
#   EPOCHS=15 bash scripts/main.sh     # the full-length training run instead of the short one
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-2}
RUN=${RUN:-runs/main-$(date +%Y%m%d-%H%M%S)}
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[train]'
E=.venv/bin/edgecnn

$E train --arch edge --epochs "$EPOCHS" --seed 0 --out "$RUN"
$E export "$RUN" --quantize
$E predict examples --model "$RUN/model.int8.onnx" --save "$RUN/predictions"
$E webcam --source examples/digits.mp4 --no-show --model "$RUN/model.int8.onnx" --save "$RUN/webcam.mp4"
echo "main job done: $RUN (annotated photos in $RUN/predictions, video in $RUN/webcam.mp4)" >&2
