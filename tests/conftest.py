"""Shared fixtures: small MNIST subsets and a tiny model trained once per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")  # tests are CPU-only and reproducible

# CI explores a fixed set of Hypothesis examples (no red run by chance); local runs keep exploring randomly.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


@pytest.fixture(scope="session")
def mnist_test():
    from edgecnn.tooling.mnist import load_split

    return load_split("test")


@pytest.fixture(scope="session")
def mnist_train():
    from edgecnn.tooling.mnist import load_split

    return load_split("train")


@pytest.fixture(scope="session")
def mnist_npz(tmp_path_factory, mnist_train, mnist_test):
    """Factory: ``mnist_npz(n_train, n_test)`` → a Keras-format npz of the first MNIST images (n_train=0: test split only)."""
    made = {}

    def make(n_train: int, n_test: int) -> Path:
        if (n_train, n_test) not in made:
            path = tmp_path_factory.mktemp("npz") / "mnist.npz"
            arrays = {"x_test": mnist_test.images[:n_test], "y_test": mnist_test.labels[:n_test]}
            if n_train:
                arrays.update(x_train=mnist_train.images[:n_train], y_train=mnist_train.labels[:n_train])
            np.savez(path, **arrays)
            made[(n_train, n_test)] = path
        return made[(n_train, n_test)]

    return make


@pytest.fixture(scope="session")
def tiny_keras_path(tmp_path_factory, mnist_train) -> Path:
    """An `edge` network fit for three quick epochs on 3,000 training images, saved as .keras (enough to learn: test_export checks > 85%).

    The learning rate decays to ~0 so the BatchNorm running statistics catch up with the weights.
    """
    import keras

    from edgecnn.train.architectures import build

    keras.utils.set_random_seed(0)
    model = build("edge")
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=3 * 47)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = mnist_train.images[:3000, :, :, None].astype("float32") / 255.0
    model.fit(x, mnist_train.labels[:3000], epochs=3, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("tiny") / "model.keras"
    model.save(path)
    return path
