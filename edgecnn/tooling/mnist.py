"""Numpy-only MNIST loader: IDX files (``.gz`` or raw) or Keras' ``mnist.npz``.

Used by training, export validation and evaluation; it never imports TensorFlow
unless it has to fall back to Keras' downloader.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EdgeCNNError

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
SPLITS = {"train": "train", "test": "t10k"}
MAX_DATA_BYTES = 256 * 1024 * 1024  # one IDX file or npz, inflated (MNIST's train images are 47 MB)
# The vendored copy in the source tree (works for a clone and an editable install).
VENDORED = Path(__file__).resolve().parents[2] / "data" / "mnist"
# The test split inside an installed wheel (pyproject maps data/mnist to edgecnn.mnist_data).
PACKAGED = Path(__file__).resolve().parents[1] / "mnist_data"


@dataclass
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, ink bright on black
    labels: np.ndarray  # (N,) uint8 in 0..9

    def __len__(self) -> int:
        return len(self.labels)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzip or raw) and check its header against its size."""
    from ..fileio import gunzip_limited, read_regular

    path = Path(path)
    raw = read_regular(path, MAX_DATA_BYTES, kind="an IDX file")  # no FIFOs or devices
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gunzip_limited(raw, MAX_DATA_BYTES, str(path))  # refused while inflating, not after 6 GiB
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:  # zlib.error: corrupt deflate data in a .gz
        raise EdgeCNNError(f"{path}: cannot read IDX file ({e})") from None
    if len(raw) < 8:
        raise EdgeCNNError(f"{path}: not an IDX file (too short)")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (IMAGE_MAGIC, LABEL_MAGIC):
        raise EdgeCNNError(f"{path}: bad magic number {magic} (expected {IMAGE_MAGIC} for images or {LABEL_MAGIC} for labels)")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise EdgeCNNError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise EdgeCNNError(f"{path}: header says {shape} ({expected} bytes) but the file has {len(raw)} bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def to_input(images: np.ndarray) -> np.ndarray:
    """MNIST-style images (uint8 0..255, or float already in [0, 1]) → the networks' float32 N×28×28×1 in [0, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    return np.ascontiguousarray(images.reshape(-1, 28, 28, 1), dtype=np.float32)


def check_split(images: np.ndarray, labels: np.ndarray, where: str) -> Split:
    """A :class:`Split` from images and labels that fit together (N×28×28 uint8, N labels in 0..9), or EdgeCNNError."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise EdgeCNNError(f"{where}: images must be N×28×28, got {images.shape}")
    if labels.ndim != 1:
        raise EdgeCNNError(f"{where}: labels must be a 1-D array, got shape {labels.shape}")
    if len(images) != len(labels):
        raise EdgeCNNError(f"{where}: {len(images)} images but {len(labels)} labels")
    if len(labels) and (int(labels.max()) > 9 or int(labels.min()) < 0):
        bad = int(labels.max()) if int(labels.max()) > 9 else int(labels.min())
        raise EdgeCNNError(f"{where}: labels out of range 0..9 (found {bad})")
    if images.dtype != np.uint8:
        if images.min() < 0 or images.max() > 255:
            raise EdgeCNNError(f"{where}: pixel values must be in 0..255")
        images = images.astype(np.uint8)
    return Split(np.ascontiguousarray(images), labels.astype(np.uint8))


def _find_idx(folder: Path, prefix: str, kind: str) -> Path | None:
    for name in (f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte",
                 f"{prefix}-{kind}.idx{3 if kind == 'images' else 1}-ubyte"):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def _load_idx_split(folder: Path, split: str) -> Split | None:
    images = _find_idx(folder, SPLITS[split], "images")
    labels = _find_idx(folder, SPLITS[split], "labels")
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        missing = "images" if images is None else "labels"
        raise EdgeCNNError(f"{folder}: found the {split} {'labels' if missing == 'images' else 'images'} but not the {split} {missing} IDX file")
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3:
        raise EdgeCNNError(f"{images}: expected an image file (3-D), got {x.ndim}-D")
    if y.ndim != 1:
        raise EdgeCNNError(f"{labels}: expected a label file (1-D), got {y.ndim}-D")
    return check_split(x, y, f"{images.name}/{labels.name}")


def _load_npz(path: Path, split: str) -> Split | None:
    from ..fileio import check_regular, check_zip_sizes

    check_regular(path, kind="an npz file")
    check_zip_sizes(path, MAX_DATA_BYTES)  # a 4.9 MB npz can hold a 4.7 GB array
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            need = {f"x_{split}", f"y_{split}"}
            if not need <= keys:
                if keys & {"x_train", "x_test", "y_train", "y_test"}:
                    return None  # this split is simply absent
                raise EdgeCNNError(f"{path}: not a Keras MNIST npz (expected keys x_train, y_train, x_test, y_test; found {sorted(keys)})")
            return check_split(data[f"x_{split}"], data[f"y_{split}"], str(path))
    except EdgeCNNError:
        raise
    except Exception as e:  # zipfile/pickle/format errors
        raise EdgeCNNError(f"{path}: cannot read npz ({e})") from None


def default_locations() -> list[Path]:
    env = os.environ.get("EDGECNN_DATA")
    places = [Path(env)] if env else []
    places += [VENDORED, PACKAGED, Path.cwd() / "data" / "mnist", Path.home() / ".keras" / "datasets" / "mnist.npz"]
    return places


def _load_from(path: Path, split: str) -> Split | None:
    if path.is_dir():
        found = _load_idx_split(path, split)
        if found is None and (path / "mnist.npz").is_file():
            found = _load_npz(path / "mnist.npz", split)
        return found
    if path.is_file():
        if path.suffix == ".npz":
            return _load_npz(path, split)
        raise EdgeCNNError(f"{path}: expected a folder of IDX files or a .npz file")
    return None


def load_split(split: str = "test", data: str | os.PathLike | None = None, *, allow_download: bool = True) -> Split:
    """Load ``split`` ('train' or 'test') from ``data`` or, if None, from the default places."""
    if split not in SPLITS:
        raise EdgeCNNError(f"unknown split {split!r} (use 'train' or 'test')")
    if data is not None:
        path = Path(data)
        if not path.exists():
            raise EdgeCNNError(f"--data {path}: no such file or folder")
        found = _load_from(path, split)
        if found is None:
            raise EdgeCNNError(f"--data {path}: no MNIST {split} split there (IDX files like {SPLITS[split]}-images-idx3-ubyte.gz, or mnist.npz)")
        return found
    for place in default_locations():
        found = _load_from(place, split)
        if found is not None:
            return found
    if allow_download:
        return _download(split)
    raise EdgeCNNError("MNIST not found; pass --data PATH (a folder of IDX files or mnist.npz)")


def load_mnist(data: str | os.PathLike | None = None, *, allow_download: bool = True) -> tuple[Split, Split]:
    """Return (train, test)."""
    return load_split("train", data, allow_download=allow_download), load_split("test", data, allow_download=allow_download)


def _download(split: str) -> Split:
    """Last resort: Keras' downloader (needs the train extra and a network)."""
    try:
        import keras  # noqa: PLC0415  (heavy, only here)
    except ImportError:
        raise EdgeCNNError("MNIST not found locally and Keras is not installed to download it; pass --data PATH") from None
    try:
        (xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()
    except Exception as e:
        raise EdgeCNNError(f"MNIST not found locally and the download failed ({type(e).__name__}); pass --data PATH") from None
    return check_split(*((xtr, ytr) if split == "train" else (xte, yte)), "keras download")


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` (uint8, 1-D labels or 3-D images) as an IDX file; gzip if the name ends in .gz."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = LABEL_MAGIC if array.ndim == 1 else IMAGE_MAGIC
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.tobytes()
    if str(path).endswith(".gz"):
        raw = gzip.compress(raw)
    from ..atomic import write_bytes
    write_bytes(path, raw)
