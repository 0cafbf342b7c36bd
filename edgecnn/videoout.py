"""The annotated video of ``edgecnn webcam --save``: written to a temporary file, checked, then moved into place.

OpenCV's ``VideoWriter`` reports no write errors, so :func:`check_video` opens the written file again before it may
replace an older video; a Ctrl-C during a write is held back until the frame is counted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import cv2
import numpy as np

from .errors import EdgeCNNError
from .atomic import atomic_path
from .imageio import quiet_stderr

VIDEO_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


class VideoOut:
    """An annotated video written to a temporary file beside ``target``; renamed into place by :meth:`finish`."""

    def __init__(self, target: str | os.PathLike, fps: float):
        self.target = Path(target)
        self.fps = fps if fps and fps > 0 else 30.0
        self.writer = None
        self.size = None
        self.frames = 0
        self._ctx = None
        self._tmp = None

    def write(self, frame: np.ndarray) -> None:
        if self.writer is None:
            self._ctx = atomic_path(self.target)
            self._tmp = self._ctx.__enter__()
            self.size = (frame.shape[1], frame.shape[0])
            fourcc = cv2.VideoWriter_fourcc(*VIDEO_FOURCC[self.target.suffix.lower()])
            self.writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, self.size)
            if not self.writer.isOpened():
                self.abort()
                raise EdgeCNNError(f"{self.target}: cannot write video (no {self.target.suffix} encoder in this OpenCV)")
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        with _signals_deferred():  # Ctrl-C between the write and the count would make the check fail
            self.writer.write(frame)
            self.frames += 1

    def finish(self) -> str | None:
        """Close the file and move it into place; None when no frame was written."""
        if self.writer is None:
            return None
        self.writer.release()
        self.writer = None
        problem = check_video(self._tmp, self.frames)  # VideoWriter reports no write errors: check before replacing
        if problem:
            self.abort()
            kept = "; the existing file is unchanged" if self.target.exists() else ""
            raise EdgeCNNError(f"{self.target}: video not saved: {problem}{kept}")
        self._ctx.__exit__(None, None, None)
        return str(self.target)

    def abort(self) -> None:
        """Drop the temporary file; an existing ``target`` is left as it was."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if self._ctx is not None:
            self._ctx.__exit__(EdgeCNNError, EdgeCNNError("aborted"), None)
            self._ctx = None


def check_video(path: str | os.PathLike, frames: int) -> str | None:
    """Why the video just written at ``path`` is not usable, or None when it is.

    OpenCV's ``VideoWriter`` reports no write errors: on a full disk it leaves a file without its
    index ("moov atom not found") and says nothing. So the file is opened again and its frame
    count compared with what was written, before it may replace an older video.
    """
    with quiet_stderr():
        cap = cv2.VideoCapture(str(path))
        try:
            if not cap.isOpened():
                return "the written file does not open (disk full?)"
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            if count != frames:  # no stored count, or FFmpeg's estimate from the duration (off by one at times): read through
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                count = 0
                while cap.grab():
                    count += 1
            if count != frames:
                return f"the written file holds {count} of {frames} frames (disk full?)"
            # AVI and MKV headers state the count even when the data was cut short: the last frame must decode
            if frames and not (cap.set(cv2.CAP_PROP_POS_FRAMES, frames - 1) and cap.read()[0]):
                return f"the written file's last frame ({frames}) does not decode (disk full?)"
        finally:
            cap.release()
    return None


@contextlib.contextmanager
def _signals_deferred():
    """Hold Ctrl-C and SIGTERM back for a few statements; a signal that came meanwhile is raised right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            raise KeyboardInterrupt
