"""The bundled default models (``edge.onnx`` and ``edge.int8.onnx``), built by ``scripts/build_default_model.sh``."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_FP32 = MODELS_DIR / "edge.onnx"
DEFAULT_INT8 = MODELS_DIR / "edge.int8.onnx"
