"""Frame sources for ``edgecnn webcam``: a camera index, a video file or a stream URL (``cv2.VideoCapture``).

* Files are read in order, every frame.
* Live sources (cameras, stream URLs) are read by a background thread that keeps only the
  newest frame, so a slow consumer never builds a backlog; frames it overwrote are counted
  as ``dropped``.
* Failed reads are retried briefly, then the source ends; corrupt or empty frames are skipped
  and counted. :meth:`FrameSource.close` (or ``with``) releases the device.

Opening (:mod:`edgecnn.sources`) problems raise :class:`EdgeCNNError` with one line that says what to try instead.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from . import sources
from .errors import EdgeCNNError
from .sources import describe, is_live, open_capture, parse_source, too_large

RETRIES = 10          # failed reads in a row before a live source is given up
RETRY_WAIT = 0.05     # seconds between those tries
FIRST_FRAME_WAIT = 5.0  # seconds a camera may take to deliver its first frame


@dataclass
class Frame:
    index: int          # 0-based position in the source (live: count of frames captured so far)
    time: float         # seconds: stream position for files, since opening for live sources
    image: np.ndarray   # H×W×3 BGR uint8 (grey frames are converted)


@dataclass
class Stats:
    read: int = 0       # frames delivered
    skipped: int = 0    # corrupt or empty frames
    dropped: int = 0    # live frames replaced by a newer one before they were taken
    failed_reads: int = 0
    ended: str = ""     # why the source stopped: "end of file", "read failed", "closed"


def _good(image) -> bool:
    return isinstance(image, np.ndarray) and image.size > 0 and image.ndim in (2, 3) and image.dtype == np.uint8 \
        and (image.ndim == 2 or image.shape[2] in (1, 3, 4))


def _bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


class FrameSource:
    """Iterate :class:`Frame` objects from a camera, file or URL; ``with FrameSource(...) as src: for f in src: ...``."""

    def __init__(self, source: str | int = 0, width: int | None = None, height: int | None = None,
                 live: bool | None = None):
        self.source = parse_source(source)
        self.live = is_live(self.source) if live is None else live  # live=True reads a file like a camera (tests)
        self.size = (width, height) if width and height else None
        self.stats = Stats()
        self.fps = 0.0
        self._cap = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: tuple[int, float, np.ndarray] | None = None
        self._taken = -1
        self._too_large: tuple[int, int] | None = None
        self._open()

    # ------------------------------------------------------------------ opening and closing
    def _open(self) -> None:
        src = self.source
        cap = open_capture(src, self.live)
        self._cap = cap
        if isinstance(src, int) and self.size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if isinstance(src, int):
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # ask the driver for no queue of its own (not all honour it)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else 0.0
        if self.live:
            self._t0 = time.monotonic()
            self._thread = threading.Thread(target=self._pump, name="edgecnn-capture", daemon=True)
            self._thread.start()
            with self._cond:
                got = self._cond.wait_for(lambda: self._latest is not None or self.stats.ended, FIRST_FRAME_WAIT)
            # close() outside the lock: the capture thread needs it to finish, and only then is the camera released
            if not got:
                self.close()
                raise EdgeCNNError(f"{describe(src)}: opened but delivered no frame in {FIRST_FRAME_WAIT:.0f} s "
                                   "(busy in another program?)")
            if self._latest is None:
                self.close()
                raise EdgeCNNError(f"{describe(src)}: opened but delivered no frame (busy in another program?)")

    def close(self) -> None:
        """Stop the capture thread and release the device (safe to call twice)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        if self._cap is not None and (self._thread is None or not self._thread.is_alive()):
            self._cap.release()
            self._cap = None
        if not self.stats.ended:
            self.stats.ended = "closed"

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def _read_one(self) -> np.ndarray | None | bool:
        """One frame; None for a corrupt/empty one; False once reads keep failing (or the file ends)."""
        for attempt in range(RETRIES if self.live else 3):
            if self._stop.is_set():
                return False
            try:
                ok, image = self._cap.read()
            except cv2.error:
                ok, image = False, None
            if ok:
                if not _good(image):
                    return None
                if image.shape[0] * image.shape[1] > sources.MAX_FRAME_PIXELS:  # a stream whose frames grew (read at call time)
                    self._too_large = (image.shape[1], image.shape[0])
                    self.stats.ended = "frame too large"
                    return False
                image = _bgr(image)
                if self.size and not isinstance(self.source, int) and (image.shape[1], image.shape[0]) != self.size:
                    image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
                return image
            if not self.live and self._at_end():
                return False
            self.stats.failed_reads += 1
            time.sleep(RETRY_WAIT if self.live else 0)
        self.stats.ended = "read failed"
        return False

    def _at_end(self) -> bool:
        n = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        pos = self._cap.get(cv2.CAP_PROP_POS_FRAMES)
        return n <= 0 or pos >= n - 1

    def _pump(self) -> None:
        """Capture thread (live sources): keep only the newest frame."""
        n = 0
        while not self._stop.is_set():
            image = self._read_one()
            if image is False:
                break
            if image is None:
                self.stats.skipped += 1
                continue
            with self._cond:
                if self._latest is not None and self._latest[0] > self._taken:
                    self.stats.dropped += 1
                self._latest = (n, time.monotonic() - self._t0, image)
                self._cond.notify_all()
            n += 1
        with self._cond:
            if not self.stats.ended:
                self.stats.ended = "closed" if self._stop.is_set() else "end of stream"
            self._cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        if self.live:
            yield from self._iter_live()
        else:
            yield from self._iter_file()

    def _check_ended(self) -> None:
        """A source that ended on a frame over the limit, or without a single good frame, is an error."""
        if self._too_large:
            raise EdgeCNNError(too_large(self.source, *self._too_large))
        if self.stats.read == 0:
            what = "no frame could be read" + (f" ({self.stats.skipped} corrupt)" if self.stats.skipped else "")
            raise EdgeCNNError(f"{describe(self.source)}: {what}; not a video OpenCV/FFmpeg can decode")

    def _iter_file(self) -> Iterator[Frame]:
        n = 0
        fps = self.fps or 30.0
        while not self._stop.is_set():
            image = self._read_one()
            if image is False:
                self.stats.ended = self.stats.ended or "end of file"
                self._check_ended()
                return
            if image is not None:
                self.stats.read += 1
                yield Frame(n, n / fps, image)
            else:
                self.stats.skipped += 1
            n += 1

    def _iter_live(self) -> Iterator[Frame]:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: (self._latest is not None and self._latest[0] > self._taken)
                                    or self.stats.ended or self._stop.is_set(), 0.5)
                latest = self._latest
                if latest is None or latest[0] <= self._taken:
                    if self.stats.ended or self._stop.is_set():
                        if not self._stop.is_set():
                            self._check_ended()
                        return
                    continue
                self._taken = latest[0]
            self.stats.read += 1
            yield Frame(*latest)
