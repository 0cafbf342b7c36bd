"""``edgecnn export``'s work: run dir or ``.keras`` → the files of the export targets, each validated, metadata inside.

Order: load (safe mode) → build each target in the table's order (:mod:`edgecnn.export.targets`: fp32 is
converted and checked against Keras; int8 is quantized from it and gated on accuracy) → write the artifacts
that passed. Every file is written atomically, and only after every target was built and checked; a target
whose check did not pass (the gate) is reported with its status and not written, the others are.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from edgecnn import __version__, metadata
from edgecnn.errors import EdgeCNNError, SettingError
from edgecnn.atomic import atomic_path, check_writable
from edgecnn.rundir import RunDir
from edgecnn.tooling.mnist import load_split, to_input

from . import convert
from .config import ExportConfig
from .targets import TARGETS, Artifact, Exporting, plan, target_path

TRAINING_KEYS = ("arch", "epochs", "batch_size", "optimizer", "lr", "augment", "val_split", "seed", "train_size")


def resolve_source(source: str | os.PathLike) -> tuple[Path, RunDir | None]:
    """``source`` → (the ``.keras`` file, its run directory or None)."""
    source = Path(source)
    if source.is_dir():
        run = RunDir(source)
        return run.trained_model(), run
    if not source.exists():
        raise EdgeCNNError(f"{source}: no such run directory or .keras file")
    if source.suffix != ".keras":
        raise EdgeCNNError(f"{source}: expected a run directory or a .keras file")
    return source, None


def output_path(model: Path, run: RunDir | None, out: str | os.PathLike | None) -> Path:
    """The fp32 path (default ``<run_dir>/model.onnx``, else beside the .keras file); other targets go beside it."""
    if out is None:
        return run.onnx if run else model.with_suffix(".onnx")
    fp32 = Path(out)
    if fp32.is_dir():
        return fp32 / RunDir.ONNX
    if fp32.suffix != ".onnx":
        raise SettingError("out", f"{{setting}} {fp32}: expected a path ending in .onnx or an existing folder")
    return fp32


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


@dataclass
class Exported:
    """What :func:`export_model` did: the summary behind the report and ``--json``, and each target's artifact.

    An artifact whose check did not pass (the int8 gate) was not written; ``problems`` says why, as
    :class:`~edgecnn.errors.SettingError` values (the CLI shows them and exits 1).
    """

    summary: dict
    artifacts: list[Artifact] = field(default_factory=list)

    @property
    def problems(self) -> list[SettingError]:
        return [a.problem for a in self.artifacts if a.problem is not None]

    @property
    def ok(self) -> bool:
        return not self.problems


def export_model(
    source: str | os.PathLike,
    out: str | os.PathLike | None = None,
    config: ExportConfig = ExportConfig(),
    *,
    targets: tuple[str, ...] | None = None,
    quant=None,
    calibration: np.ndarray | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Exported:
    """Export ``source`` (run dir or ``.keras``) to the targets ``config`` asks for (fp32, and int8 with ``quantize``).

    ``targets`` names rows of :data:`~edgecnn.export.targets.TARGETS` instead (the ones they need come too);
    ``quant`` overrides the int8 settings (default: ``QuantSettings(calibrate=config.calibrate)``) and
    ``calibration`` the calibration images (tests use blank images to trip the gate).
    A failed gate is a status (:attr:`Exported.problems`), not an exception: the other files are written.
    """
    names = plan(config.targets() if targets is None else targets)
    keras_file, run = resolve_source(source)
    fp32_path = output_path(keras_file, run, out)
    check_writable(fp32_path)  # before minutes of conversion, not after

    train_config = run.read_json(RunDir.CONFIG) if run else {}
    train_metrics = run.read_json(RunDir.METRICS) if run else {}
    if run is not None and train_metrics.get("complete") is not True:
        progress(f"warning: {run} is not marked complete; exporting the best model saved so far")
    test = load_split("test", config.data)
    given = {"quant": quant, "calibration": calibration}
    prepared = {name: TARGETS[name].prepare(config, given) for name in names if TARGETS[name].prepare}

    progress(f"loading {keras_file}")
    keras_model = convert.load_keras(keras_file)
    arch = str(train_config.get("arch") or keras_model.name.replace("_", "-"))
    model = Exporting(keras_model, keras_file, run, arch, to_input(test.images), test.labels, prepared, progress=progress)
    for name in names:
        model.built[name] = TARGETS[name].build(model, target_path(fp32_path, name), config)

    common = {
        "version": __version__, "arch": arch, "input": metadata.INPUT, "normalization": metadata.NORMALIZATION,
        "labels": metadata.LABELS, "training": training_summary(train_config, train_metrics),
        "source_sha256": sha256(keras_file), "exported_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "opset": str(config.opset), "tools": tool_versions(),
    }
    artifacts = list(model.built.values())
    base, rest = artifacts[0], artifacts[1:]
    summary = {"source": str(keras_file), "run_dir": str(run) if run else None, "arch": arch, "opset": config.opset,
               "test_images": len(test), **base.report, "outputs": [], "quantize": config.quantize}
    for a in artifacts:
        if a.passed:
            values = {**common, "test_accuracy": round(a.test_accuracy, 6), "precision": a.precision, **a.metadata}
            size = save(with_metadata(a.proto, values), a.path)
            summary["outputs"].append({"path": str(a.path), "precision": a.precision, "bytes": size, "test_accuracy": a.test_accuracy})
            progress(f"wrote {a.path}")
    for a in rest:
        summary.update(a.report)
    written = [Path(o["path"]) for o in summary["outputs"]]
    for a in artifacts:
        if a.problem is not None:
            kept = f"kept {', '.join(p.name for p in written)}, " if written else ""
            p = a.problem
            a.problem = SettingError(p.setting, f"{p.template} — {kept}did not write {a.path.name}", p.exit_code, p.also)
    summary["next"] = next_steps(written)
    return Exported(summary, artifacts)


def next_steps(written: list[Path]) -> list[str]:
    """What to run next with the files written (the last one is the one to read with; bench compares them all)."""
    if not written:
        return []
    model = written[-1]
    return [f"edgecnn predict --model {model} PHOTO.jpg", f"edgecnn webcam --model {model}",
            "edgecnn bench " + " ".join(f"--model {p}" for p in written)]
