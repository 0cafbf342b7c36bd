#!/usr/bin/env bash
# Rebuild the bundled default models with this project's own pipeline:
#   train `edge` with its defaults (seed 0) → export fp32 + int8 → edgecnn/models/edge{,.int8}.onnx
#   RUN=runs/edge-default bash scripts/build_default_model.sh   # reuse a finished run directory
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/edge-default}
E=.venv/bin/edgecnn
[ -f "$RUN/metrics.json" ] || $E train --arch edge --seed 0 --out "$RUN"
$E export "$RUN" --quantize
for name in model.onnx:edge.onnx model.int8.onnx:edge.int8.onnx; do
  cp "$RUN/${name%%:*}" "edgecnn/models/.${name##*:}.tmp" && mv "edgecnn/models/.${name##*:}.tmp" "edgecnn/models/${name##*:}"
done
ls -l edgecnn/models/*.onnx >&2
