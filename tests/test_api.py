"""The Python API as a newcomer meets it: dir(), __all__, help(DigitReader), type hints, py.typed, missing files."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import edgecnn


def test_dir_and_all_list_the_api():
    names = dir(edgecnn)
    assert "_LAZY" not in names
    for name in ("DigitReader", "Reading", "Digit", "read_image", "EdgeCNNError", "FileMissing", "__version__"):
        assert name in names and name in edgecnn.__all__
    for name in edgecnn.__all__:
        assert getattr(edgecnn, name) is not None


def test_star_import_stays_light():
    code = ("import sys; from edgecnn import *; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf2onnx', 'onnx', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_reader_help_explains_every_argument():
    doc = inspect.getdoc(edgecnn.DigitReader)
    for arg in inspect.signature(edgecnn.DigitReader).parameters:
        assert f"{arg}:" in doc, arg
    hints = inspect.signature(edgecnn.DigitReader.read).parameters["image"].annotation
    assert "PathLike" in str(hints) and "ndarray" in str(hints)


def test_package_is_typed():
    assert (Path(edgecnn.__file__).parent / "py.typed").is_file()


def test_file_missing_is_a_file_not_found_error():
    e = edgecnn.FileMissing("x.png: no such file", "x.png")
    assert isinstance(e, FileNotFoundError) and isinstance(e, edgecnn.EdgeCNNError)
    assert str(e) == "x.png: no such file" and e.filename == "x.png" and e.exit_code == 1


def test_reading_a_missing_file_raises_file_not_found(tmp_path):
    from edgecnn.imageio import read_image

    with pytest.raises(FileNotFoundError) as info:
        read_image(tmp_path / "missing.png")
    assert isinstance(info.value, edgecnn.EdgeCNNError) and str(info.value).endswith("missing.png: no such file")
    assert info.value.filename == str(tmp_path / "missing.png")


def test_reader_on_a_missing_file(tmp_path):
    pytest.importorskip("onnx")
    from runtime_helpers import tiny_onnx

    reader = edgecnn.DigitReader(tiny_onnx(tmp_path / "m.onnx"))
    with pytest.raises(FileNotFoundError):
        reader.read(tmp_path / "nope.jpg")
    with pytest.raises(FileNotFoundError):
        edgecnn.DigitReader(tmp_path / "no-model.onnx")
