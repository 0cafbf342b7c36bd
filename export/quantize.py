"""Static int8 quantization with onnxruntime: QDQ, signed int8 activations and per-channel int8 weights.

:class:`QuantSettings` is the one place where the format and options are chosen (tune int8
speed there); :func:`quantize` runs ``quant_pre_process`` and then ``quantize_static``
calibrated on the images it is given. Never dynamic quantization: for convolutions it
produces ConvInteger, which is far slower on CPU than fp32.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from edgecnn.errors import EdgeCNNError, SettingError, first_line
from edgecnn.tooling.mnist import to_input

CALIBRATION_BATCH = 100


@dataclass(frozen=True)
class QuantSettings:
    """Everything that decides what the int8 graph looks like; recorded in the file's metadata."""

    calibrate: str = "minmax"  # minmax | entropy | percentile
    format: str = "QDQ"  # QDQ | QOperator
    # Signed int8 activations and weights (S8S8), as issue 3 asks. With ORT_ENABLE_ALL, onnxruntime 1.31
    # fuses this QDQ graph into NHWC QLinearConv and it ran 1.98× fp32 at batch 64; U8S8 ("QUInt8",
    # what AVX512-VNNI's vpdpbusd computes natively) ran 2.24× — within the noise of that machine.
    # Don't combine S8S8 with QOperator: it ran 0.21× fp32. See docs/int8.md.
    # Keep the weights symmetric int8 (zero point 0, the default): onnxruntime then runs each conv on MLAS's indirect
    # conv kernel with requantization fused, its fastest int8 path on x86. Asymmetric weights (WeightSymmetric=False)
    # or uint8 weights send the convs to im2col + the generic int8 GEMM: 1.45× and 3.5× the time per image on the
    # AMX Xeon (onnxruntime 1.32) with AMX off. With AMX on, weights stored as w-1 with zero point -1 for conv3/conv4
    # were 1.16-1.22x faster per image, but 0.7-0.8x where AMX is off: not adopted (README, scripts/int8_amx_paths.py).
    activation_type: str = "QInt8"  # QInt8 | QUInt8
    weight_type: str = "QInt8"
    per_channel: bool = True
    reduce_range: bool = False
    op_types: tuple[str, ...] | None = None  # None: every op type onnxruntime can quantize
    extra_options: dict = field(default_factory=dict)  # quantize_static's extra_options (e.g. ActivationSymmetric)

    def describe(self, calibration_size: int, seed: int | None) -> dict:
        """The settings as plain JSON for the ``edgecnn.quantization`` metadata key."""
        info = asdict(self)
        info["op_types"] = list(self.op_types) if self.op_types else None
        return {"method": "onnxruntime.quantize_static", **info, "calibration_size": calibration_size,
                "calibration_data": "MNIST train", "seed": seed}

    def kwargs(self) -> dict:
        """The keyword arguments for ``onnxruntime.quantization.quantize_static``."""
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType

        # calibrate is checked once, where the setting comes in (ExportConfig); one of CALIBRATION_METHODS
        methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
                   "percentile": CalibrationMethod.Percentile}
        return dict(
            quant_format=QuantFormat.from_string(self.format),
            activation_type=getattr(QuantType, self.activation_type),
            weight_type=getattr(QuantType, self.weight_type),
            per_channel=self.per_channel,
            reduce_range=self.reduce_range,
            op_types_to_quantize=list(self.op_types) if self.op_types else None,
            calibrate_method=methods[self.calibrate],
            extra_options=dict(self.extra_options),
        )


def calibration_images(train_images: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` training images drawn without replacement with ``seed``, as float32 N×28×28×1 in [0, 1]."""
    if size < 1 or size > len(train_images):
        raise SettingError("calibration_size", f"{{setting}} must be between 1 and {len(train_images)} (the training images available), got {size}")
    pick = np.random.default_rng(seed).choice(len(train_images), size=size, replace=False)
    return to_input(train_images[np.sort(pick)])



class _Batches(CalibrationDataReader):
    """A ``CalibrationDataReader``: feeds the images to the ``image`` input in batches."""

    def __init__(self, images: np.ndarray, input_name: str = "image"):
        self._iter = iter([{input_name: images[i:i + CALIBRATION_BATCH]} for i in range(0, len(images), CALIBRATION_BATCH)])

    def get_next(self):
        return next(self._iter, None)


def quantize(fp32_model: str | Path, int8_out: str | Path, calibration: np.ndarray,
             settings: QuantSettings = QuantSettings()) -> None:
    """Write the int8 version of the ONNX model at ``fp32_model`` to ``int8_out``.

    ``calibration`` is float32 N×28×28×1 (see :func:`calibration_images`); tests pass
    deliberately bad data (e.g. blank images) to force the accuracy gate.
    """
    from onnxruntime.quantization import quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    reader = _Batches(to_input(calibration))
    kwargs = settings.kwargs()
    with tempfile.TemporaryDirectory(prefix="edgecnn-quant-") as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        try:
            quant_pre_process(str(fp32_model), str(prepared), skip_symbolic_shape=False)
            quantize_static(str(prepared), str(int8_out), reader, **kwargs)
            _drop_value_info(int8_out)
        except EdgeCNNError:
            raise
        except Exception as e:
            raise EdgeCNNError(f"int8 quantization failed: {first_line(e, 200)}") from None


def _drop_value_info(path: str | Path) -> None:
    """Remove the intermediate shape annotations pre-processing added (onnxruntime re-infers them; smaller file)."""
    import onnx

    model = onnx.load(str(path))
    del model.graph.value_info[:]
    onnx.save(model, str(path))
