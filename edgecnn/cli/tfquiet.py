"""Keep TensorFlow's native log lines off the terminal during train and export (``--verbose`` keeps them).

TensorFlow 2.21 writes through absl's C++ logger, which ignores ``TF_CPP_MIN_LOG_LEVEL`` for what it says while
loading ("All log messages before absl::InitializeLog()", oneDNN, "Could not find cuda drivers", cuInit) and for
some graph warnings during ``fit`` ("NodeDef mentions attribute use_unbounded_threadpool"); GLOG/ABSL environment
variables do not reach it either (tried). What is done:

1. the environment before the first import: ``TF_CPP_MIN_LOG_LEVEL=2`` (TensorFlow's own Python-era logging, e.g.
   cpu_feature_guard) and, for ``--device cpu``, no visible GPU (2.21 still calls cuInit and logs its failure);
2. Python-side loggers (``absl``, ``tensorflow``, ``tf2onnx``) at ERROR;
3. as the last resort, a filter on file descriptor 2: a pipe whose reader drops lines shaped like absl/glog
   records (``I0000 00:00:… file.cc:12] …``) and passes everything else through at once, so Keras' progress bar
   and our own lines still show as they are written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading

# absl/glog records: severity letter, MMDD, time, thread id, file:line]
NATIVE_LINE = re.compile(rb"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\s\]]+:\d+\] ")
NATIVE_PREFIX = re.compile(rb"^(?:[IWEF](?:\d{0,4}(?: (?:[\d:.]*(?:\s+\d*(?: [^\s\]]*)?)?)?)?)?|W(?:A(?:R(?:N(?:I(?:N(?:G(?::.*)?)?)?)?)?)?)?)$")
BANNERS = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",)


def prepare_environment(device: str | None = None) -> None:
    """Before TensorFlow's first import: its C++ log level, and no GPU at all for ``--device cpu``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # no GPU at all (TensorFlow 2.21 still calls cuInit: the filter drops that)


def quiet_python_loggers() -> None:
    for name in ("absl", "tensorflow", "tf2onnx", "h5py", "onnxruntime"):
        logging.getLogger(name).setLevel(logging.ERROR)


def is_native(line: bytes) -> bool:
    text = line.rstrip(b"\r\n")
    return bool(NATIVE_LINE.match(text)) or text in BANNERS


class _Filter(threading.Thread):
    """Reads the pipe that fd 2 now points to; writes all but native log lines to the real stderr."""

    def __init__(self, read_fd: int, out_fd: int):
        super().__init__(daemon=True, name="edgecnn-stderr-filter")
        self.read_fd, self.out_fd = read_fd, out_fd
        self.dropped = 0

    def _write(self, data: bytes) -> None:
        while data:
            try:
                n = os.write(self.out_fd, data)
            except OSError:
                return
            data = data[n:]

    def run(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self.read_fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            pending += chunk
            out = []
            # complete segments end in \n; a \r-ended segment (a progress bar redraw) passes at once
            for seg in re.split(rb"(?<=[\r\n])", pending)[:-1]:
                if is_native(seg):
                    self.dropped += 1
                else:
                    out.append(seg)
            pending = re.split(rb"(?<=[\r\n])", pending)[-1]
            if pending and not (NATIVE_PREFIX.match(pending) or any(b.startswith(pending) for b in BANNERS)):
                out.append(pending)  # cannot become a native line: show it now (Keras' bar draws without \n)
                pending = b""
            if out:
                self._write(b"".join(out))
        if pending and not is_native(pending):
            self._write(pending)
        os.close(self.read_fd)


class _SameTty:
    """sys.stderr as before, still saying whether it is a terminal (fd 2 is now a pipe): Keras keeps its live bar."""

    def __init__(self, stream, tty: bool):
        self._stream, self._tty = stream, tty

    def isatty(self) -> bool:
        return self._tty

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def native_stderr_filtered(enabled: bool = True):
    """While the block runs, drop TensorFlow's native log lines from fd 2 (a no-op when ``enabled`` is false)."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    stream = sys.stderr
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    reader = _Filter(read_fd, saved)
    reader.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    sys.stderr = _SameTty(stream, tty)
    try:
        yield reader
    finally:
        if isinstance(sys.stderr, _SameTty):
            sys.stderr = stream
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 2)  # the pipe's last writer goes: the reader sees EOF
        reader.join(timeout=5)
        os.close(saved)


@contextlib.contextmanager
def quiet_tensorflow(verbose: bool = False, device: str | None = None):
    """Everything above, for one train or export run; ``verbose`` keeps TensorFlow's own lines."""
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # no GPU at all (TensorFlow 2.21 still calls cuInit: the filter drops that)
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")  # all of TensorFlow's lines, unless the user chose a level
        yield
        return
    prepare_environment(device)
    with native_stderr_filtered():
        quiet_python_loggers()
        yield
