"""``edgecnn train``: fit one network on MNIST and write a run directory.

A run directory holds ``model.keras`` (the best epoch by validation accuracy, saved
atomically as training goes), ``last.keras`` (the latest epoch, with optimizer state),
``config.json`` (the resolved configuration), ``history.json`` (per-epoch metrics),
``state.json`` (epochs done, best score; written after ``last.keras``) and, once training has
ended, ``metrics.json`` (test accuracy, loss, parameters, time, device, versions;
``"complete": true`` only when every epoch ran).

Ctrl-C keeps the best model and the resumable state (the end-of-epoch saves are shielded
from it); :func:`resume` continues from ``last.keras`` at the next epoch with the run's own
configuration. Batches are keyed by (seed, epoch, batch), so a resumed run sees the same
shuffling and augmentation as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import json
import math
import platform
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgecnn.errors import EdgeCNNError, UsageError
from edgecnn.fileio import atomic_path, write_json
from edgecnn.tooling.mnist import load_mnist, to_input

from .presets import PRESETS, check_arch
from .device import select_device


@dataclass
class TrainConfig:
    arch: str = "edge"
    epochs: int | None = None  # None: the preset's
    batch_size: int | None = None
    lr: float | None = None
    augment: bool | None = None
    styles: bool = False  # with augment: continental 7s and 1s (train/augment.py add_style)
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


@contextlib.contextmanager
def _ctrl_c_deferred():
    """Hold a Ctrl-C (SIGINT) until the block is done, then raise it: the epoch's files stay consistent."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _seed_generators(model) -> list:
    found = []
    for layer in model._flatten_layers(include_self=False):
        found += [g for g in getattr(layer, "_seed_generators", []) if g not in found]
    return found


