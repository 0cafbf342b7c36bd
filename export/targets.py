"""Export targets, one table row each: a function ``target(model, out, settings) → Artifact`` that builds one file
and validates it, and how the file is named.

``model`` (:class:`Exporting`) is the Keras model with everything a target may need: the test images, the
metadata every file carries, the artifacts of the targets built before it (int8 starts from fp32's graph).
``out`` is where the file will go; ``settings`` is the :class:`~edgecnn.export.config.ExportConfig`.
A target raises :class:`~edgecnn.errors.EdgeCNNError` when it cannot build its file at all, and returns an
artifact with a ``problem`` when the file was built but did not pass its check (the int8 accuracy gate): the
exporter then writes the others and not this one.

Adding a target: write its function and add a row to :data:`TARGETS`; ``export_model(..., targets=(...))``
builds it (``tests/test_export.py::test_a_new_target_is_one_function_and_one_row``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgecnn.errors import SettingError
from edgecnn.atomic import scratch_dir
from edgecnn.rundir import RunDir

from . import convert, validate
from .config import ExportConfig


@dataclass
class Artifact:
    """One target's file, built and checked, not written yet (the exporter writes it when ``problem`` is None)."""

    target: str
    precision: str  # the metadata's edgecnn.precision
    path: Path
    proto: Any  # onnx.ModelProto without metadata; the exporter writes it with ``metadata`` inside
    test_accuracy: float
    metadata: dict  # this file's own metadata values (on top of the ones every file carries)
    report: dict = field(default_factory=dict)  # what the export summary says of it (parity, the gate)
    problem: SettingError | None = None  # the check it did not pass: not written
    predictions: np.ndarray | None = None  # test-set predictions, for targets that compare with it

    @property
    def passed(self) -> bool:
        return self.problem is None


@dataclass
class Exporting:
    """The ``model`` every target gets: the Keras model and what the targets share."""

    keras: Any  # the loaded keras.Model
    keras_file: Path
    run: RunDir | None
    arch: str
    x_test: np.ndarray  # float32 N×28×28×1
    y_test: np.ndarray
    prepared: dict = field(default_factory=dict)  # target name → what its ``prepare`` made before the slow part
    built: dict[str, Artifact] = field(default_factory=dict)  # target name → artifact, in build order
    progress: Callable[[str], None] = lambda message: None


@dataclass(frozen=True)
class Target:
    """A row of the table: the function, its file's suffix, and what it needs."""

    build: Callable[[Exporting, Path, ExportConfig], Artifact]
    suffix: str  # the file: the fp32 path with ``.onnx`` replaced by this
    needs: tuple[str, ...] = ()  # targets whose artifacts it builds on (built first, in the table's order)
    prepare: Callable[[ExportConfig, dict], Any] | None = None  # cheap checks before minutes of work (calibration data)
    help: str = ""


def fp32(model: Exporting, out: Path, settings: ExportConfig) -> Artifact:
    """Keras → ONNX with tf2onnx; checked against Keras (parity) and scored on the test set."""
    model.progress(f"converting {model.arch} to ONNX (opset {settings.opset})")
    proto = convert.to_onnx(model.keras, settings.opset)
    model.progress(f"checking Keras vs onnxruntime on {min(validate.PARITY_IMAGES, len(model.y_test))} test images")
    sess = validate.session(proto.SerializeToString())
    parity = validate.parity(model.keras, sess, model.x_test[: validate.PARITY_IMAGES])
    acc, pred = validate.accuracy(sess, model.x_test, model.y_test)
    model.progress(f"fp32 test accuracy {100 * acc:.2f}% on {len(model.y_test)} images")
    return Artifact("fp32", "fp32", out, proto, acc, {"quantization": None}, {"parity": parity}, predictions=pred)


@dataclass(frozen=True)
class Int8Plan:
    """What the int8 target settles before the slow part: its quantization settings and calibration images."""

    quant: Any  # quantize.QuantSettings
    calibration: np.ndarray
    seed: int | None  # recorded in the metadata; None for calibration images given by the caller


def prepare_int8(settings: ExportConfig, given: dict) -> Int8Plan:
    """Calibration images drawn now (a --calibration-size larger than the data fails before minutes of work).

    ``given`` may hold ``quant`` (a :class:`~edgecnn.export.quantize.QuantSettings`; default: ``settings.calibrate``)
    and ``calibration`` (uint8 or float images; tests use blank ones to trip the gate).
    """
    from edgecnn.tooling.mnist import load_split, to_input

    from .quantize import QuantSettings, calibration_images

    quant = given.get("quant") or QuantSettings(calibrate=settings.calibrate)
    if given.get("calibration") is not None:
        return Int8Plan(quant, to_input(given["calibration"]), None)
    images = load_split("train", settings.data).images
    return Int8Plan(quant, calibration_images(images, settings.calibration_size, settings.seed), settings.seed)


def int8(model: Exporting, out: Path, settings: ExportConfig) -> Artifact:
    """Static int8 (onnxruntime) of fp32's graph; gated: at most ``max_drop`` pp of test accuracy below fp32."""
    import onnx

    from .quantize import quantize

    plan: Int8Plan = model.prepared["int8"]
    base = model.built["fp32"]
    model.progress(f"quantizing to int8 ({plan.quant.format}, {plan.quant.calibrate} calibration on "
                   f"{len(plan.calibration)} training images)")
    with scratch_dir("edgecnn-export") as scratch:  # what a killed export left is removed by the next one
        source, quantized = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
        source.write_bytes(base.proto.SerializeToString())
        quantize(source, quantized, plan.calibration, plan.quant)
        proto = onnx.load(str(quantized))
    onnx.checker.check_model(proto, full_check=True)
    acc, pred = validate.accuracy(validate.session(proto.SerializeToString()), model.x_test, model.y_test)
    model.progress(f"int8 test accuracy {100 * acc:.2f}%")
    gate = validate.gate(base.test_accuracy, acc, settings.max_drop)
    report = {"int8_agreement_with_fp32": float(np.mean(pred == base.predictions)), "int8_drop_pp": gate.drop_pp,
              "gate": {"passed": gate.passed, "max_drop_pp": settings.max_drop, "int8_test_accuracy": acc}}
    return Artifact("int8", "int8", out, proto, acc,
                    {"quantization": plan.quant.describe(len(plan.calibration), plan.seed)}, report,
                    problem=gate.problem, predictions=pred)


# The table. Order matters: a target comes after the ones it needs.
TARGETS: dict[str, Target] = {
    "fp32": Target(fp32, ".onnx", help="float32 ONNX, checked against Keras"),
    "int8": Target(int8, ".int8.onnx", needs=("fp32",), prepare=prepare_int8,
                   help="static int8 ONNX (QDQ), gated on test accuracy"),
}


def plan(names) -> list[str]:
    """``names`` with the targets they need, in the table's order; an unknown name is an error."""
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in TARGETS:
            raise SettingError("targets", f"unknown export target {name!r} in {{setting}} (the table has {', '.join(TARGETS)})")
        if name not in wanted:
            wanted.add(name)
            todo.extend(TARGETS[name].needs)
    return [name for name in TARGETS if name in wanted]


def target_path(fp32_path: Path, name: str) -> Path:
    """Where target ``name`` writes, given the fp32 file's path (``model.onnx`` → ``model.int8.onnx``)."""
    return fp32_path.with_name(fp32_path.name[: -len(".onnx")] + TARGETS[name].suffix)
