"""Interrupting `edgecnn train`: Ctrl-C keeps the best model and a resumable state; --resume continues it exactly."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.errors import EdgeCNNError

runner = CliRunner()


@pytest.fixture(scope="module")
def small_data(mnist_npz):
    """400 training and 200 test images: the runs here are about resuming, not accuracy."""
    return mnist_npz(400, 200)


def quick(out, data, **kw):
    from edgecnn.train.config import TrainConfig

    return TrainConfig(**{"arch": "edge", "epochs": 2, "batch_size": 64, "out": str(out), "seed": 5, "data": str(data),
                          "augment": True, "device": "cpu", "progress": "none", **kw})


def ctrl_c_at(epoch: int, batch: int):
    """A callback that sends this process a real SIGINT at (epoch, batch), like a user's Ctrl-C."""
    import keras

    class CtrlC(keras.callbacks.Callback):
        epoch = -1

        def on_epoch_begin(self, e, logs=None):
            self.epoch = e

        def on_train_batch_begin(self, b, logs=None):
            if (self.epoch, b) == (epoch, batch):
                os.kill(os.getpid(), signal.SIGINT)

    return CtrlC()


def weights(path):
    import keras

    return keras.saving.load_model(path).get_weights()


@pytest.fixture(scope="module")
def straight(tmp_path_factory, small_data):
    from edgecnn.train.trainer import train

    out = tmp_path_factory.mktemp("straight") / "run"
    train(quick(out, small_data), log=lambda m: None)
    return out


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, small_data):
    from edgecnn.train.trainer import train

    out = tmp_path_factory.mktemp("cut") / "run"
    metrics = train(quick(out, small_data), log=lambda m: None, callbacks=[ctrl_c_at(1, 2)])
    return out, metrics


def test_ctrl_c_keeps_best_and_resumable_state(interrupted):
    out, metrics = interrupted
    assert metrics["interrupted"] and not metrics["complete"] and metrics["epochs_run"] == 1
    assert json.loads((out / "metrics.json").read_text())["complete"] is False
    assert json.loads((out / "state.json").read_text())["epochs_done"] == 1
    assert len(json.loads((out / "history.json").read_text())) == 1
    assert (out / "model.keras").is_file() and (out / "last.keras").is_file()
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]


@pytest.fixture(scope="module")
def resumed(interrupted):
    out, _ = interrupted
    return out, runner.invoke(app, ["train", "--resume", str(out), "--json"])


def test_resume_continues_at_the_next_epoch(resumed):
    out, r = resumed
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["complete"] and summary["epochs_run"] == 2 and "resuming edge at epoch 2" in r.stderr
    assert json.loads((out / "metrics.json").read_text())["complete"] is True
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2]
    r = runner.invoke(app, ["train", "--resume", str(out)])
    assert r.exit_code == 1 and "already complete" in r.stderr


@pytest.mark.slow
def test_resume_matches_an_uninterrupted_run(resumed, straight):
    """Same seed → same batches, dropout masks and optimizer state → bit-identical weights."""
    out, r = resumed
    assert r.exit_code == 0, r.output
    for a, b in zip(weights(out / "last.keras"), weights(straight / "last.keras")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args, code, message", [
    (["--epochs", "3"], 2, "drop --epochs"),
    (["--arch", "conv2", "--seed", "1"], 2, "drop --arch, --seed"),
    (["--device", "tpu"], 2, "--device"),
])
def test_resume_refuses_contradictory_flags(tmp_path, args, code, message):
    r = runner.invoke(app, ["train", "--resume", str(tmp_path), *args])
    assert r.exit_code == code and message in r.stderr and "Traceback" not in r.output


def test_resume_needs_a_resumable_run(tmp_path):
    from edgecnn.train.trainer import resume

    with pytest.raises(EdgeCNNError, match="no such run directory"):
        resume(tmp_path / "missing")
    with pytest.raises(EdgeCNNError, match="no config.json"):
        resume(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"arch": "edge"}))
    with pytest.raises(EdgeCNNError, match="nothing to resume"):
        resume(tmp_path)


@pytest.mark.parametrize("state", ['{"epochs_done": 1e999}', '{"epochs_done": "abc"}', '{"epochs_done": 1, "best": "abc"}',
                                   '{"epochs_done": 1, "best": NaN}', '{"epochs_done": -3}', '[1, 2]'])
def test_resume_state_with_odd_numbers_is_named_damaged(tmp_path, state):
    """Issue 14 item 11: a state.json holding 1e999 or "abc" gave 'unexpected OverflowError/ValueError'."""
    from edgecnn.train.trainer import resume

    (tmp_path / "config.json").write_text(json.dumps({"arch": "edge"}))
    (tmp_path / "state.json").write_text(state)
    (tmp_path / "last.keras").write_bytes(b"")
    with pytest.raises(EdgeCNNError, match="state.json is damaged"):
        resume(tmp_path)


def test_history_with_nan_and_infinity_still_plots(tmp_path):
    """Issue 14 item 11: a history.json holding NaN/Infinity (or 1e999, or text) broke `evaluate --plot`
    with 'unexpected ValueError'; values that cannot be plotted are left out."""
    import numpy as np

    from edgecnn.tooling.evaluate import load_history, score
    from edgecnn.tooling.plots import evaluation_figure, figure_size

    h = tmp_path / "history.json"
    h.write_text('[{"epoch": 1, "accuracy": NaN, "loss": Infinity, "val_accuracy": 0.9, "val_loss": -Infinity},'
                 ' {"epoch": 1e999, "accuracy": 0.95, "loss": 1e999, "val_accuracy": "abc", "val_loss": 0.2},'
                 ' {"epoch": "abc", "accuracy": 0.97, "loss": 0.1, "val_accuracy": 0.96, "val_loss": 0.15}]')
    history = load_history(h)
    assert len(history) == 3 and all(np.isfinite(v) for e in history for v in e.values())
    rng = np.random.default_rng(0)
    ev = score(rng.dirichlet(np.ones(10), 50).astype(np.float32), rng.integers(0, 10, 50), top=36)
    img = evaluation_figure(ev, rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), history)
    assert (img.shape[1], img.shape[0]) == figure_size(curves=True)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert load_history(deep) == []
