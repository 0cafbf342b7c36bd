"""A runtime-only install (no [train] extra, no repository around): what train, export and evaluate say."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from runtime_helpers import tiny_onnx

HEAVY = ("tensorflow", "keras", "tf2onnx", "onnx")


@pytest.fixture
def runtime_only(monkeypatch):
    """TensorFlow, Keras, tf2onnx and onnx look uninstalled."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] in HEAVY else real(name, *a))
    for name in HEAVY:
        monkeypatch.setitem(sys.modules, name, None)  # `import keras` → ModuleNotFoundError


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)])


@pytest.mark.parametrize("args", [["train", "--epochs", "1"], ["export", "runs/x"]])
def test_train_and_export_name_the_extra(runtime_only, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'edgecnn[train]'" in lines[0] and "unexpected" not in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []


def test_evaluate_keras_model_names_the_extra(runtime_only, tmp_path):
    (tmp_path / "model.keras").write_bytes(b"x")
    r = cli("evaluate", tmp_path / "model.keras")
    assert r.exit_code == 1 and "pip install 'edgecnn[train]'" in r.stderr and "unexpected" not in r.stderr, r.stderr


def test_evaluate_without_data_outside_the_repo_says_what_to_pass(runtime_only, tmp_path, monkeypatch):
    from edgecnn.tooling import mnist

    monkeypatch.setattr(mnist, "VENDORED", tmp_path / "nowhere")
    monkeypatch.setattr(mnist, "PACKAGED", tmp_path / "nowhere")
    monkeypatch.delenv("EDGECNN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"checked after the data")
    r = cli("evaluate", tmp_path / "model.onnx")
    assert r.exit_code == 1
    line = r.stderr.strip().splitlines()[-1]
    assert "--data DIR" in line and "t10k-images-idx3-ubyte.gz" in line and "mnist.npz" in line, r.stderr


def test_evaluate_finds_the_shipped_test_set(tmp_path, monkeypatch):
    """Outside the repository, the copy a wheel carries (edgecnn/mnist_data) is the default."""
    import shutil

    from edgecnn.tooling import mnist

    packaged = tmp_path / "mnist_data"
    packaged.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist.VENDORED / name, packaged / name)
    monkeypatch.setattr(mnist, "VENDORED", tmp_path / "nowhere")
    monkeypatch.setattr(mnist, "PACKAGED", packaged)
    monkeypatch.chdir(tmp_path)
    assert len(mnist.load_split("test", allow_download=False)) == 10000
