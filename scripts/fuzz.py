#!/usr/bin/env python
"""Seeded mutation fuzzing of edgecnn's loaders: images, ONNX models, IDX files, npz files.

Same as ``python -m edgecnn.tooling.fuzz`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.fuzz import main

if __name__ == "__main__":
    raise SystemExit(main())
