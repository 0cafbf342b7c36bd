#!/usr/bin/env bash
# Rebuild the bundled default models with this project's own pipeline:
#   train `edge` on all 60,000 MNIST training images for 20 epochs, with continental styles (--styles) and a
#   third of the digits redrawn with the runtime's stroke matching (--stroke-match 0.35), seed 0
#   → export fp32 + int8 → edgecnn/models/edge{,.int8}.onnx          (~26 min on 2 CPU cores)
#   RUN=runs/full-sm35s bash scripts/build_default_model.sh   # reuse a finished run directory
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/full-sm35s}
E=.venv/bin/edgecnn
[ -f "$RUN/metrics.json" ] || $E train --arch edge --epochs 20 --val-split 0 --styles --stroke-match 0.35 --seed 0 --out "$RUN"
$E export "$RUN" --quantize
for name in model.onnx:edge.onnx model.int8.onnx:edge.int8.onnx; do
  cp "$RUN/${name%%:*}" "edgecnn/models/.${name##*:}.tmp" && mv "edgecnn/models/.${name##*:}.tmp" "edgecnn/models/${name##*:}"
done
ls -l edgecnn/models/*.onnx >&2
