"""``edgecnn train``: fit one network on MNIST and write a run directory.

A run directory holds ``model.keras`` (the best epoch by validation accuracy, saved
atomically as training goes), ``last.keras`` (the latest epoch, with optimizer state),
``config.json`` (the resolved configuration), ``history.json`` (per-epoch metrics) and,
once training has ended, ``metrics.json`` (test accuracy, loss, parameters, time, device,
versions; ``"complete": true`` only when every epoch ran).
"""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgecnn.errors import EdgeCNNError, UsageError
from edgecnn.fileio import atomic_path, write_json
from edgecnn.mnist import load_mnist

from .presets import PRESETS, check_arch
from .device import select_device


@dataclass
class TrainConfig:
    arch: str = "edge"
    epochs: int | None = None  # None: the preset's
    batch_size: int | None = None
    lr: float | None = None
    augment: bool | None = None
    val_split: float = 0.1
    seed: int = 0
    data: str | None = None
    out: str | None = None  # run directory; None: runs/<arch>, runs/<arch>-2, ...
    device: str = "auto"
    limit: int | None = None  # use only this many training images (quick runs, tests)
    progress: str = "auto"  # auto | bar | lines | none

    def resolved(self) -> "TrainConfig":
        """Fill unset options from the architecture's preset and check them all."""
        p = PRESETS[check_arch(self.arch)]
        c = TrainConfig(**{**asdict(self)})
        c.epochs = p.epochs if c.epochs is None else c.epochs
        c.batch_size = p.batch_size if c.batch_size is None else c.batch_size
        c.lr = p.lr if c.lr is None else c.lr
        c.augment = p.augment if c.augment is None else c.augment
        for name, value, ok in (
            ("--epochs", c.epochs, c.epochs >= 1),
            ("--batch-size", c.batch_size, c.batch_size >= 1),
            ("--lr", c.lr, 0 < c.lr < 10),
            ("--val-split", c.val_split, 0 <= c.val_split < 1),
            ("--limit", c.limit, c.limit is None or c.limit >= 10),
        ):
            if not ok:
                raise UsageError(f"{name} is out of range (got {value})")
        return c


def new_run_dir(arch: str, root: Path = Path("runs")) -> Path:
    """runs/<arch>, or runs/<arch>-2, -3 ... if taken."""
    path, n = root / arch, 1
    while path.exists():
        n += 1
        path = root / f"{arch}-{n}"
    return path


def _optimizer(name: str, lr: float, total_steps: int, cosine: bool):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps), alpha=0.01) if cosine else lr
    return keras.optimizers.RMSprop(schedule) if name == "rmsprop" else keras.optimizers.Adam(schedule)


def _keeper(run_dir: Path, history: list):
    """Keep the best model (atomically), the last state and the per-epoch history on disk."""
    import keras

    class Keeper(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best, self.best_epoch = -1.0, 0

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            history.append({"epoch": epoch + 1, **logs})
            write_json(run_dir / "history.json", history)
            score = logs.get("val_accuracy", logs.get("accuracy", 0.0))
            if score > self.best:
                self.best, self.best_epoch = score, epoch + 1
                with atomic_path(run_dir / "model.keras") as tmp:
                    self.model.save(tmp)
            with atomic_path(run_dir / "last.keras") as tmp:
                self.model.save(tmp)

    return Keeper()


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def train(config: TrainConfig, log=lambda msg: print(msg, file=sys.stderr)) -> dict:
    """Train ``config.arch`` and return the summary that is also written to ``metrics.json``."""
    c = config.resolved()
    strategy, device = select_device(c.device)
    import keras
    import tensorflow as tf

    from .architectures import build
    from .data import MnistBatches, split_validation, to_float

    train_split, test_split = load_mnist(c.data)
    images, labels = train_split.images, train_split.labels
    if c.limit:
        images, labels = images[: c.limit], labels[: c.limit]
    (x_tr, y_tr), (x_val, y_val) = split_validation(images, labels, c.val_split, c.seed)
    if len(y_tr) == 0:
        raise UsageError("--val-split leaves no training images")

    run_dir = Path(c.out) if c.out else new_run_dir(c.arch)
    if (run_dir / "metrics.json").exists() or (run_dir / "model.keras").exists():
        raise EdgeCNNError(f"{run_dir} already holds a run; choose another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    c.out = str(run_dir)
    write_json(run_dir / "config.json", {**asdict(c), "device_used": device})

    keras.utils.set_random_seed(c.seed)
    tf.config.experimental.enable_op_determinism()
    batches = MnistBatches(x_tr, y_tr, c.batch_size, c.seed, c.augment)
    preset = PRESETS[c.arch]
    with strategy.scope():
        model = build(c.arch)
        model.compile(
            optimizer=_optimizer(preset.optimizer, c.lr, c.epochs * len(batches), cosine=c.arch == "edge"),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    validation = (to_float(x_val), y_val) if len(y_val) else None
    verbose = {"bar": 1, "lines": 2, "none": 0}.get(c.progress, 1 if sys.stderr.isatty() else 2)
    history: list[dict] = []
    keeper = _keeper(run_dir, history)
    log(f"training {c.arch} ({model.count_params():,} parameters) on {len(y_tr):,} images, "
        f"validating on {len(y_val):,}, {c.epochs} epochs, batch {c.batch_size}, {device}")

    started = time.perf_counter()
    interrupted = False
    try:
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints progress to stdout; keep stdout for results
            model.fit(batches, validation_data=validation, epochs=c.epochs, verbose=verbose, callbacks=[keeper], shuffle=False)
    except KeyboardInterrupt:
        interrupted = True
        log(f"interrupted after {len(history)} epoch(s); keeping the best model so far")
    train_time = time.perf_counter() - started
    if not (run_dir / "model.keras").exists():
        raise EdgeCNNError(f"training stopped before the first epoch ended; nothing saved in {run_dir}")

    best = keras.saving.load_model(run_dir / "model.keras")
    with contextlib.redirect_stdout(sys.stderr):
        test_loss, test_acc = best.evaluate(to_float(test_split.images), test_split.labels, batch_size=512, verbose=0)
    metrics = {
        "complete": not interrupted,
        "interrupted": interrupted,
        "arch": c.arch,
        "test_accuracy": float(test_acc),
        "test_loss": float(test_loss),
        "best_epoch": keeper.best_epoch,
        "best_val_accuracy": keeper.best if len(y_val) else None,
        "epochs_run": len(history),
        "params": int(best.count_params()),
        "train_time_s": round(train_time, 1),
        "train_images": len(y_tr),
        "device": device,
        "versions": _versions(),
        "model": str(run_dir / "model.keras"),
        "run_dir": str(run_dir),
    }
    write_json(run_dir / "metrics.json", metrics)
    return metrics
