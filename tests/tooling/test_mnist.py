"""The numpy MNIST loader: IDX (gz/raw) and npz, and clear errors for corrupt files."""

import gzip

import numpy as np
import pytest

from edgecnn.errors import EdgeCNNError
from edgecnn.tooling.mnist import load_mnist, load_split, read_idx, write_idx


def make_set(folder, n=20, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, n, dtype=np.uint8)
    ext = ".gz" if gz else ""
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", x)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", y)
    return x, y


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    x, y = make_set(tmp_path, gz=gz)
    train, test = load_mnist(tmp_path, allow_download=False)
    assert np.array_equal(train.images, x) and np.array_equal(test.labels, y)
    assert train.images.dtype == np.uint8 and train.images.shape == (20, 28, 28)


def test_npz(tmp_path):
    x = np.zeros((5, 28, 28), np.uint8)
    y = np.arange(5, dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    assert len(load_split("train", tmp_path / "mnist.npz")) == 5
    assert len(load_split("test", tmp_path)) == 2  # a folder holding mnist.npz works too


def test_npz_wrong_keys(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((2, 28, 28)))
    with pytest.raises(EdgeCNNError, match="expected keys"):
        load_split("train", tmp_path / "d.npz")


def test_vendored_copy_is_complete():
    train, test = load_mnist(allow_download=False)
    assert (len(train), len(test)) == (60000, 10000)
    assert set(np.unique(test.labels)) == set(range(10))


def test_bad_magic(tmp_path):
    make_set(tmp_path)
    raw = bytearray(gzip.decompress((tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes()))
    raw[2:4] = b"\x09\x99"
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(EdgeCNNError, match="t10k-images.*bad magic"):
        load_split("test", tmp_path)


def test_wrong_count(tmp_path):
    make_set(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])  # header says 20 images; fewer bytes follow
    with pytest.raises(EdgeCNNError, match="train-images.*header says"):
        read_idx(path)


def test_labels_out_of_range(tmp_path):
    make_set(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(20, 12, np.uint8))
    with pytest.raises(EdgeCNNError, match="out of range"):
        load_split("test", tmp_path)


def test_count_mismatch(tmp_path):
    make_set(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(19, np.uint8))
    with pytest.raises(EdgeCNNError, match="20 images but 19 labels"):
        load_split("test", tmp_path)


def test_missing_half_and_missing_path(tmp_path):
    make_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(EdgeCNNError, match="not the test labels"):
        load_split("test", tmp_path)
    with pytest.raises(EdgeCNNError, match="--data"):
        load_split("test", tmp_path / "nowhere")


def test_not_gzip_garbage(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(EdgeCNNError, match="t10k-"):
        load_split("test", tmp_path)
