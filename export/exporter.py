"""``edgecnn export``'s work: run dir or ``.keras`` → validated fp32 ONNX (+ gated int8), metadata inside.

Order: load (safe mode) → convert → parity with Keras → fp32 test accuracy → [quantize →
int8 test accuracy → gate] → write. Every file is written atomically, and only after it
passed its checks; a gate trip keeps the fp32 file and writes no int8 file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from edgecnn import __version__, metadata
from edgecnn.errors import EdgeCNNError, UsageError
from edgecnn.fileio import atomic_path, check_writable, scratch_dir
from edgecnn.tooling.mnist import load_split, to_input

from . import convert, validate
from .quantize import CALIBRATION_METHODS, QuantSettings, calibration_images, quantize as run_quantize

TRAINING_KEYS = ("arch", "epochs", "batch_size", "optimizer", "lr", "augment", "val_split", "seed", "train_size")


def resolve_source(source: str | os.PathLike) -> tuple[Path, Path | None]:
    """``source`` → (the ``.keras`` file, its run directory or None)."""
    source = Path(source)
    if source.is_dir():
        model = source / "model.keras"
        if not model.is_file():
            raise EdgeCNNError(f"{source}: run directory has no model.keras (has training finished or been interrupted before the first epoch?)")
        return model, source
    if not source.exists():
        raise EdgeCNNError(f"{source}: no such run directory or .keras file")
    if source.suffix != ".keras":
        raise EdgeCNNError(f"{source}: expected a run directory or a .keras file")
    return source, None


def output_paths(model: Path, run_dir: Path | None, out: str | os.PathLike | None) -> tuple[Path, Path]:
    """The fp32 path (default ``<run_dir>/model.onnx``, else beside the .keras file) and its ``.int8.onnx`` sibling."""
    if out is None:
        fp32 = (run_dir or model.parent) / ("model.onnx" if run_dir else model.with_suffix(".onnx").name)
    else:
        fp32 = Path(out)
        if fp32.is_dir():
            fp32 = fp32 / "model.onnx"
        elif fp32.suffix != ".onnx":
            raise UsageError(f"--out {fp32}: expected a path ending in .onnx or an existing folder")
    return fp32, fp32.with_name(fp32.name[: -len(".onnx")] + ".int8.onnx")


def read_run_json(run_dir: Path | None, name: str) -> dict:
    """A run directory's ``config.json``/``metrics.json`` as a dict ({} when absent or unreadable)."""
    if run_dir is None or not (run_dir / name).is_file():
        return {}
    try:
        value = json.loads((run_dir / name).read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def training_summary(config: dict, metrics: dict) -> dict:
    summary = {k: config[k] for k in TRAINING_KEYS if k in config}
    for key in ("test_accuracy", "epochs_run", "best_epoch", "complete"):
        if key in metrics:
            summary[f"keras_{key}" if key == "test_accuracy" else key] = metrics[key]
    return summary


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tool_versions() -> dict:
    import keras
    import onnx
    import onnxruntime
    import onnxsim
    import tensorflow
    import tf2onnx

    return {"tensorflow": tensorflow.__version__, "keras": keras.__version__, "tf2onnx": tf2onnx.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "onnxsim": onnxsim.__version__}


def with_metadata(proto, values: dict):
    """A copy of ``proto`` whose ``metadata_props`` are exactly ``metadata.encode(values)``."""
    out = type(proto)()
    out.CopyFrom(proto)
    del out.metadata_props[:]
    for key, text in metadata.encode(values).items():
        entry = out.metadata_props.add()
        entry.key, entry.value = key, text
    return out


def save(proto, target: Path) -> int:
    """Write ``proto`` atomically to ``target``; return its size in bytes."""
    import onnx

    with atomic_path(target) as tmp:
        onnx.save(proto, str(tmp))
    return target.stat().st_size


def export_model(
    source: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    opset: int = convert.DEFAULT_OPSET,
    quantize: bool = False,
    calibration_size: int = 1000,
    calibrate: str = "minmax",
    max_drop: float = 0.3,
    seed: int = 0,
    data: str | os.PathLike | None = None,
    settings: QuantSettings | None = None,
    calibration: np.ndarray | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Export ``source`` (run dir or ``.keras``) to ONNX, validate it, and optionally quantize it to int8.

    ``settings`` overrides the int8 options (default: ``QuantSettings(calibrate=calibrate)``);
    ``calibration`` overrides the calibration images (tests use blank images to force the gate).
    Returns the result dict behind the human report and ``--json``; raises
    :class:`~edgecnn.export.validate.GateTripped` (with ``.result``) after writing the fp32 file
    when int8 loses more than ``max_drop`` percentage points.
    """

    if not convert.MIN_OPSET <= opset <= convert.MAX_OPSET:
        raise UsageError(f"--opset must be between {convert.MIN_OPSET} and {convert.MAX_OPSET} (got {opset})")
    if max_drop < 0:
        raise UsageError(f"--max-drop must be ≥ 0 (got {max_drop})")
    if calibrate not in CALIBRATION_METHODS:
        raise UsageError(f"--calibrate {calibrate!r}: choose from {', '.join(CALIBRATION_METHODS)}")
    settings = settings or QuantSettings(calibrate=calibrate)
    keras_file, run_dir = resolve_source(source)
    fp32_path, int8_path = output_paths(keras_file, run_dir, out)
    check_writable(fp32_path)  # before minutes of conversion, not after

    config, metrics = read_run_json(run_dir, "config.json"), read_run_json(run_dir, "metrics.json")
    if run_dir is not None and metrics.get("complete") is not True:
        progress(f"warning: {run_dir} is not marked complete; exporting the best model saved so far")
    test = load_split("test", data)
    calib = None
    if quantize:  # check the calibration data before the slow part
        calib = to_input(calibration) if calibration is not None else calibration_images(load_split("train", data).images, calibration_size, seed)

    progress(f"loading {keras_file}")
    model = convert.load_keras(keras_file)
    arch = str(config.get("arch") or model.name.replace("_", "-"))
    progress(f"converting {arch} to ONNX (opset {opset})")
    fp32 = convert.to_onnx(model, opset)
    fp32_bytes = fp32.SerializeToString()

    x_test = to_input(test.images)
    progress(f"checking Keras vs onnxruntime on {min(validate.PARITY_IMAGES, len(test))} test images")
    sess = validate.session(fp32_bytes)
    parity = validate.parity(model, sess, x_test[: validate.PARITY_IMAGES])
    fp32_acc, fp32_pred = validate.accuracy(sess, x_test, test.labels)
    progress(f"fp32 test accuracy {100 * fp32_acc:.2f}% on {len(test)} images")

    common = {
        "version": __version__, "arch": arch, "input": metadata.INPUT, "normalization": metadata.NORMALIZATION,
        "labels": metadata.LABELS, "training": training_summary(config, metrics), "source_sha256": sha256(keras_file),
        "exported_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "opset": str(opset),
        "tools": tool_versions(),
    }
    result = {
        "source": str(keras_file), "run_dir": str(run_dir) if run_dir else None, "arch": arch, "opset": opset,
        "test_images": len(test), "parity": parity, "outputs": [], "quantize": quantize,
    }

    int8 = None
    if quantize:
        progress(f"quantizing to int8 ({settings.format}, {settings.calibrate} calibration on {len(calib)} training images)")
        with scratch_dir("edgecnn-export") as scratch:  # what a killed export left is removed by the next one
            source_onnx, quantized = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
            source_onnx.write_bytes(fp32_bytes)
            run_quantize(source_onnx, quantized, calib, settings)
            import onnx

            int8 = onnx.load(str(quantized))
        onnx.checker.check_model(int8, full_check=True)
        int8_acc, int8_pred = validate.accuracy(validate.session(int8.SerializeToString()), x_test, test.labels)
        progress(f"int8 test accuracy {100 * int8_acc:.2f}%")

    fp32_meta = {**common, "test_accuracy": round(fp32_acc, 6), "precision": "fp32", "quantization": None}
    size = save(with_metadata(fp32, fp32_meta), fp32_path)
    result["outputs"].append({"path": str(fp32_path), "precision": "fp32", "bytes": size, "test_accuracy": fp32_acc})
    progress(f"wrote {fp32_path}")

    if int8 is not None:
        agreement = float(np.mean(int8_pred == fp32_pred))
        result["int8_agreement_with_fp32"] = agreement
        result["int8_drop_pp"] = 100.0 * (fp32_acc - int8_acc)
        try:
            validate.check_drop(fp32_acc, int8_acc, max_drop)
        except validate.GateTripped as e:
            result["gate"] = {"passed": False, "max_drop_pp": max_drop, "int8_test_accuracy": int8_acc}
            result["next"] = next_steps(fp32_path, None)
            e.result = result
            e.args = (f"{e} — kept {fp32_path.name}, did not write {int8_path.name}",)
            raise
        result["gate"] = {"passed": True, "max_drop_pp": max_drop, "int8_test_accuracy": int8_acc}
        int8_meta = {**common, "test_accuracy": round(int8_acc, 6), "precision": "int8",
                     "quantization": settings.describe(len(calib), seed if calibration is None else None)}
        size = save(with_metadata(int8, int8_meta), int8_path)
        result["outputs"].append({"path": str(int8_path), "precision": "int8", "bytes": size, "test_accuracy": int8_acc})
        progress(f"wrote {int8_path}")

    result["next"] = next_steps(fp32_path, int8_path if int8 is not None else None)
    return result


def next_steps(fp32: Path, int8: Path | None) -> list[str]:
    model = int8 or fp32
    steps = [f"edgecnn predict --model {model} PHOTO.jpg", f"edgecnn webcam --model {model}"]
    steps.append(f"edgecnn bench --model {fp32}" + (f" --model {int8}" if int8 else ""))
    return steps
