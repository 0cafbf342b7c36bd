"""Tooling around the runtime: benchmarks, synthetic photos and video, evaluation on MNIST, plots, MNIST loading.

Not part of the light runtime: ``import edgecnn`` and ``DigitReader().read(...)`` never import this package.
Some of it needs the ``[train]`` extra (TensorFlow for ``.keras`` models, onnx for MAC counts, matplotlib for
plots); those imports happen inside the functions that need them.
"""
