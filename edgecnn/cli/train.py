"""`edgecnn train`: fit a CNN on MNIST and write a run directory."""

from __future__ import annotations

import os
from typing import Optional

import typer

from ..train.presets import PRESETS
from .common import guarded, print_json, say


# Options that define a run: with --resume they come from the run's config.json instead.
RUN_OPTIONS = ("arch", "epochs", "batch_size", "lr", "augment", "val_split", "seed", "data", "out", "limit")


@guarded
def train(
    ctx: typer.Context,
    arch: str = typer.Option("edge", "--arch", help=f"Network: {', '.join(PRESETS)}."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs (default: the preset's)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Batch size (default: the preset's)."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate (default: the preset's)."),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment", help="Camera-crop augmentation (default: on for edge)."),
    val_split: float = typer.Option(0.1, "--val-split", help="Fraction of training images held out to pick the best epoch."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed + data → same weights on CPU)."),
    data: Optional[str] = typer.Option(None, "--data", help="MNIST folder (IDX files) or mnist.npz (default: the vendored copy)."),
    out: Optional[str] = typer.Option(None, "--out", help="Run directory (default: runs/<arch>, runs/<arch>-2, ...)."),
    device: str = typer.Option("auto", "--device", help="auto (GPU if TensorFlow sees one), cpu or gpu."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N training images (quick runs)."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN_DIR",
                                         help="Continue an interrupted run from its last.keras at the next epoch, with its own settings."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Train a network on MNIST; keeps the best epoch (by validation accuracy) in RUN_DIR/model.keras."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..errors import UsageError
    from ..train.trainer import TrainConfig, resume as resume_training, train as run_training

    if resume is not None:
        given = [f"--{name.replace('_', '-')}" for name in RUN_OPTIONS
                 if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"]
        if given:
            raise UsageError(f"--resume continues a run with its own settings; drop {', '.join(given)}")
        from ..train.device import DEVICES

        if device not in DEVICES:
            raise UsageError(f"--device must be one of {', '.join(DEVICES)} (got {device!r})")
        metrics = resume_training(resume, device=device, log=say)
    else:
        config = TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, lr=lr, augment=augment, val_split=val_split,
                             seed=seed, data=data, out=out, device=device, limit=limit)
        config.resolved()  # option errors before TensorFlow loads
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
