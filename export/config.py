"""``edgecnn export``'s settings, checked once (light: no TensorFlow, onnx or onnxruntime).

Each field is one option of ``edgecnn export`` (``max_drop`` ↔ ``--max-drop``); the CLI takes its ranges and
choices from the constants here, and errors name the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from edgecnn.settings import check_choice, check_range

DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 13, 18  # tf2onnx 1.17 writes up to 18; int8 per-channel QDQ needs ≥ 13
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")


@dataclass(frozen=True)
class ExportConfig:
    opset: int = DEFAULT_OPSET
    quantize: bool = False  # also the int8 target, gated on accuracy
    calibration_size: int = 1000  # training images that calibrate int8
    calibrate: str = "minmax"  # one of CALIBRATION_METHODS
    max_drop: float = 0.3  # the int8 gate: largest accuracy loss allowed, in percentage points
    seed: int = 0  # draws the calibration images
    data: str | os.PathLike | None = None  # MNIST folder or .npz; None: the vendored copy

    def __post_init__(self):
        check_range("opset", self.opset, MIN_OPSET, MAX_OPSET)
        check_range("calibration_size", self.calibration_size, 1)
        check_choice("calibrate", self.calibrate, CALIBRATION_METHODS)
        check_range("max_drop", self.max_drop, 0)

    def targets(self) -> tuple[str, ...]:
        """The export targets these settings ask for, in the order they are built."""
        return ("fp32", "int8") if self.quantize else ("fp32",)
