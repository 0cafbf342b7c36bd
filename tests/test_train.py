"""`edgecnn train`: a quick run writes a usable run directory; same seed → same weights."""

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.train.config import TrainConfig

runner = CliRunner()


def quick(out, **kw):
    return TrainConfig(**{"arch": "edge", "epochs": 1, "batch_size": 64, "limit": 400, "out": str(out),
                          "device": "cpu", "progress": "none", **kw})


def test_cli_writes_run_dir(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", "--arch", "conv2", "--epochs", "1", "--limit", "300",
                                 "--batch-size", "64", "--out", str(out), "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout holds only the JSON document
    assert summary["complete"] and summary["arch"] == "conv2" and summary["epochs_run"] == 1
    assert 0 <= summary["test_accuracy"] <= 1
    for name in ("model.keras", "last.keras", "config.json", "history.json", "metrics.json"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["epochs"] == 1 and config["batch_size"] == 64 and config["arch"] == "conv2"
    import keras

    model = keras.saving.load_model(out / "model.keras")
    assert model.predict(np.zeros((1, 28, 28, 1), np.float32), verbose=0).shape == (1, 10)


def test_same_seed_same_weights(tmp_path):
    import keras

    from edgecnn.train.trainer import train

    weights = []
    for name in ("a", "b"):
        train(quick(tmp_path / name, seed=3, augment=True), log=lambda m: None)
        weights.append(keras.saving.load_model(tmp_path / name / "model.keras").get_weights())
    assert all(np.array_equal(x, y) for x, y in zip(*weights))


def test_init_starts_from_a_models_weights(tmp_path):
    import keras

    from edgecnn.errors import SettingError
    from edgecnn.train.trainer import train

    train(quick(tmp_path / "a", seed=1), log=lambda m: None)
    start = keras.saving.load_model(tmp_path / "a" / "model.keras").get_weights()
    train(quick(tmp_path / "b", seed=2, lr=1e-9, init=str(tmp_path / "a" / "model.keras")), log=lambda m: None)
    tuned = keras.saving.load_model(tmp_path / "b" / "model.keras")
    kernels = [i for i, w in enumerate(tuned.weights) if w.path.endswith("kernel")]
    assert kernels and all(np.allclose(tuned.get_weights()[i], start[i], atol=1e-6) for i in kernels)
    assert json.loads((tmp_path / "b" / "config.json").read_text())["init"].endswith("model.keras")
    with pytest.raises(SettingError, match="do not match") as e:  # another network's weights
        train(quick(tmp_path / "c", arch="conv2", init=str(tmp_path / "a" / "model.keras")), log=lambda m: None)
    assert e.value.setting == "init" and not (tmp_path / "c").exists()


def test_refuses_to_overwrite_a_run(tmp_path):
    from edgecnn.errors import EdgeCNNError
    from edgecnn.train.trainer import train

    (tmp_path / "model.keras").write_text("previous run")
    with pytest.raises(EdgeCNNError, match="already holds a run"):
        train(quick(tmp_path), log=lambda m: None)
    assert (tmp_path / "model.keras").read_text() == "previous run"


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs"),
    (["--batch-size", "0"], "--batch-size"),
    (["--val-split", "1.5"], "--val-split"),
    (["--arch", "resnet"], "unknown --arch"),
    (["--device", "tpu"], "--device"),
    (["--ema", "1"], "--ema"),
])
def test_bad_options_exit_2_with_one_line(args, message, tmp_path):
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_offline_without_data_names_the_flag(tmp_path):
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "--data" in result.stderr


def test_missing_init_model_names_the_flag(tmp_path):
    result = runner.invoke(app, ["train", "--init", str(tmp_path / "none.keras"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "--init" in result.stderr and "none.keras" in result.stderr
    assert not (tmp_path / "r").exists()


def test_help_does_not_import_tensorflow():
    code = ("import sys; from typer.testing import CliRunner; from edgecnn.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
            "r = CliRunner().invoke(app, ['train', '--help']); assert r.exit_code == 0; "
            "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be ≥ 1 (got 0)"),
    ({"lr": 0.0}, "lr must be above 0 and below 10 (got 0.0)"),
    ({"val_split": 1.0}, "val_split must be ≥ 0 and below 1 (got 1.0)"),
    ({"device": "tpu"}, "device must be one of auto, cpu, gpu (got 'tpu')"),
    ({"arch": "resnet"}, "unknown arch 'resnet'"),
    ({"ema": 1.0}, "ema must be ≥ 0 and below 1 (got 1.0)"),
])
def test_config_is_checked_once_in_the_settings_words(kwargs, message):
    """The library speaks of settings; the CLI shows the same error with the flag (--val-split)."""
    from edgecnn.errors import SettingError

    with pytest.raises(SettingError) as e:
        TrainConfig(**kwargs).resolved()
    assert str(e.value).startswith(message) and e.value.exit_code == 2
    assert e.value.for_cli().replace(e.value.flag, e.value.setting) == str(e.value)


def test_ema_saves_the_average_of_the_weights_as_the_model(tmp_path):
    """With --ema the optimizer keeps a moving average of the weights; when the run ends, model.keras holds it (the
    last epoch's weights stay in last.keras)."""
    import keras

    from edgecnn.train.trainer import _optimizer, train

    assert not _optimizer("adam", 1e-3, 100, cosine=True).use_ema
    m = train(quick(tmp_path, ema=0.9, epochs=2), log=lambda m: None)
    assert m["complete"] and m["best_epoch"] == 2
    averaged, last = (keras.saving.load_model(tmp_path / n) for n in ("model.keras", "last.keras"))
    assert averaged.optimizer.use_ema and averaged.optimizer.ema_momentum == 0.9
    assert any(not np.allclose(a, b) for a, b in zip(averaged.get_weights(), last.get_weights()))
