"""The Keras callbacks every run uses: dropout seeded per epoch, and the run kept on disk after each epoch."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import keras
import numpy as np

from edgecnn.rundir import RunDir


def seed_states(model) -> list:
    """The state variables of the model's random seed generators (Dropout's), in layer order.

    ``Model.variables`` is Keras' public list of all state, seeds included.
    """
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


class EpochSeeds(keras.callbacks.Callback):
    """Dropout's random state is not saved in .keras files: key it by (seed, epoch) like the batches, so a
    resumed run draws the same masks as an uninterrupted one."""

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        for i, state in enumerate(seed_states(self.model)):
            start = int(np.random.default_rng([self.seed, 4, epoch, i]).integers(0, 2**30))
            state.assign(np.array([start, 0], dtype=state.dtype))


@contextlib.contextmanager
def ctrl_c_deferred():
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


class RunKeeper(keras.callbacks.Callback):
    """After each epoch, shielded from Ctrl-C: the best model (by validation accuracy) as ``model.keras``, the
    latest as ``last.keras``, then ``state.json`` (it names the epoch ``last.keras`` holds) and ``history.json``.

    Starts from what a resumed run had done (``history``, ``best``, ``best_epoch``, ``elapsed`` seconds).
    """

    def __init__(self, run: RunDir, history: list, best: float = -1.0, best_epoch: int = 0, elapsed: float = 0.0):
        super().__init__()
        self.run, self.history = run, list(history)
        self.best, self.best_epoch, self.elapsed = best, best_epoch, elapsed
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        with ctrl_c_deferred():
            self.history.append({"epoch": epoch + 1, **logs})
            score = logs.get("val_accuracy", logs.get("accuracy", 0.0))
            if score > self.best:
                self.best, self.best_epoch = score, epoch + 1
                with self.run.atomic(RunDir.MODEL) as tmp:
                    self.model.save(tmp)
            with self.run.atomic(RunDir.LAST) as tmp:
                self.model.save(tmp)
            self.run.write_json(RunDir.STATE, {
                "epochs_done": epoch + 1, "best": self.best, "best_epoch": self.best_epoch,
                "train_time_s": round(self.elapsed + time.perf_counter() - self.started, 1)})
            self.run.write_json(RunDir.HISTORY, self.history)
