"""The runtime path imports no TensorFlow, tf2onnx or onnx (checked in a fresh interpreter)."""

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
