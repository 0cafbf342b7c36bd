"""A training run's directory: the names of its files, and reading and (atomically) writing them.

``edgecnn train`` writes one, ``edgecnn export`` reads it and writes the ONNX files into it, ``edgecnn evaluate``
reads its model and training curves. Light (no TensorFlow), so the runtime-side tooling can use it too::

    runs/edge/
      config.json      the resolved training configuration (TrainConfig, plus device_used)
      model.keras      the best epoch by validation accuracy
      last.keras       the latest epoch, with optimizer state (what --resume continues from)
      state.json       epochs done, best score, time; written after last.keras (it names the epoch last.keras holds)
      history.json     per-epoch metrics
      metrics.json     test accuracy etc. once training ended; "complete": true only when every epoch ran
      model.onnx       fp32 export; model.int8.onnx: int8 export
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import EdgeCNNError
from .atomic import atomic_path, write_json


class RunDir:
    """One run directory; paths are attributes (``run.model``, ``run.state``), files are read and written here."""

    MODEL, LAST = "model.keras", "last.keras"
    CONFIG, STATE, HISTORY, METRICS = "config.json", "state.json", "history.json", "metrics.json"
    ONNX = "model.onnx"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    model = property(lambda self: self.path / self.MODEL)
    last = property(lambda self: self.path / self.LAST)
    config = property(lambda self: self.path / self.CONFIG)
    state = property(lambda self: self.path / self.STATE)
    history = property(lambda self: self.path / self.HISTORY)
    metrics = property(lambda self: self.path / self.METRICS)
    onnx = property(lambda self: self.path / self.ONNX)

    @classmethod
    def new(cls, arch: str, root: str | os.PathLike = "runs") -> "RunDir":
        """runs/<arch>, or runs/<arch>-2, -3 ... if taken (not created yet)."""
        path, n = Path(root) / arch, 1
        while path.exists():
            n += 1
            path = Path(root) / f"{arch}-{n}"
        return cls(path)

    def trained_model(self) -> Path:
        """``model.keras``, or an error saying the run has none (yet)."""
        if not self.model.is_file():
            raise EdgeCNNError(f"{self.path}: run directory has no {self.MODEL} "
                               "(has training finished or been interrupted before the first epoch?)")
        return self.model

    def is_dir(self) -> bool:
        return self.path.is_dir()

    def holds_run(self) -> bool:
        """A run was started here (its model or its metrics exist): a new run must not overwrite it."""
        return self.metrics.exists() or self.model.exists()

    def is_complete(self) -> bool:
        metrics = self.read_json(self.METRICS)
        return metrics.get("complete") is True

    def create(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EdgeCNNError(f"{self.path}: cannot create the run directory ({e.strerror or e})") from None

    def read_json(self, name: str, default=None):
        """A JSON file of the run, or ``default`` ({} unless given) when it is absent, unreadable or not a dict/list."""
        default = {} if default is None else default
        path = self.path / name
        if not path.is_file():
            return default
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError, RecursionError):
            return default
        return value if isinstance(value, type(default)) else default

    def load_json(self, name: str, missing: str):
        """A JSON file the caller cannot do without: absent → ``'<dir>: no <name>; <missing>'``, unreadable → an error."""
        path = self.path / name
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise EdgeCNNError(f"{self.path}: no {name}; {missing}") from None
        except (OSError, ValueError) as e:
            raise EdgeCNNError(f"{path}: unreadable ({e})") from None

    def write_json(self, name: str, obj) -> None:
        """Write ``obj`` as ``name`` atomically (an existing file survives any failure)."""
        write_json(self.path / name, obj)

    def atomic(self, name: str):
        """``atomic_path`` for a file of the run: ``with run.atomic("model.keras") as tmp: model.save(tmp)``."""
        return atomic_path(self.path / name)
