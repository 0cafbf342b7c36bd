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

:func:`train` reads top to bottom: prepare (settings, data, run directory) → build or resume the model →
fit → finalize (test accuracy, ``metrics.json``). A new run and a resumed one differ only in their
:class:`Start` and in those two steps' first lines.

Why not ``keras.callbacks.BackupAndRestore`` for resuming: it keeps its own ``latest.weights.h5`` and
``training_metadata.json`` (written in place, not atomically, and not shielded from Ctrl-C), restores
whenever its folder holds a backup (``edgecnn train`` resumes only when asked, and refuses to overwrite a
run), deletes the backup when ``fit`` ends, and restores only the weights and the epoch. A run directory
still needs ``config.json`` (the run's own settings), ``state.json`` (best score and epoch, time so far),
``history.json``, the best ``model.keras``, and the batch order and dropout seeds keyed by epoch; and
``last.keras`` is what existing runs resume from. Using it would change the run directory's format and
add a second copy of the model per epoch without removing any of that code.
"""

from __future__ import annotations

import contextlib
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from edgecnn.errors import EdgeCNNError, SettingError, first_line
from edgecnn.rundir import RunDir
from edgecnn.tooling.mnist import load_mnist, to_input

from .config import TrainConfig
from .device import select_device
from .presets import PRESETS

__all__ = ["TrainConfig", "Start", "train", "resume"]


@dataclass
class Start:
    """Where fitting starts: epoch 0 of a new run, or what an interrupted run had done (its ``state.json``)."""

    epochs_done: int = 0
    history: list = field(default_factory=list)
    best: float = -1.0
    best_epoch: int = 0
    train_time_s: float = 0.0
    resumed: bool = False

    @classmethod
    def of(cls, run: RunDir, state) -> "Start":
        """What an interrupted run had done, from its ``state.json`` (``state``) and ``history.json``."""
        try:
            done = int(state["epochs_done"])
            best, best_epoch = float(state.get("best", -1.0)), int(state.get("best_epoch", 0))
            train_time = float(state.get("train_time_s", 0.0))
            if not (0 <= done and 0 <= best_epoch and math.isfinite(best) and math.isfinite(train_time)):
                raise ValueError("a number out of range")
        except (TypeError, KeyError, ValueError, OverflowError, AttributeError) as e:
            raise SettingError("resume", f"{{setting}} {run}: config.json or state.json is damaged ({e})", exit_code=1) from None
        history = run.load_json(RunDir.HISTORY, "") if run.history.is_file() else []
        history = [h for h in history if isinstance(h, dict)][:done] if isinstance(history, list) else []
        return cls(done, history, best, best_epoch, train_time, resumed=True)


@dataclass
class Prepared:
    """Everything fitting needs, settled before any model exists."""

    config: TrainConfig  # resolved
    run: RunDir
    start: Start
    strategy: object  # tf.distribute strategy
    device: str
    batches: object  # data.MnistBatches
    validation: tuple | None
    test: object  # the MNIST test split
    train_images: int
    val_images: int
    init_weights: list | None = None  # --init: the weights a new run starts from


def resume(run_dir, device: str | None = None, progress: str | None = None,
           log=lambda msg: print(msg, file=sys.stderr), callbacks=()) -> dict:
    """Continue an interrupted run in ``run_dir`` from ``last.keras`` at the next epoch, with its own configuration."""
    run = RunDir(run_dir)
    if not run.is_dir():
        raise SettingError("resume", f"{{setting}} {run}: no such run directory", exit_code=1)
    if run.metrics.is_file():
        done = run.load_json(RunDir.METRICS, "")
        if isinstance(done, dict) and done.get("complete") is True:
            raise SettingError("resume", f"{{setting}} {run}: this run is already complete", exit_code=1)
    raw = run.load_json(RunDir.CONFIG, "not a training run directory")
    state = run.load_json(RunDir.STATE, "nothing to resume (no epoch finished, or a run from an older version)")
    if not run.last.is_file():
        raise SettingError("resume", f"{{setting}} {run}: last.keras is missing; nothing to resume", exit_code=1)
    start = Start.of(run, state)
    fields = set(TrainConfig.__dataclass_fields__)
    try:
        config = TrainConfig(**{k: v for k, v in raw.items() if k in fields})
    except (TypeError, AttributeError) as e:
        raise SettingError("resume", f"{{setting}} {run}: config.json or state.json is damaged ({e})", exit_code=1) from None
    config.out = str(run)
    if device is not None:
        config.device = device
    if progress is not None:
        config.progress = progress
    return train(config, log=log, callbacks=callbacks, start=start)


def train(config: TrainConfig, log=lambda msg: print(msg, file=sys.stderr), callbacks=(), start: Start | None = None) -> dict:
    """Train ``config.arch`` and return the summary that is also written to ``metrics.json``.

    ``callbacks`` are extra Keras callbacks (tests use one to interrupt a run); ``start`` is where a resumed
    run continues (:func:`resume` reads it).
    """
    p = _prepare(config, start or Start())
    model = _build_or_resume(p)
    keeper, interrupted, seconds = _fit(p, model, callbacks, log)
    return _finalize(p, keeper, interrupted, seconds)


def _prepare(config: TrainConfig, start: Start) -> Prepared:
    """Settings checked, device chosen, data split, run directory made (or reopened), seeds set."""
    c = config.resolved()
    if start.resumed and start.epochs_done >= c.epochs:
        raise SettingError("resume", f"{{setting}} {c.out}: all {c.epochs} epochs already ran", exit_code=1)
    strategy, device = select_device(c.device)
    import keras
    import tensorflow as tf

    from .data import MnistBatches, split_validation

    train_split, test_split = load_mnist(c.data)
    images, labels = train_split.images, train_split.labels
    if c.limit:
        images, labels = images[: c.limit], labels[: c.limit]
    (x_tr, y_tr), (x_val, y_val) = split_validation(images, labels, c.val_split, c.seed)
    if len(y_tr) == 0:
        raise SettingError("val_split", "{setting} leaves no training images")
    init_weights = _init_weights(c.init, c.arch) if c.init and not start.resumed else None

    run = RunDir(c.out) if c.out else RunDir.new(c.arch)
    if start.resumed:
        run.metrics.unlink(missing_ok=True)  # the run is under way again: not complete, not interrupted
    else:
        if run.holds_run():
            raise SettingError("out", f"{run} already holds a run; choose another {{setting}} (or {{resume}} {run})",
                               exit_code=1, also=("resume",))
        try:
            run.create()
        except EdgeCNNError as e:
            raise SettingError("out", f"{{setting}} {e}", exit_code=1) from None
        c.out = str(run)
        run.write_json(RunDir.CONFIG, {**asdict(c), "device_used": device})

    keras.utils.set_random_seed(c.seed)
    tf.config.experimental.enable_op_determinism()
    batches = MnistBatches(x_tr, y_tr, c.batch_size, c.seed, c.augment, styles=c.styles, epoch=start.epochs_done,
                           stroke_match=c.stroke_match)
    validation = (to_input(x_val), y_val) if len(y_val) else None
    return Prepared(c, run, start, strategy, device, batches, validation, test_split, len(y_tr), len(y_val), init_weights)


def _build_or_resume(p: Prepared):
    """A new compiled model, or ``last.keras`` with its optimizer state (step count, moments, schedule)."""
    import keras

    from .architectures import build

    c, preset = p.config, PRESETS[p.config.arch]
    with p.strategy.scope():
        if not p.start.resumed:
            model = build(c.arch)
            if p.init_weights is not None:
                model.set_weights(p.init_weights)
            model.compile(optimizer=_optimizer(preset.optimizer, c.lr, c.epochs * len(p.batches), cosine=preset.cosine_lr,
                                               ema=c.ema),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model
        try:
            return keras.saving.load_model(p.run.last, safe_mode=True)
        except Exception as e:
            raise EdgeCNNError(f"{p.run.last}: cannot load it to resume ({first_line(e)})") from None


def _init_weights(path: str, arch: str) -> list:
    """The weights of the Keras model saved at ``path``, checked to fit a new ``arch`` network."""
    import keras

    from .architectures import build

    try:
        source = keras.saving.load_model(path, safe_mode=True)
    except Exception as e:
        raise SettingError("init", f"{{setting}} {path}: cannot load it ({first_line(e)})", exit_code=1) from None
    weights = source.get_weights()
    if [w.shape for w in weights] != [tuple(w.shape) for w in build(arch).weights]:
        raise SettingError("init", f"{{setting}} {path}: its layers do not match --arch {arch}", exit_code=1)
    return weights


def _fit(p: Prepared, model, callbacks, log):
    """``model.fit`` from the start epoch, the run kept on disk each epoch; Ctrl-C ends it, keeping the best model."""
    from .callbacks import EpochSeeds, RunKeeper

    c, s = p.config, p.start
    what = f"resuming {c.arch} at epoch {s.epochs_done + 1}" if s.resumed else f"training {c.arch}"
    log(f"{what} ({model.count_params():,} parameters) on {p.train_images:,} images, validating on "
        f"{p.val_images:,}, {c.epochs} epochs, batch {c.batch_size}, {p.device}")
    keeper = RunKeeper(p.run, s.history, s.best, s.best_epoch, s.train_time_s)
    verbose = {"bar": 1, "lines": 2, "none": 0}.get(c.progress, 1 if sys.stderr.isatty() else 2)
    started = time.perf_counter()
    interrupted = False
    try:
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints progress to stdout; keep stdout for results
            model.fit(p.batches, validation_data=p.validation, epochs=c.epochs, initial_epoch=s.epochs_done,
                      verbose=verbose, callbacks=[EpochSeeds(c.seed), keeper, *callbacks], shuffle=False)
    except KeyboardInterrupt:
        interrupted = True
        log(f"interrupted after {len(keeper.history)} epoch(s); keeping the best model so far "
            f"(continue with: edgecnn train --resume {p.run})")
    if c.ema > 0 and not interrupted and len(keeper.history) == c.epochs:  # fit ended with the average in the model
        keeper.best_epoch = c.epochs
        with p.run.atomic(RunDir.MODEL) as tmp:
            model.save(tmp)
    return keeper, interrupted, time.perf_counter() - started + s.train_time_s


def _finalize(p: Prepared, keeper, interrupted: bool, train_time: float) -> dict:
    """The best epoch's test accuracy, and ``metrics.json`` (``complete`` only when every epoch ran)."""
    import keras

    c, run = p.config, p.run
    if not run.model.exists():
        raise EdgeCNNError(f"training stopped before the first epoch ended; nothing saved in {run}")
    best = keras.saving.load_model(run.model)
    with contextlib.redirect_stdout(sys.stderr):
        test_loss, test_acc = best.evaluate(to_input(p.test.images), p.test.labels, batch_size=512, verbose=0)
    interrupted = interrupted or len(keeper.history) < c.epochs  # e.g. a callback stopped the run early
    metrics = {
        "complete": not interrupted,
        "interrupted": interrupted,
        "arch": c.arch,
        "test_accuracy": float(test_acc),
        "test_loss": float(test_loss),
        "best_epoch": keeper.best_epoch,
        "best_val_accuracy": keeper.best if p.val_images else None,
        "epochs_run": len(keeper.history),
        "params": int(best.count_params()),
        "train_time_s": round(train_time, 1),
        "train_images": p.train_images,
        "device": p.device,
        "versions": _versions(),
        "model": str(run.model),
        "run_dir": str(run),
    }
    run.write_json(RunDir.METRICS, metrics)
    return metrics


def _optimizer(name: str, lr: float, total_steps: int, cosine: bool, ema: float = 0.0):
    """Adam or RMSprop at ``lr`` (cosine-decayed to 1% over ``total_steps`` if ``cosine``). With ``ema`` > 0 it keeps
    an exponential moving average of the weights (Keras' ``use_ema``, momentum ``ema``), which ``fit`` puts in the model
    when it ends (:func:`_fit` then saves that model)."""
    import keras
    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps), alpha=0.01) if cosine else lr
    average = {"use_ema": True, "ema_momentum": ema} if ema > 0 else {}
    return (keras.optimizers.RMSprop(schedule, **average) if name == "rmsprop"
            else keras.optimizers.Adam(schedule, **average))


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}
