"""train and export in a fresh process: stderr carries only edgecnn's own lines; --verbose brings TensorFlow's back."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")

from edgecnn.cli.tfquiet import is_native  # noqa: E402

# What TensorFlow 2.21 printed on a CPU-only machine before: absl banner, oneDNN, cuda drivers, cuInit, NodeDef.
NOISE = re.compile(r"absl::InitializeLog|oneDNN|cuda|cuInit|NodeDef|^[IWEF]\d{4} ", re.I)


def edgecnn(*args, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CUDA_"))}
    return subprocess.run([sys.executable, "-m", "edgecnn", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def noise(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if NOISE.search(line)]


@pytest.fixture(scope="module")
def data(mnist_npz):
    return mnist_npz(300, 200)


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("tfq") / "run"
    # --device cpu: the case that printed "failed call to cuInit" (auto goes through the same filter)
    return out, edgecnn("train", "--arch", "conv2", "--epochs", "1", "--limit", "300", "--data", data, "--out", out,
                        "--device", "cpu")


def test_train_stderr_is_ours_only(quiet_run):
    out, r = quiet_run
    assert r.returncode == 0, r.stderr
    assert noise(r.stderr) == [] and "cuInit" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("training conv2") and lines[-1].startswith("next: edgecnn export")


def test_export_stderr_is_ours_only(quiet_run, data, tmp_path):
    run, _ = quiet_run
    r = edgecnn("export", run, "--data", data, "-o", tmp_path / "m.onnx")
    assert r.returncode == 0, r.stderr
    assert noise(r.stderr) == [], r.stderr
    assert "wrote" in r.stderr and (tmp_path / "m.onnx").is_file()


def test_verbose_keeps_tensorflow_lines(quiet_run, data, tmp_path):
    run, _ = quiet_run
    r = edgecnn("export", run, "--data", data, "-o", tmp_path / "m.onnx", "--verbose")
    assert r.returncode == 0, r.stderr
    assert noise(r.stderr), "expected TensorFlow's own lines with --verbose"


def test_filter_drops_native_lines_only():
    assert is_native(b"I0000 00:00:1796039848.674479    8936 port.cc:153] oneDNN custom operations are on.\n")
    assert is_native(b"E0000 00:00:1796039857.930312    8936 node_def_util.cc:682] NodeDef mentions attribute\n")
    assert is_native(b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    assert not is_native(b"9/9 - 3s - 338ms/step - accuracy: 0.2037\n")
    assert not is_native(b"error: --data x: no such file or folder\n")
