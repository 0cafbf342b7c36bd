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
        layers.Dropout(0.5),
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


def _space_to_depth(block: int = 2):
    """28×28×1 → 14×14×4: each 2×2 pixel block becomes 4 channels (three reshapes, no weights).

    A first conv over one input channel is a GEMM with an inner dimension of 9, which the int8
    kernels cannot fill: in the previous edge net it took a third of the int8 time for 3% of the
    work. Over 4 channels the first conv is a 14×14 GEMM with inner dimension 36.
    """
    side = INPUT_SHAPE[0] // block
    return [
        layers.Reshape((side, block, side, block), name="s2d_split"),
        layers.Permute((1, 3, 2, 4), name="s2d_gather"),
        layers.Reshape((side, side, block * block), name="s2d_merge"),
    ]


def edge() -> keras.Model:
    """Small, fast and accurate on a CPU, and shaped for the int8 kernels.

    Space-to-depth stem (28×28×1 → 14×14×4), four 3×3 conv+BN+ReLU blocks 32-64-64-64 with one
    2×2 pool, global average pooling → Dense 10: ~95k parameters, ~12.9M multiply-adds per image.
    Blocks 2–4 are GEMMs with 64 output channels and an inner dimension of 288 or 576, which the
    int8 VNNI kernels run near their peak; nothing runs at 28×28. Global average pooling (not
    Flatten) keeps the head tiny and the graph free of reshape chains.
    """
    return _sequential(
        "edge",
        *_space_to_depth(2),
        *_conv_bn(32, "b1"),
        *_conv_bn(64, "b2"),
        *_conv_bn(64, "b3"),
        layers.MaxPooling2D(2, name="pool"),
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
