"""The runtime path imports no TensorFlow, Keras, tf2onnx or onnx, nor edgecnn.train, edgecnn.export or
edgecnn.tooling (checked in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from runtime_helpers import digits_image, tiny_onnx

SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from typer.testing import CliRunner
from edgecnn.cli import app
r = CliRunner().invoke(app, ["predict", sys.argv[1], "--model", sys.argv[2], "--json"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tf2onnx", "onnx", "keras"))
print(json.dumps({"exit": r.exit_code, "heavy": heavy}))
"""


def test_predict_imports_no_training_stack(tmp_path):
    pytest.importorskip("onnx")  # only to write the test model, in this process
    model = tiny_onnx(tmp_path / "tiny.onnx")
    img, _, _ = digits_image((1, 2))
    cv2.imwrite(str(tmp_path / "p.png"), img)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "p.png"), str(model)],
                         capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["exit"] == 0
    assert result["heavy"] == []


def test_import_edgecnn_is_light():
    code = "import sys, edgecnn; from edgecnn import DigitReader; print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow','tf2onnx','onnx','keras','onnxruntime')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# The issue's own check, word for word: what reading one frame imports, as `python -X importtime` reports it.
READ_ONE_FRAME = "import edgecnn, numpy; edgecnn.DigitReader().read(numpy.zeros((64,64), numpy.uint8))"
# Top-level packages of the [train] extra, and the parts of edgecnn that are not the runtime.
TRAIN_EXTRA = ("tensorflow", "keras", "onnx", "tf2onnx", "onnxsim", "sympy", "matplotlib")
NOT_RUNTIME = ("edgecnn.train", "edgecnn.export", "edgecnn.tooling")


def _forbidden(modules) -> list[str]:
    return sorted(m for m in modules
                  if m.split(".")[0] in TRAIN_EXTRA or any(m == p or m.startswith(p + ".") for p in NOT_RUNTIME))


def test_reading_a_frame_imports_no_training_export_or_tooling():
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", READ_ONE_FRAME],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    # Lines look like "import time:       412 |       1031 |     edgecnn.reader"; the header line has no number.
    imported = [line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2]
    # The report was parsed. (edgecnn.reader itself is not in it: edgecnn's lazy __getattr__ loads it with
    # importlib.import_module, which -X importtime does not log; everything reader imports is logged.)
    assert "onnxruntime" in imported and "edgecnn.fileio" in imported
    assert _forbidden(imported) == []


def test_every_runtime_module_imports_without_the_train_extra():
    """Each module of the runtime package (all but cli/, tooling/, train and export) on its own, in a fresh process."""
    from pathlib import Path

    import edgecnn

    root = Path(edgecnn.__file__).parent
    names = sorted(f"edgecnn.{p.stem}" for p in root.glob("*.py") if p.stem not in ("__main__",))
    names += sorted(f"edgecnn.segment.{p.stem}" for p in (root / "segment").glob("*.py"))
    code = ("import importlib, json, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _forbidden(json.loads(out.stdout.strip().splitlines()[-1])) == []
