"""Broken MNIST data: corrupt IDX files, missing halves, wrong npz keys → one line naming the file (evaluate, train, export)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from edgecnn.mnist import write_idx
from reliability_helpers import assert_fails_cleanly, cli
from runtime_helpers import tiny_onnx


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("onnx")
    return tiny_onnx(tmp_path_factory.mktemp("m") / "tiny.onnx")


def good_idx(folder, n=20):
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):  # only the test split gets broken
        write_idx(folder / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))


def corrupt(folder, case):
    """Make ``folder`` hold a broken test split; return (the file to name, the message)."""
    good_idx(folder)
    images, labels = folder / "t10k-images-idx3-ubyte", folder / "t10k-labels-idx1-ubyte"
    if case == "bad_magic":
        raw = bytearray(labels.read_bytes())
        raw[:4] = (1234).to_bytes(4, "big")
        labels.write_bytes(bytes(raw))
        return labels, "bad magic number"
    if case == "wrong_count":  # header says 20 images, the file holds 19
        images.write_bytes(images.read_bytes()[:-784])
        return images, "header says"
    if case == "count_mismatch":  # 20 images, 15 labels
        write_idx(labels, np.zeros(15, np.uint8))
        return labels, "20 images but 15 labels"
    if case == "label_out_of_range":
        write_idx(labels, np.full(20, 11, np.uint8))
        return labels, "labels out of range"
    if case == "images_not_28":
        write_idx(images, np.zeros((20, 32, 32), np.uint8))
        return images, "28×28"
    if case == "missing_labels":
        labels.unlink()
        return folder, "not the test labels"
    if case == "bad_gzip":
        gz = folder / "t10k-labels-idx1-ubyte.gz"
        gz.write_bytes(gzip.compress(labels.read_bytes())[:30])
        labels.unlink()
        return gz, "cannot read IDX"
    if case == "empty_folder":
        for f in folder.iterdir():
            f.unlink()
        return folder, "no MNIST test split"
    if case == "npz_wrong_keys":
        p = folder / "data.npz"
        np.savez(p, images=np.zeros((3, 28, 28), np.uint8), labels=np.zeros(3, np.uint8))
        return p, "expected keys x_train"
    if case == "npz_not_a_zip":
        p = folder / "data.npz"
        p.write_text("not a zip")
        return p, "cannot read npz"
    if case == "npz_pickled":
        p = folder / "data.npz"
        np.savez(p, x_test=np.array([{"a": 1}] * 3, dtype=object), y_test=np.zeros(3, np.uint8))
        return p, "cannot read npz"
    if case == "missing":
        return folder / "nowhere", "no such file or folder"
    raise ValueError(case)


CASES = ["bad_magic", "wrong_count", "count_mismatch", "label_out_of_range", "images_not_28", "missing_labels", "bad_gzip",
         "empty_folder", "npz_wrong_keys", "npz_not_a_zip", "npz_pickled", "missing"]


def data_arg(folder, named):
    return named if named.suffix == ".npz" or named.name == "nowhere" else folder


@pytest.mark.parametrize("case", CASES)
def test_evaluate_bad_data(tmp_path, model, case):
    named, message = corrupt(tmp_path, case)
    r = cli("evaluate", model, "--data", data_arg(tmp_path, named))
    line = assert_fails_cleanly(r, 1, message)
    assert named.name in line


@pytest.mark.parametrize("case", ["bad_magic", "npz_wrong_keys"])
def test_train_and_export_bad_data(tmp_path, case):
    named, message = corrupt(tmp_path, case)
    arg = data_arg(tmp_path, named)
    assert_fails_cleanly(cli("train", "--data", arg, "--out", tmp_path / "run", "--epochs", "1", "--device", "cpu"), 1, message)
    assert not (tmp_path / "run").exists()
    run = tmp_path / "r"
    run.mkdir()
    (run / "model.keras").write_bytes(b"the data is checked first")
    assert_fails_cleanly(cli("export", run, "--data", arg), 1, message)
    assert sorted(p.name for p in run.iterdir()) == ["model.keras"]
