"""Choosing where to train: ``auto`` (a GPU when TensorFlow sees one), ``cpu`` or ``gpu``."""

from __future__ import annotations

import os

from edgecnn.errors import SettingError


def select_device(device: str):
    """Configure TensorFlow for ``device`` and return (tf.distribute strategy, description).

    Must run before TensorFlow touches a GPU. Several GPUs → MirroredStrategy. ``device`` is one of
    :data:`~edgecnn.settings.DEVICES`, checked where the setting comes in (``TrainConfig.resolved``).
    """
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU") if device != "cpu" else []
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    if device == "gpu" and not gpus:
        raise SettingError("device", "{setting} gpu: TensorFlow sees no GPU (check the CUDA driver and "
                                     "`pip install tensorflow[and-cuda]`), or use {setting} cpu", exit_code=1)
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy(), f"{len(gpus)}× GPU (MirroredStrategy)"
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        return tf.distribute.get_strategy(), f"GPU ({name})"
    return tf.distribute.get_strategy(), f"CPU ({os.cpu_count()} cores)"
