"""Train reference presets with their tutorial defaults on full MNIST and print the README table.

    .venv/bin/python scripts/train_presets.py                  # all five, then the table
    .venv/bin/python scripts/train_presets.py conv2 conv3      # some of them
    .venv/bin/python scripts/train_presets.py --table-only     # just the table from runs/presets/*

Each run goes to runs/presets/<arch>; an arch whose run already completed is not trained again.
Like the tutorials, every run trains on all 60,000 training images (--val-split 0: the epoch with the best training accuracy is kept, normally the last).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edgecnn.train.presets import PRESETS

ROOT = Path("runs/presets")
REFERENCE = [a for a in PRESETS if a != "edge"]


def train(arch: str) -> None:
    run = ROOT / arch
    if (run / "metrics.json").exists() and json.loads((run / "metrics.json").read_text()).get("complete"):
        return
    if run.exists():
        raise SystemExit(f"{run} holds an unfinished run; move it away first")
    subprocess.run([sys.executable, "-m", "edgecnn", "train", "--arch", arch, "--out", str(run), "--device", "cpu",
                    "--val-split", "0"], check=True)


def table(archs) -> str:
    lines = ["| network | optimizer, batch, epochs | test accuracy | tutorial's | params | training time | run |",
             "|---|---|---|---|---|---|---|"]
    for arch in archs:
        p = PRESETS[arch]
        path = ROOT / arch / "metrics.json"
        if not path.exists():
            lines.append(f"| `{arch}` | {p.optimizer}, {p.batch_size}, {p.epochs} | not run | | | | |")
            continue
        m = json.loads(path.read_text())
        ref = f"{p.reported_accuracy:.2%}" if p.reported_accuracy else "—"
        state = "complete" if m.get("complete") else f"stopped after {m['epochs_run']} epochs"
        lines.append(f"| `{arch}` | {p.optimizer}, {p.batch_size}, {p.epochs} | **{m['test_accuracy']:.2%}** | {ref} | "
                     f"{m['params']:,} | {m['train_time_s'] / 60:.1f} min ({m['device']}) | {state} |")
    return "\n".join(lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    archs = args or REFERENCE
    if "--table-only" not in sys.argv:
        for arch in archs:
            train(arch)
    print(table(archs))
