"""edgecnn: handwritten digits from MNIST training to a camera on a small device.

The runtime API (onnxruntime + numpy + OpenCV, never TensorFlow)::

    from edgecnn import DigitReader
    reader = DigitReader()                 # the bundled int8 model
    result = reader.read("photo.jpg")      # digits, boxes, confidences, rows
    print(result.text)                     # e.g. "4207"
"""

import os as _os

__version__ = "0.1.0"

# onnxruntime ≥ 1.29 starts telemetry when it is imported, and prints a coloured warning to stderr when it
# cannot store its device id (HOME not writable). This offline runtime opts out; ORT_DISABLE_TELEMETRY=0 opts in.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

_LAZY = {
    # name: module that defines it (imported on first use so `import edgecnn` stays light)
    "DigitReader": "reader",
    "Reading": "reader",
    "Digit": "reader",
    "OnnxModel": "onnxmodel",
    "read_image": "imageio",
    "annotate": "draw",
    "mosaic": "draw",
    "make_photo": "tooling.synth",
    "EdgeCNNError": "errors",
    "FileMissing": "errors",
}

__all__ = ["__version__", *_LAZY]


def __dir__():
    return sorted(set(globals()) - {"_LAZY", "_os"} | set(__all__))


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'edgecnn' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"edgecnn.{module}"), name)
