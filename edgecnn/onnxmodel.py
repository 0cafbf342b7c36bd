"""Load an edgecnn ONNX file (fp32 or int8) into an onnxruntime session: ``OnnxModel(path).predict(batch)``.

Only onnxruntime and numpy: never ``onnx`` or TensorFlow. The model's ``metadata_props``
(labels, input layout, normalization) are decoded by :mod:`edgecnn.metadata`; a foreign
model without them works with the defaults and one warning, if its shapes fit
``[N, 28, 28, 1] float → [N, 10]``.
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from .errors import EdgeCNNError, first_line
from .metadata import MetadataError, ModelInfo, decode

_WARNED: set[str] = set()
RUN_BUDGET = 30.0  # seconds for one batch (a batch of 256 takes ~0.1 s with the bundled models)
MAX_RUN_BYTES = 1 << 30  # CPU memory onnxruntime may hold for all models (a batch of 256 needs tens of MB)
MAX_BATCH = 64  # crops per run: larger batches are split (int8 runs as fast per image at 64 as at 256)
_ARENA: list[bool] = []  # whether the capped CPU arena is registered (once per process)
MAX_MODEL_BYTES = 512 * 1024 * 1024  # a digit classifier is a few MB; ONNX's own protobuf limit is 2 GB


def default_model_path() -> Path:
    """The bundled int8 model, or the fp32 one when the int8 file is missing."""
    from .models import DEFAULT_FP32, DEFAULT_INT8

    for p in (DEFAULT_INT8, DEFAULT_FP32):
        if p.is_file():
            return p
    raise EdgeCNNError(f"no bundled model found ({DEFAULT_INT8.name} or {DEFAULT_FP32.name} in {DEFAULT_INT8.parent}); "
                       "pass --model PATH or rebuild them with scripts/build_default_model.sh")


class _Watchdog:
    """One thread that sets ``RunOptions.terminate`` on runs past their deadline (a thread per run cost ~0.2 ms).

    With no run to watch it still looks every ``IDLE`` seconds, so a run with a longer budget (every run but a test's)
    starts without waking it: waking a thread per run cost a context switch (~0.03 ms a frame on one core)."""

    IDLE = 5.0

    def __init__(self):
        self._cond = threading.Condition()
        self._jobs: dict[int, tuple[float, object]] = {}
        self._next = 0
        self._wake = float("inf")  # when the thread will next look, unless notified
        self._thread: threading.Thread | None = None

    def watch(self, options, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="edgecnn-watchdog", daemon=True)
                self._thread.start()
            self._next += 1
            self._jobs[self._next] = (deadline, options)
            if deadline < self._wake:
                self._cond.notify()
            return self._next

    def forget(self, job: int) -> None:
        with self._cond:
            self._jobs.pop(job, None)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for job, (deadline, options) in list(self._jobs.items()):
                    if deadline <= now:
                        options.terminate = True
                        del self._jobs[job]
                self._wake = min((d for d, _ in self._jobs.values()), default=now + self.IDLE)
                self._cond.wait(timeout=max(0.0, self._wake - now))


_WATCHDOG = _Watchdog()


def _capped_arena(ort) -> bool:
    """Register one CPU arena for all sessions, capped at ``MAX_RUN_BYTES``, so a graph that builds a huge tensor
    gets an allocation error instead of the machine's memory. False where this onnxruntime cannot."""
    if not _ARENA:
        try:
            info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
            ort.create_and_register_allocator(info, ort.OrtArenaCfg(MAX_RUN_BYTES, -1, -1, -1))
            _ARENA.append(True)
        except Exception:  # an older onnxruntime without the API, or one registered already
            _ARENA.append(False)
    return _ARENA[0]


def max_threads() -> int:
    """The most onnxruntime threads a model may use: this machine's CPU cores (more only slows it down)."""
    return max(1, os.cpu_count() or 1)


class OnnxModel:
    """An onnxruntime session for a 28×28 digit classifier."""

    run_budget = RUN_BUDGET  # seconds one session.run may take

    def __init__(self, path: str | os.PathLike | None = None, threads: int = 1, device: str = "cpu"):
        import onnxruntime as ort

        self.path = Path(path) if path is not None else default_model_path()
        if threads < 1:
            raise EdgeCNNError(f"threads must be ≥ 1 (got {threads})", exit_code=2)
        if threads > max_threads():  # 100000 crashed onnxruntime (SIGSEGV); 2000 ran for minutes
            raise EdgeCNNError(f"--threads {threads}: more than the {max_threads()} CPU core(s) here "
                               f"(use 1..{max_threads()})", exit_code=2)
        if device not in ("cpu", "cuda"):
            raise EdgeCNNError(f"device must be 'cpu' or 'cuda' (got {device!r})", exit_code=2)
        data = _read_model_bytes(self.path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 4  # errors come back as exceptions (one line each); no C++ log on stderr
        if _capped_arena(ort):  # a ConstantOfShape of 20000² took 1.6 GB; now it fails with one line
            opts.add_session_config_entry("session.use_env_allocators", "1")
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            if "CUDAExecutionProvider" in ort.get_available_providers():
                providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
            else:
                warnings.warn("CUDA was asked for but onnxruntime has no CUDA provider here; running on the CPU", stacklevel=2)
        try:
            # From bytes: external-data paths were already checked, and onnxruntime resolves them
            # against the model's folder only when given that folder explicitly.
            if _has_external_data(data):
                self.session = ort.InferenceSession(str(self.path), opts, providers=providers)
            else:
                self.session = ort.InferenceSession(data, opts, providers=providers)
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise EdgeCNNError(f"{self.path}: not a usable ONNX model ({first_line(e, 200)})") from None
        self.device = "cuda" if providers[0].startswith("CUDA") else "cpu"
        try:
            self.info: ModelInfo = decode(dict(self.session.get_modelmeta().custom_metadata_map or {}))
            self._check_io()
        except UnicodeDecodeError:  # names or metadata that are not UTF-8 (found by fuzzing)
            raise EdgeCNNError(f"{self.path}: corrupt ONNX model (a name or metadata value is not valid UTF-8)") from None
        except MetadataError as e:
            raise EdgeCNNError(f"{self.path}: {e}") from None
        if not self.info.is_edgecnn and str(self.path) not in _WARNED:
            _WARNED.add(str(self.path))
            warnings.warn(f"{self.path.name}: no edgecnn metadata; assuming 28×28×1 NHWC input in [0, 1], bright ink, labels 0–9",
                          stacklevel=3)

    def _check_io(self) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise EdgeCNNError(f"{self.path}: expected one input and one output, found {len(inputs)} and {len(outputs)}")
        inp, out = inputs[0], outputs[0]
        shape = list(inp.shape)
        if "float" not in inp.type:
            raise EdgeCNNError(f"{self.path}: input {inp.name!r} is {inp.type}, expected float")
        if len(shape) == 4 and _fits(shape[1:], [28, 28, 1]):
            self.layout = "NHWC"
        elif len(shape) == 4 and _fits(shape[1:], [1, 28, 28]):
            self.layout = "NCHW"
        else:
            raise EdgeCNNError(f"{self.path}: input {inp.name!r} has shape {shape}; expected [N, 28, 28, 1]")
        oshape = list(out.shape)
        if len(oshape) != 2 or not _fits(oshape[1:], [len(self.info.labels)]):
            raise EdgeCNNError(f"{self.path}: output {out.name!r} has shape {oshape}; expected [N, {len(self.info.labels)}]")
        self.input_name, self.output_name = inp.name, out.name
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        self.input_dtype = np.float16 if "float16" in inp.type else np.float32

    @property
    def labels(self) -> list[str]:
        return self.info.labels

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N×10 float32) for a float32 N×28×28×1 batch in [0, 1]."""
        x = np.asarray(batch, np.float32)
        if x.ndim == 3:
            x = x[..., None]
        n = len(x)
        if n == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        if self.layout == "NCHW":
            x = x.transpose(0, 3, 1, 2)
        x = np.ascontiguousarray(x, dtype=self.input_dtype)
        if self.fixed_batch is not None and self.fixed_batch != n:
            parts = [self._run(x[i: i + 1]) for i in range(n)] if self.fixed_batch == 1 else None
            if parts is None:
                raise EdgeCNNError(f"{self.path}: model takes batches of exactly {self.fixed_batch}")
            return np.concatenate(parts)
        if n > MAX_BATCH:  # a page of hundreds of digits: the same speed per digit, a bounded activation arena
            return np.concatenate([self._run(x[i: i + MAX_BATCH]) for i in range(0, n, MAX_BATCH)])
        return self._run(x)

    def _run(self, x: np.ndarray) -> np.ndarray:
        import onnxruntime as ort

        # A time budget per run: a Loop of 2⁶² iterations (or any graph far slower than a digit classifier)
        # is stopped by onnxruntime's terminate flag, which it checks between nodes, in loops too.
        options = ort.RunOptions()
        job = _WATCHDOG.watch(options, self.run_budget)
        try:
            y = np.asarray(self.session.run([self.output_name], {self.input_name: x}, options)[0], np.float32)
        except Exception as e:  # a graph that loads but fails when run (onnxruntime's Fail/RuntimeException/...)
            if "Available memory of" in str(e) or "Failed to allocate memory" in str(e):
                raise EdgeCNNError(f"{self.path}: the model failed when run (it asked for more than "
                                   f"{MAX_RUN_BYTES // 2**20} MiB of memory on a batch of {len(x)})") from None
            if options.terminate:
                raise EdgeCNNError(f"{self.path}: the model failed when run (stopped after {self.run_budget:g} s on a "
                                   f"batch of {len(x)}; a 28×28 classifier takes milliseconds)") from None
            raise EdgeCNNError(f"{self.path}: the model failed when run ({first_line(e, 200)})") from None
        finally:
            _WATCHDOG.forget(job)
        if y.ndim != 2 or y.shape[0] != len(x) or y.shape[1] != len(self.labels):
            raise EdgeCNNError(f"{self.path}: the model returned shape {list(y.shape)}; expected [{len(x)}, {len(self.labels)}]")
        lo, hi = float(y.min()), float(y.max())  # NaN or ±inf anywhere makes one of them non-finite
        if not (math.isfinite(lo) and math.isfinite(hi)):  # NaN would reach --json as a bare NaN, which is not JSON
            bad = "NaN" if np.isnan(y).any() else "infinite"
            raise EdgeCNNError(f"{self.path}: the model failed when run (it returned {bad} scores)")
        # logits, not probabilities (an int8 model's softmax output is quantized in 1/255 steps:
        # its rows sum to 1 only within ~0.02, and must not be put through softmax again)
        if lo < 0 or hi > 1.0 + 1e-3 or float(np.abs(y.sum(axis=1) - 1.0).max()) > 0.05 + 1e-5:
            e = np.exp(y - y.max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        return y


def _fits(shape, want) -> bool:
    return all((not isinstance(s, int)) or s == w for s, w in zip(shape, want)) and len(shape) == len(want)


def _read_model_bytes(path: Path) -> bytes:
    from .fileio import read_regular

    # refuses FIFOs and devices (/dev/zero) before opening them, and files over the size limit
    data = read_regular(path, MAX_MODEL_BYTES, kind="an ONNX model", missing="no such model file")
    if not data:
        raise EdgeCNNError(f"{path}: empty file (0 bytes)")
    if path.suffix == ".keras" or data[:2] == b"PK":
        raise EdgeCNNError(f"{path}: a Keras file, not ONNX; export it first with 'edgecnn export'")
    for ref in _external_locations(data):
        _check_external(path, ref)
    return data


def _has_external_data(data: bytes) -> bool:
    return bool(_external_locations(data))


def _external_locations(data: bytes) -> list[str]:
    """The 'location' values of external-data tensors, found by scanning the protobuf for the key.

    A full parse would need the ``onnx`` package; the runtime must not import it. Every
    external-data entry is a StringStringEntryProto whose key is the literal ``location``.
    """
    out = []
    key = b"\x0a\x08location\x12"  # field 1 (key) = "location", then field 2 (value)
    start = 0
    while True:
        i = data.find(key, start)
        if i < 0:
            return out
        j = i + len(key)
        n, shift = 0, 0
        while j < len(data):  # varint length
            b = data[j]
            n |= (b & 0x7F) << shift
            j += 1
            shift += 7
            if not b & 0x80:
                break
        out.append(data[j: j + n].decode("utf-8", "replace"))
        start = j + n


def _check_external(model: Path, ref: str) -> None:
    folder = model.resolve().parent
    target = (folder / ref).resolve()
    if os.path.isabs(ref) or not target.is_relative_to(folder):
        raise EdgeCNNError(f"{model}: refers to external data outside its folder ({ref!r}); refused")
    if not target.is_file():
        raise EdgeCNNError(f"{model}: its external data file {ref!r} is missing")
