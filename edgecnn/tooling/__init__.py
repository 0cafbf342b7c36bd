"""Tooling around the runtime: benchmarks, synthetic photos and video, evaluation on MNIST, plots, MNIST loading,
and the entry points of the scripts (``python -m edgecnn.tooling.NAME``; ``scripts/*.py`` wrap them).

Not part of the light runtime: ``import edgecnn`` and ``DigitReader().read(...)`` never import this package
(``tests/test_runtime_imports.py``). Some of it needs the ``[train]`` extra (TensorFlow for ``.keras`` models, onnx
for MAC counts by shape inference, matplotlib for plots); those imports happen inside the functions that need them.
"""
