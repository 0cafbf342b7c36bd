"""The compute floor: multiply-adds from the graph or from onnxruntime's profile, the GEMM peak and its models."""

from __future__ import annotations

import pytest

from runtime_helpers import tiny_onnx

onnx = pytest.importorskip("onnx")  # to write the test model and to build the GEMM models


def test_macs_from_runtime_profile_match_onnx(tmp_path):
    from edgecnn.tooling.floor import macs_from_onnx, macs_from_profile

    model = tiny_onnx(tmp_path / "a.onnx")
    assert macs_from_profile(model) == macs_from_onnx(model) == 7840


def test_gemm_peak_runs():
    from edgecnn.tooling.floor import gemm_peak

    assert gemm_peak("fp32", 1, 0.0, n=64) > 0 and gemm_peak("int8", 1, 0.0, n=64) > 0


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_shipped_gemm_models_are_what_onnx_helper_builds(precision):
    """The files a runtime-only install times are the onnx.helper models (rewrite: floor.save_gemm_models())."""
    from edgecnn.tooling.floor import GEMM_MODELS, gemm_model

    shipped = onnx.load(str(GEMM_MODELS[precision]))
    assert shipped == gemm_model(precision)
    onnx.checker.check_model(shipped)
