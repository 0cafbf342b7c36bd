"""`edgecnn train`: fit a CNN on MNIST and write a run directory."""

from __future__ import annotations

from collections import Counter
from typing import Literal, Optional

import typer

from ..train.config import MIN_LIMIT, STROKE_MATCH
from ..train.presets import PRESETS
from .common import Device, guarded, print_json, require_training_stack, say

ArchName = Literal[tuple(PRESETS)]


def _per_arch(field: str, fmt=str) -> str:
    """The real default of a preset-dependent option, for its help: 'conv1 10, ..., edge 15' or '128 for edge, 32 for the others'."""
    values = {name: fmt(getattr(p, field)) for name, p in PRESETS.items()}
    common, n = Counter(values.values()).most_common(1)[0]
    if n < 3:
        return ", ".join(f"{name} {v}" for name, v in values.items())
    return ", ".join([f"{v} for {name}" for name, v in values.items() if v != common] + [f"{common} for the others"])


# Options that define a run: with --resume they come from the run's config.json instead.
RUN_OPTIONS = ("arch", "epochs", "batch_size", "lr", "augment", "styles", "stroke_match", "init", "ema", "val_split", "seed",
               "data", "out", "limit")


@guarded
def train(
    ctx: typer.Context,
    arch: ArchName = typer.Option("edge", "--arch", help=f"Network: {', '.join(PRESETS)} (the README lists their layers)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help=f"Epochs (default: {_per_arch('epochs')})"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help=f"Batch size (default: {_per_arch('batch_size')})"),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0, max=10.0, help=f"Learning rate, above 0 (default: {_per_arch('lr', lambda v: f'{v:g}')})"),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment", help=f"Camera-crop augmentation (default: on for {', '.join(n for n, p in PRESETS.items() if p.augment)}, off for the others)"),
    styles: bool = typer.Option(False, "--styles", help="With augmentation: also redraw some 7s crossed (some Z-shaped), some 1s with a flag or a foot, and some 9s with a small head on a long stem (handwriting MNIST lacks; see README)."),
    stroke_match: float = typer.Option(STROKE_MATCH, "--stroke-match", min=0.0, max=1.0, help="With augmentation: share of digits redrawn with the runtime's stroke matching, as the runtime redraws every crop (default 0; the bundled model: 0.35 with --styles; reads more real photos, costs MNIST 0.04–0.1 pp, see README)."),
    init: Optional[str] = typer.Option(None, "--init", metavar="MODEL.keras",
                                       help="Start from this model's weights (same --arch): fine-tuning, e.g. with a lower --lr and fewer --epochs."),
    ema: float = typer.Option(0.0, "--ema", min=0.0, max=0.9999, help="Momentum (e.g. 0.999) of a moving average of the weights, saved as RUN_DIR/model.keras when the run ends (default 0: none; see README)."),
    val_split: float = typer.Option(0.1, "--val-split", min=0.0, max=1.0, help="Fraction (below 1) of training images held out to pick the best epoch."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed + data → same weights on CPU)."),
    data: Optional[str] = typer.Option(None, "--data", help="MNIST folder (IDX files) or mnist.npz (default: the vendored copy)."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Run directory (default: runs/<arch>, runs/<arch>-2, ...)."),
    device: Device = typer.Option("auto", "--device", help="auto: a GPU if TensorFlow sees one."),
    limit: Optional[int] = typer.Option(None, "--limit", min=MIN_LIMIT, help="Use only the first N training images (quick runs)."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN_DIR",
                                         help="Continue an interrupted run from its last.keras at the next epoch, with its own settings."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show TensorFlow's own log lines on stderr."),
) -> None:
    """Train a network on MNIST; keeps the best epoch (by validation accuracy) in RUN_DIR/model.keras."""
    require_training_stack("edgecnn train", "tensorflow")
    from ..errors import UsageError
    from ..train.config import TrainConfig
    from ..train.trainer import resume as resume_training, train as run_training
    from .tfquiet import quiet_tensorflow

    if resume is not None:
        given = [f"--{name.replace('_', '-')}" for name in RUN_OPTIONS
                 if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"]
        if given:
            raise UsageError(f"--resume continues a run with its own settings; drop {', '.join(given)}")
        with quiet_tensorflow(verbose, device):
            metrics = resume_training(resume, device=device, log=say)
    else:
        config = TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, lr=lr, augment=augment, styles=styles, stroke_match=stroke_match, init=init,
                             ema=ema, val_split=val_split,
                             seed=seed, data=data, out=out, device=device, limit=limit)
        config.resolved()  # option errors before TensorFlow loads
        with quiet_tensorflow(verbose, device):
            metrics = run_training(config, log=say)
    if json_out:
        print_json(metrics)
    else:
        state = (f"interrupted — best model so far kept; continue with: edgecnn train --resume {metrics['run_dir']}"
                 if metrics["interrupted"] else "done")
        typer.echo(f"{metrics['arch']}: test accuracy {metrics['test_accuracy']:.2%} "
                   f"(best epoch {metrics['best_epoch']}/{metrics['epochs_run']}, {metrics['params']:,} parameters, "
                   f"{metrics['train_time_s']:.0f} s on {metrics['device']}) — {state}")
        typer.echo(f"saved {metrics['model']}")
        say(f"next: edgecnn export {metrics['run_dir']} --quantize")
    if metrics["interrupted"]:
        raise typer.Exit(130)