def _keeper(run_dir: Path, history: list, seed: int, best: float = -1.0, best_epoch: int = 0, elapsed: float = 0.0):
    """Keep the best model (atomically), the last state and the per-epoch history on disk."""
    import keras

    class Keeper(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best, self.best_epoch = best, best_epoch
            self.started = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            # Dropout's random state is not saved in .keras files: key it by (seed, epoch) like the
            # batches, so a resumed run draws the same masks as an uninterrupted one.
            for i, gen in enumerate(_seed_generators(self.model)):
                start = int(np.random.default_rng([seed, 4, epoch, i]).integers(0, 2**30))
                gen.state.assign(np.array([start, 0], dtype=gen.state.dtype))

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            with _ctrl_c_deferred():
                history.append({"epoch": epoch + 1, **logs})
                score = logs.get("val_accuracy", logs.get("accuracy", 0.0))
                if score > self.best:
                    self.best, self.best_epoch = score, epoch + 1
                    with atomic_path(run_dir / "model.keras") as tmp:
                        self.model.save(tmp)
                with atomic_path(run_dir / "last.keras") as tmp:
                    self.model.save(tmp)
                # state.json last: it names the epoch last.keras holds
                write_json(run_dir / "state.json", {
                    "epochs_done": epoch + 1, "best": self.best, "best_epoch": self.best_epoch,
                    "train_time_s": round(elapsed + time.perf_counter() - self.started, 1)})
                write_json(run_dir / "history.json", history)

    return Keeper()


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise EdgeCNNError(f"{path.parent}: no {path.name}; {what}") from None
    except (OSError, ValueError) as e:
        raise EdgeCNNError(f"{path}: unreadable ({e})") from None


def resume(run_dir: str | Path, device: str | None = None, progress: str | None = None,
           log=lambda msg: print(msg, file=sys.stderr), callbacks=()) -> dict:
    """Continue an interrupted run in ``run_dir`` from ``last.keras`` at the next epoch, with its own configuration."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise EdgeCNNError(f"--resume {run_dir}: no such run directory")
    metrics = run_dir / "metrics.json"
    if metrics.is_file():
        done = _read_json(metrics, "")
        if isinstance(done, dict) and done.get("complete") is True:
            raise EdgeCNNError(f"--resume {run_dir}: this run is already complete")
    raw = _read_json(run_dir / "config.json", "not a training run directory")
    state = _read_json(run_dir / "state.json", "nothing to resume (no epoch finished, or a run from an older version)")
    if not (run_dir / "last.keras").is_file():
        raise EdgeCNNError(f"--resume {run_dir}: last.keras is missing; nothing to resume")
    fields = set(TrainConfig.__dataclass_fields__)
    try:
        config = TrainConfig(**{k: v for k, v in raw.items() if k in fields})
        done = int(state["epochs_done"])
        best, best_epoch = float(state.get("best", -1.0)), int(state.get("best_epoch", 0))
        train_time = float(state.get("train_time_s", 0.0))
        if not (0 <= done and 0 <= best_epoch and math.isfinite(best) and math.isfinite(train_time)):
            raise ValueError("a number out of range")
    except (TypeError, KeyError, ValueError, OverflowError, AttributeError) as e:
        raise EdgeCNNError(f"--resume {run_dir}: config.json or state.json is damaged ({e})") from None
    config.out = str(run_dir)
    if device is not None:
        config.device = device
    if progress is not None:
        config.progress = progress
    history = _read_json(run_dir / "history.json", "") if (run_dir / "history.json").is_file() else []
    history = [h for h in history if isinstance(h, dict)][:done] if isinstance(history, list) else []
    return train(config, log=log, callbacks=callbacks,
                 _resume={"epochs_done": done, "history": history, "best": best, "best_epoch": best_epoch,
                          "train_time_s": train_time})


def train(config: TrainConfig, log=lambda msg: print(msg, file=sys.stderr), callbacks=(), _resume: dict | None = None) -> dict:
    """Train ``config.arch`` and return the summary that is also written to ``metrics.json``.

    ``callbacks`` are extra Keras callbacks (tests use one to interrupt a run).
    """
    c = config.resolved()
    if _resume is not None and _resume["epochs_done"] >= c.epochs:
        raise EdgeCNNError(f"--resume {c.out}: all {c.epochs} epochs already ran")
    strategy, device = select_device(c.device)
    import keras
    import tensorflow as tf

    from .architectures import build
    from .data import MnistBatches, split_validation

    train_split, test_split = load_mnist(c.data)
    images, labels = train_split.images, train_split.labels
    if c.limit:
        images, labels = images[: c.limit], labels[: c.limit]
    (x_tr, y_tr), (x_val, y_val) = split_validation(images, labels, c.val_split, c.seed)
    if len(y_tr) == 0:
        raise UsageError("--val-split leaves no training images")

    run_dir = Path(c.out) if c.out else new_run_dir(c.arch)
    if _resume is None:
        if (run_dir / "metrics.json").exists() or (run_dir / "model.keras").exists():
            raise EdgeCNNError(f"{run_dir} already holds a run; choose another --out (or --resume {run_dir})")
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EdgeCNNError(f"--out {run_dir}: cannot create the run directory ({e.strerror or e})") from None
        c.out = str(run_dir)
        write_json(run_dir / "config.json", {**asdict(c), "device_used": device})
    else:
        (run_dir / "metrics.json").unlink(missing_ok=True)  # the run is under way again: not complete, not interrupted

    keras.utils.set_random_seed(c.seed)
    tf.config.experimental.enable_op_determinism()
    batches = MnistBatches(x_tr, y_tr, c.batch_size, c.seed, c.augment, styles=c.styles)
    initial_epoch = 0
    preset = PRESETS[c.arch]
    with strategy.scope():
        if _resume is None:
            model = build(c.arch)
            model.compile(
                optimizer=_optimizer(preset.optimizer, c.lr, c.epochs * len(batches), cosine=preset.cosine_lr),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
        else:
            try:  # the latest epoch with its optimizer state (step count, moments, schedule)
                model = keras.saving.load_model(run_dir / "last.keras", safe_mode=True)
            except Exception as e:
                detail = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
                raise EdgeCNNError(f"{run_dir / 'last.keras'}: cannot load it to resume ({detail})") from None
            initial_epoch = _resume["epochs_done"]
            batches.epoch = initial_epoch
            batches._order()
    validation = (to_input(x_val), y_val) if len(y_val) else None
    verbose = {"bar": 1, "lines": 2, "none": 0}.get(c.progress, 1 if sys.stderr.isatty() else 2)
    history: list[dict] = list(_resume["history"]) if _resume else []
    keeper = _keeper(run_dir, history, c.seed, **({"best": _resume["best"], "best_epoch": _resume["best_epoch"],
                                            "elapsed": _resume["train_time_s"]} if _resume else {}))
    what = f"resuming {c.arch} at epoch {initial_epoch + 1}" if _resume else f"training {c.arch}"
    log(f"{what} ({model.count_params():,} parameters) on {len(y_tr):,} images, "
        f"validating on {len(y_val):,}, {c.epochs} epochs, batch {c.batch_size}, {device}")

    started = time.perf_counter()
    interrupted = False
    try:
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints progress to stdout; keep stdout for results
            model.fit(batches, validation_data=validation, epochs=c.epochs, initial_epoch=initial_epoch, verbose=verbose,
                      callbacks=[keeper, *callbacks], shuffle=False)
    except KeyboardInterrupt:
        interrupted = True
        log(f"interrupted after {len(history)} epoch(s); keeping the best model so far "
            f"(continue with: edgecnn train --resume {run_dir})")
    train_time = time.perf_counter() - started + (_resume["train_time_s"] if _resume else 0.0)
    if not (run_dir / "model.keras").exists():
        raise EdgeCNNError(f"training stopped before the first epoch ended; nothing saved in {run_dir}")

    best = keras.saving.load_model(run_dir / "model.keras")
    with contextlib.redirect_stdout(sys.stderr):
        test_loss, test_acc = best.evaluate(to_input(test_split.images), test_split.labels, batch_size=512, verbose=0)
    interrupted = interrupted or len(history) < c.epochs  # e.g. a callback stopped the run early
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
