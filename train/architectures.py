"""The networks (Keras): five classic tutorial CNNs and ``edge``, the default.

Every network takes 28×28×1 channels-last input in [0, 1] and ends in a 10-way softmax.
Their training defaults live in :mod:`.presets` (which loads without TensorFlow).
"""

from __future__ import annotations

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


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
        layers.BatchNormalization(momentum=0.9, name=f"{name}_bn"),
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


BUILDERS = {
    "conv1": conv1,
    "conv1-dropout": conv1_dropout,
    "conv2-nopool": conv2_nopool,
    "conv2": conv2,
    "conv3": conv3,
    "edge": edge,
}


def build(arch: str) -> keras.Model:
    """A fresh, uncompiled network by preset name."""
    from .presets import check_arch

    return BUILDERS[check_arch(arch)]()
