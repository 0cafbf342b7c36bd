"""Broken MNIST data: corrupt IDX files, missing halves, wrong npz keys → one line naming the file (evaluate, train, export)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from edgecnn.tooling.mnist import write_idx
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


def test_idx_gz_that_inflates_past_the_limit_is_refused_while_inflating(tmp_path, model, monkeypatch):
    """Issue 14 item 6: an IDX .gz that inflates to 6 GiB was inflated whole before any check."""
    import edgecnn.tooling.mnist as mnist

    monkeypatch.setattr(mnist, "MAX_DATA_BYTES", 4 * 2**20)  # the real limit is 256 MiB; same code path
    good_idx(tmp_path)
    images = tmp_path / "t10k-images-idx3-ubyte"
    n = 20_000  # 15.7 MB of zeros behind a valid header: 16 KB compressed
    header = (2051).to_bytes(4, "big") + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + bytes(n * 784)))
    images.unlink()
    calls = []
    real = gzip.decompress
    monkeypatch.setattr(gzip, "decompress", lambda *a, **k: calls.append(1) or real(*a, **k))
    r = cli("evaluate", model, "--data", tmp_path)
    assert_fails_cleanly(r, 1, "t10k-images-idx3-ubyte.gz", "inflates to over 4 MiB")
    assert not calls


def test_npz_holding_a_huge_array_is_refused_before_loading(tmp_path, model, monkeypatch):
    """Issue 14 item 6: a 4.9 MB npz holding a 4.7 GB array was loaded whole."""
    import edgecnn.tooling.mnist as mnist

    monkeypatch.setattr(mnist, "MAX_DATA_BYTES", 4 * 2**20)
    p = tmp_path / "big.npz"
    np.savez_compressed(p, x_test=np.zeros((8000, 28, 28), np.uint8), y_test=np.zeros(8000, np.uint8))
    assert p.stat().st_size < 100_000
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("loaded an npz over the limit"))
    assert_fails_cleanly(cli("evaluate", model, "--data", p), 1, str(p), "inflates to")


def test_negative_labels_are_one_clear_line(tmp_path, model):
    """Issue 14 item 11: an npz with labels of -1 gave 'unexpected ...' instead of naming the file."""
    p = tmp_path / "neg.npz"
    np.savez(p, x_test=np.zeros((3, 28, 28), np.uint8), y_test=np.array([1, -1, 2], np.int64))
    assert_fails_cleanly(cli("evaluate", model, "--data", p), 1, str(p), "labels out of range 0..9 (found -1)")


def test_fifo_as_data_is_refused_unopened(tmp_path, model):
    """Issue 14 items 3-4: pipes and devices are not data files (a FIFO blocked, /dev/zero never ended)."""
    import os

    from edgecnn.errors import EdgeCNNError
    from edgecnn.tooling.mnist import read_idx

    fifo = tmp_path / "t10k-labels-idx1-ubyte"
    os.mkfifo(fifo)
    with pytest.raises(EdgeCNNError, match="pipe"):
        read_idx(fifo)
    with pytest.raises(EdgeCNNError, match="device"):
        read_idx("/dev/zero")
    npz = tmp_path / "pipe.npz"
    os.mkfifo(npz)
    assert_fails_cleanly(cli("evaluate", model, "--data", npz), 1, str(npz))


def test_npz_from_a_newer_zip_version_is_one_clear_line(tmp_path, model):
    """Found by scripts/fuzz.py: a central directory asking for zip version 17.3 raised NotImplementedError in the
    new size check."""
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, x_test=np.zeros((3, 28, 28), np.uint8), y_test=np.zeros(3, np.uint8))
    data = bytearray(buf.getvalue())
    i = data.find(b"PK\x01\x02")
    data[i + 6: i + 8] = (173).to_bytes(2, "little")  # "version needed to extract": 17.3
    p = tmp_path / "new.npz"
    p.write_bytes(bytes(data))
    assert_fails_cleanly(cli("evaluate", model, "--data", p), 1, str(p), "cannot read npz")
