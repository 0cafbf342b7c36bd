"""`edgecnn export`: a trained run (or .keras file) → validated ONNX, optionally int8, metadata inside."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Literal, Optional

import typer

from ..export.config import CALIBRATION_METHODS, DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, ExportConfig
from .common import guarded, print_json, require_training_stack, say


@guarded
def export(
    source: Path = typer.Argument(..., metavar="RUN_DIR_OR_MODEL.keras", help="A training run directory or a .keras file."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output .onnx path (default: <run_dir>/model.onnx); int8 goes beside it as *.int8.onnx."),
    opset: int = typer.Option(DEFAULT_OPSET, "--opset", min=MIN_OPSET, max=MAX_OPSET, help="ONNX opset."),
    quantize: bool = typer.Option(False, "--quantize", help="Also write a static int8 (QDQ) model, gated on accuracy."),
    calibration_size: int = typer.Option(1000, "--calibration-size", min=1, help="Training images used to calibrate int8."),
    calibrate: Literal[CALIBRATION_METHODS] = typer.Option("minmax", "--calibrate", help=f"int8 calibration method: {', '.join(CALIBRATION_METHODS[:-1])} or {CALIBRATION_METHODS[-1]}."),
    max_drop: float = typer.Option(0.3, "--max-drop", min=0.0, help="Largest int8 accuracy loss allowed, in percentage points."),
    seed: int = typer.Option(0, "--seed", help="Seed for drawing the calibration images."),
    data: Optional[Path] = typer.Option(None, "--data", help="MNIST folder (IDX files) or mnist.npz (default: the vendored copy)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout (progress stays on stderr)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show TensorFlow's and tf2onnx's own log lines on stderr."),
) -> None:
    """Convert a trained model to ONNX, check it against Keras, and optionally quantize it to int8."""
    require_training_stack("edgecnn export", "tensorflow", "tf2onnx", "onnx")
    from .tfquiet import quiet_tensorflow

    config = ExportConfig(opset=opset, quantize=quantize, calibration_size=calibration_size, calibrate=calibrate,
                          max_drop=max_drop, seed=seed, data=data)
    # tf2onnx/TF may print; keep stdout for the report or the one JSON document
    with quiet_tensorflow(verbose), contextlib.redirect_stdout(sys.stderr):
        from edgecnn.export import convert

        if not verbose:
            convert.quiet_tensorflow()
        from edgecnn.export.exporter import export_model

        exported = export_model(source, out, config, progress=say)
    if json_out:
        print_json(exported.summary)
    else:
        report(exported.summary)
    for problem in exported.problems:  # a failed gate: reported above, then one error line and exit 1
        raise problem


def report(result: dict) -> None:
    """The human summary on stdout."""
    p = result["parity"]
    typer.echo(f"{result['arch']} → ONNX opset {result['opset']}  (from {result['source']})")
    typer.echo(f"  Keras vs onnxruntime on {p['images']} test images: max |Δp| {p['max_abs_diff']:.1e}, argmax agreement {100 * p['argmax_agreement']:.1f}%")
    for o in result["outputs"]:
        typer.echo(f"  {o['precision']}: {o['path']}  {o['bytes'] / 1024:.1f} KiB  test accuracy {100 * o['test_accuracy']:.2f}% ({result['test_images']} images)")
    if "int8_drop_pp" in result:
        sizes = {o["precision"]: o["bytes"] for o in result["outputs"]}
        ratio = f", {100 * sizes['int8'] / sizes['fp32']:.0f}% of fp32 size" if "int8" in sizes else ""
        verdict = "passed" if result["gate"]["passed"] else "FAILED"
        typer.echo(f"  int8 vs fp32: {result['int8_drop_pp']:+.2f} pp drop (gate ≤ {result['gate']['max_drop_pp']:g} pp {verdict}), "
                   f"{100 * result['int8_agreement_with_fp32']:.2f}% same predictions{ratio}")
    typer.echo("next:")
    for step in result["next"]:
        typer.echo(f"  {step}")
