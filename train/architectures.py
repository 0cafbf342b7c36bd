"""The networks: five classic tutorial CNNs as reference presets, and ``edge``, the default.

Every network takes 28×28×1 channels-last input in [0, 1] and ends in a 10-way softmax.
A :class:`Preset` carries its tutorial's optimizer, batch size and epochs as defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class Preset:
    build: Callable[[], keras.Model]
    optimizer: str
    lr: float
    batch_size: int
    epochs: int
    augment: bool
    reported_accuracy: float | None  # the tutorial's own test accuracy, if it gave one
    summary: str


def _sequential(name: str, *body) -> keras.Model:
    return keras.Sequential([keras.Input(INPUT_SHAPE, name="image"), *body, layers.Dense(10, activation="softmax", name="probabilities")], name=name)


def conv1() -> keras.Model:
    return _sequential(
        "conv1",
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
    )


def conv1_dropout() -> keras.Model:
    return _sequential(
        "conv1_dropout",
        layers.Conv2D(64, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.5),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
    )


def conv2_nopool() -> keras.Model:
    return _sequential(
        "conv2_nopool",
        layers.Conv2D(64, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Flatten(),
    )


def conv2() -> keras.Model:
    return _sequential(
        "conv2",
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
    )


def conv3() -> keras.Model:
    return _sequential(
        "conv3",
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Conv2D(128, 3, activation="relu"),
        layers.Dropout(0.25),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
    )


def _conv_bn(filters: int, name: str):
    """3×3 conv without bias → BatchNorm → ReLU (BN folds into the conv at export)."""
    return [
        layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv"),
        layers.BatchNormalization(name=f"{name}_bn"),
        layers.ReLU(name=f"{name}_relu"),
    ]


def edge() -> keras.Model:
    """Small, fast and accurate on a CPU: 4 conv+BN+ReLU blocks, two 2×2 pools, global average pool.

    ~7.4M multiply-adds and ~66k parameters per image; channel counts are multiples of 16, which
    suit the int8 kernels. Global average pooling (not Flatten) keeps the head tiny and the graph
    free of reshape chains.
    """
    return _sequential(
        "edge",
        *_conv_bn(32, "b1"),
        layers.MaxPooling2D(2, name="pool1"),
        *_conv_bn(32, "b2"),
        *_conv_bn(64, "b3"),
        layers.MaxPooling2D(2, name="pool2"),
        *_conv_bn(64, "b4"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dropout(0.1, name="drop"),
    )


PRESETS: dict[str, Preset] = {
    "conv1": Preset(conv1, "adam", 1e-3, 32, 10, False, None,
                    "Conv2D(32,3×3) → MaxPool → Dense 128 → Dense 10"),
    "conv1-dropout": Preset(conv1_dropout, "rmsprop", 1e-3, 1000, 2, False, None,
                            "Conv2D(64,5×5) → MaxPool → Dropout .5 → Dense 128 → Dropout .5 → Dense 10"),
    "conv2-nopool": Preset(conv2_nopool, "adam", 1e-3, 32, 3, False, 0.9757,
                           "Conv2D(64,3×3) → Conv2D(32,3×3) → Dense 10"),
    "conv2": Preset(conv2, "adam", 1e-3, 128, 4, False, 0.9902,
                    "Conv2D(32) → MaxPool → Conv2D(32) → MaxPool → Dropout .25 → Dense 128 → Dense 10"),
    "conv3": Preset(conv3, "adam", 1e-3, 128, 20, False, 0.9939,
                    "Conv2D 32 → 64 → 128 → Dropout → MaxPool → Dense 128 → Dense 10"),
    "edge": Preset(edge, "adam", 3e-3, 128, 15, True, None,
                   "4× (Conv3×3+BN+ReLU) 32-32-64-64, 2 pools, GAP → Dense 10; camera-crop augmentation"),
}


def build(arch: str) -> keras.Model:
    from edgecnn.errors import UsageError

    if arch not in PRESETS:
        raise UsageError(f"unknown --arch {arch!r} (choose from {', '.join(PRESETS)})")
    return PRESETS[arch].build()
