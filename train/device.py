"""Choosing where to train: ``auto`` (a GPU when TensorFlow sees one), ``cpu`` or ``gpu``."""

from __future__ import annotations

import os

from edgecnn.errors import EdgeCNNError, UsageError

DEVICES = ("auto", "cpu", "gpu")


def select_device(device: str):
    """Configure TensorFlow for ``device`` and return (tf.distribute strategy, description).

    Must run before TensorFlow touches a GPU. Several GPUs → MirroredStrategy.
    """
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)} (got {device!r})")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU") if device != "cpu" else []
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    if device == "gpu" and not gpus:
        raise EdgeCNNError("--device gpu: TensorFlow sees no GPU (check the CUDA driver and `pip install tensorflow[and-cuda]`), or use --device cpu")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy(), f"{len(gpus)}× GPU (MirroredStrategy)"
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        return tf.distribute.get_strategy(), f"GPU ({name})"
    return tf.distribute.get_strategy(), f"CPU ({os.cpu_count()} cores)"
