"""What ``--source`` names (a camera index, a video or image file, a stream URL), and opening it with OpenCV.

Everything that can be checked before FFmpeg or a camera driver sees the source is checked here, and every problem is
one :class:`EdgeCNNError` line that says what to try instead. Reading frames from the opened capture is
:mod:`edgecnn.capture`'s job.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2

from .errors import EdgeCNNError
from .fileio import check_regular
from .imageheader import header_info
from .imageio import MAX_DECODED_BYTES, quiet_stderr

URL_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")
MAX_FRAME_PIXELS = 64_000_000  # the image limit (imageio.MAX_PIXELS) applies to frames too

# FFmpeg's "[mjpeg @ 0x…] overread" lines would break the one-line contract (read at FFmpeg's start-up)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

try:  # OpenCV's own warnings ("can't open camera by index") would break the one-line contract
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
except AttributeError:  # pragma: no cover - very old OpenCV
    pass


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


def too_large(source, w: int, h: int) -> str:
    return (f"{describe(source)}: frames of {w}×{h} are too large ({w * h / 1e6:.0f} Mpx; "
            f"limit {MAX_FRAME_PIXELS / 1e6:.0f} Mpx)")


def check_image_header(path: Path) -> None:
    """A still image given as --source: the image limits apply before FFmpeg decodes it (a 16000² PNG took 1.6 GB)."""
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
        raise EdgeCNNError(too_large(path, w, h))
    if w * h * channels * depth > MAX_DECODED_BYTES:
        raise EdgeCNNError(f"{path}: image too large to decode ({w}×{h}, {channels} channel(s) of {8 * depth} bits; "
                           f"limit {MAX_DECODED_BYTES / 1e6:.0f} MB)")


def is_video_device(path: Path) -> bool:
    """A V4L2 camera given by its device path (``/dev/video0``): a character device OpenCV opens as a camera."""
    import stat

    try:
        return stat.S_ISCHR(os.stat(path).st_mode) and Path(os.path.realpath(path)).name.startswith("video")
    except OSError:
        return False


def describe(source: int | str) -> str:
    return f"camera {source}" if isinstance(source, int) else str(source)


def camera_hint(index: int) -> str:
    devices = sorted(str(p) for p in Path("/dev").glob("video*")) if sys.platform.startswith("linux") else []
    found = f"video devices here: {', '.join(devices)}" if devices else "no /dev/video* devices found" if sys.platform.startswith("linux") else ""
    other = 1 if index == 0 else 0
    return (f"cannot open camera {index} (missing, or busy in another program); choose another with --source {other} "
            f"or pass a video file or URL" + (f" ({found})" if found else ""))


def open_capture(src: int | str, live: bool) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` on a parsed source (:func:`parse_source`), its frame size within the limit.

    ``live`` only changes the wording of the error (a stream may be unreachable). Files are checked before FFmpeg sees
    them: present, readable, a regular file or a camera device (a FIFO would block its open forever), and a still
    image within the image limits.
    """
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
        if not is_video_device(p):  # a FIFO would block FFmpeg's open forever, /dev/zero never ends
            check_regular(p, kind="a video file")
        if not os.access(p, os.R_OK):
            raise EdgeCNNError(f"{src}: permission denied")
        check_image_header(p)
    with quiet_stderr():  # FFmpeg's "moov atom not found", V4L2's messages
        cap = cv2.VideoCapture(src)
        opened = cap.isOpened()
    if not opened:
        cap.release()
        if isinstance(src, int):
            raise EdgeCNNError(camera_hint(src))
        what = "stream" if live else "video file"
        raise EdgeCNNError(f"{src}: cannot open as a {what} (not a format OpenCV/FFmpeg can read{', or unreachable' if live else ''})")
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    if w * h > MAX_FRAME_PIXELS:  # refused before a single frame is decoded
        cap.release()
        raise EdgeCNNError(too_large(src, w, h))
    return cap
