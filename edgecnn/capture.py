"""Frame sources for ``edgecnn webcam``: a camera index, a video file or a stream URL (``cv2.VideoCapture``).

* Files are read in order, every frame.
* Live sources (cameras, stream URLs) are read by a background thread that keeps only the
  newest frame, so a slow consumer never builds a backlog; frames it overwrote are counted
  as ``dropped``.
* Failed reads are retried briefly, then the source ends; corrupt or empty frames are skipped
  and counted. :meth:`FrameSource.close` (or ``with``) releases the device.

Opening problems raise :class:`EdgeCNNError` with one line that says what to try instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from .errors import EdgeCNNError
from .fileio import check_regular

URL_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")
RETRIES = 10          # failed reads in a row before a live source is given up
RETRY_WAIT = 0.05     # seconds between those tries
FIRST_FRAME_WAIT = 5.0  # seconds a camera may take to deliver its first frame
MAX_FRAME_PIXELS = 64_000_000  # the image limit (imageio.MAX_PIXELS) applies to frames too

# FFmpeg's "[mjpeg @ 0x…] overread" lines would break the one-line contract (read at FFmpeg's start-up)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

try:  # OpenCV's own warnings ("can't open camera by index") would break the one-line contract
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
except AttributeError:  # pragma: no cover - very old OpenCV
    pass


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


MAX_CAMERA = 9999  # OpenCV's indices stay small (an API preference adds at most a few thousand)


def parse_source(source: str | int) -> int | str:
    """'0' → camera 0; anything else is a path or URL (kept as a string).

    Only ASCII digits make a camera index ('²' and '٣' are names); an index over ``MAX_CAMERA``
    is a usage error (exit 2), not an OpenCV overflow.
    """
    s = str(source).strip()
    if not (isinstance(source, int) or (s.isascii() and s.isdigit())):
        return s
    if len(s) > 6 or int(s) > MAX_CAMERA:
        raise EdgeCNNError(f"--source {s[:24]}{'…' if len(s) > 24 else ''}: camera index out of range "
                           f"(0 to {MAX_CAMERA})", exit_code=2)
    return int(s)


def is_live(source: int | str) -> bool:
    return isinstance(source, int) or str(source).lower().startswith(URL_SCHEMES)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C libraries' messages (FFmpeg's "moov atom not found", V4L2's) while opening."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def check_video(path: str | os.PathLike, frames: int) -> str | None:
    """Why the video just written at ``path`` is not usable, or None when it is.

    OpenCV's ``VideoWriter`` reports no write errors: on a full disk it leaves a file without its
    index ("moov atom not found") and says nothing. So the file is opened again and its frame
    count compared with what was written, before it may replace an older video.
    """
    with _quiet_stderr():
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


def _too_large(source, w: int, h: int) -> str:
    return (f"{_describe(source)}: frames of {w}×{h} are too large ({w * h / 1e6:.0f} Mpx; "
            f"limit {MAX_FRAME_PIXELS / 1e6:.0f} Mpx)")


def _check_image_header(path: Path) -> None:
    """A still image given as --source: the image limits apply before FFmpeg decodes it (a 16000² PNG took 1.6 GB)."""
    from .imageheader import header_info
    from .imageio import MAX_DECODED_BYTES

    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return  # VideoCapture will say what is wrong
    info = header_info(head)
    if info is None or info[0] <= 0 or info[1] <= 0:
        return
    w, h, channels, depth = info
    if w * h > MAX_FRAME_PIXELS:
        raise EdgeCNNError(_too_large(path, w, h))
    if w * h * channels * depth > MAX_DECODED_BYTES:
        raise EdgeCNNError(f"{path}: image too large to decode ({w}×{h}, {channels} channel(s) of {8 * depth} bits; "
                           f"limit {MAX_DECODED_BYTES / 1e6:.0f} MB)")


def _is_video_device(path: Path) -> bool:
    """A V4L2 camera given by its device path (``/dev/video0``): a character device OpenCV opens as a camera."""
    import stat

    try:
        return stat.S_ISCHR(os.stat(path).st_mode) and Path(os.path.realpath(path)).name.startswith("video")
    except OSError:
        return False


def _describe(source: int | str) -> str:
    return f"camera {source}" if isinstance(source, int) else str(source)


def _camera_hint(index: int) -> str:
    devices = sorted(str(p) for p in Path("/dev").glob("video*")) if sys.platform.startswith("linux") else []
    found = f"video devices here: {', '.join(devices)}" if devices else "no /dev/video* devices found" if sys.platform.startswith("linux") else ""
    other = 1 if index == 0 else 0
    return (f"cannot open camera {index} (missing, or busy in another program); choose another with --source {other} "
            f"or pass a video file or URL" + (f" ({found})" if found else ""))


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
        if isinstance(src, str) and not is_live(src):
            p = Path(src)
            try:
                found = p.exists()
            except (OSError, ValueError) as e:  # a name too long for the file system, a NUL in it
                raise EdgeCNNError(f"{src[:200]}{'…' if len(src) > 200 else ''}: cannot open "
                                   f"({getattr(e, 'strerror', None) or e})") from None
            if not found:
                raise EdgeCNNError(f"{src}: no such file (--source takes a camera index such as 0, a video file or a URL)")
            if p.is_dir():
                raise EdgeCNNError(f"{src}: is a folder, not a video")
            if not _is_video_device(p):  # a FIFO would block FFmpeg's open forever, /dev/zero never ends
                check_regular(p, kind="a video file")
            if not os.access(p, os.R_OK):
                raise EdgeCNNError(f"{src}: permission denied")
            _check_image_header(p)
        with _quiet_stderr():
            cap = cv2.VideoCapture(src)
            opened = cap.isOpened()
        if not opened:
            cap.release()
            if isinstance(src, int):
                raise EdgeCNNError(_camera_hint(src))
            what = "stream" if self.live else "video file"
            raise EdgeCNNError(f"{src}: cannot open as a {what} (not a format OpenCV/FFmpeg can read{', or unreachable' if self.live else ''})")
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if w * h > MAX_FRAME_PIXELS:  # refused before a single frame is decoded
            cap.release()
            raise EdgeCNNError(_too_large(src, w, h))
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
                raise EdgeCNNError(f"{_describe(src)}: opened but delivered no frame in {FIRST_FRAME_WAIT:.0f} s "
                                   "(busy in another program?)")
            if self._latest is None:
                self.close()
                raise EdgeCNNError(f"{_describe(src)}: opened but delivered no frame (busy in another program?)")

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
                if image.shape[0] * image.shape[1] > MAX_FRAME_PIXELS:  # a stream whose frames grew
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
            raise EdgeCNNError(_too_large(self.source, *self._too_large))
        if self.stats.read == 0:
            what = "no frame could be read" + (f" ({self.stats.skipped} corrupt)" if self.stats.skipped else "")
            raise EdgeCNNError(f"{_describe(self.source)}: {what}; not a video OpenCV/FFmpeg can decode")

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
