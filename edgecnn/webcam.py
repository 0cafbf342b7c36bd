"""The ``edgecnn webcam`` loop: frames in, digits read and tracked, window / video / JSON lines out.

Per frame: ``reader.read(frame)`` (segmentation + one batched inference), then the
:class:`~edgecnn.tracking.Tracker` for the stable reading. Outputs, each optional: a window
(boxes, labels, the reading per row, FPS and latency; ``q``/Esc quits, ``c`` toggles the
crops panel), an annotated video written atomically, and one JSON line per frame. The run
ends on ``q``, Ctrl-C (or SIGTERM), end of file or ``max_frames``, always releasing the camera,
window and writer, and returns a :class:`Summary`. Headless without JSON, a line goes to stdout
whenever the stable reading changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

import cv2
import numpy as np

from .errors import EdgeCNNError

WINDOW, CROPS = "edgecnn webcam", "edgecnn crops"
VIDEO_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}
QUIT_KEYS = {ord("q"), ord("Q"), 27}
CROPS_KEYS = {ord("c"), ord("C")}


@dataclass
class Options:
    source: str | int = 0
    model: str | os.PathLike | None = None
    show: bool = True
    save: str | os.PathLike | None = None
    json: bool = False
    min_confidence: float = 0.5
    max_frames: int | None = None
    threads: int = 1
    width: int | None = None
    height: int | None = None


@dataclass
class Summary:
    frames: int = 0
    seconds: float = 0.0
    latency_ms: list = field(default_factory=list, repr=False)  # per frame: segmentation + inference + tracking
    digits: int = 0
    skipped: int = 0
    dropped: int = 0
    stopped: str = ""
    last_stable: str = ""
    saved: str | None = None

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        lat = np.asarray(self.latency_ms) if self.latency_ms else np.zeros(1)
        text = self.last_stable.replace("\n", " | ") or "(none)"
        return (f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps); per-frame latency mean "
                f"{lat.mean():.2f} ms, p95 {np.percentile(lat, 95):.2f} ms; {self.digits} digits read; "
                f"skipped {self.skipped}, dropped {self.dropped} frames; last stable reading: {text}; stopped: {self.stopped}")


# ---------------------------------------------------------------------------- display

def opencv_has_gui() -> bool:
    """False for OpenCV builds without window support (opencv-python-headless: "GUI: NONE")."""
    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith("GUI:"):
            return line.split(":", 1)[1].strip().upper() not in ("NONE", "")
    return True


def display_available() -> bool:
    """Whether OpenCV can open a window here.

    On Linux/BSD this needs DISPLAY or WAYLAND_DISPLAY, and then a probe in a child process:
    Qt aborts the whole process (no exception) when the display it names cannot be reached.
    """
    if not sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or not opencv_has_gui():
        return False
    import subprocess

    probe = "import cv2; cv2.namedWindow('probe'); cv2.waitKey(1); cv2.destroyAllWindows()"
    try:
        return subprocess.run([sys.executable, "-c", probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=15).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


class Window:
    """The live window; turns itself off (headless) when OpenCV cannot show one, never raising."""

    HINT = "q/Esc: quit   c: crops"

    def __init__(self, enabled: bool, warn: Callable[[str], None], pace_fps: float = 0.0):
        """``pace_fps``: show a video file at its own speed (0: as fast as frames come, as for a camera)."""
        self.enabled, self.crops, self.warn = enabled, False, warn
        self.interval = 1.0 / pace_fps if pace_fps and pace_fps > 0 else 0.0
        self._next = None
        self._crops_placed = False
        if enabled:
            try:
                cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
            except cv2.error:
                self._off("OpenCV cannot open a window here")

    def _with_hint(self, frame: np.ndarray) -> np.ndarray:
        """A copy of ``frame`` with the keys in its top-right corner (the window only, not the saved video)."""
        img = frame.copy()
        scale = max(0.4, min(img.shape[:2]) / 900)
        (tw, th), base = cv2.getTextSize(self.HINT, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x = max(0, img.shape[1] - tw - 10)
        cv2.rectangle(img, (x, 0), (img.shape[1], th + base + 8), (0, 0, 0), -1)
        cv2.putText(img, self.HINT, (x + 5, th + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
        return img

    def _wait_ms(self) -> int:
        """How long to wait for a key: 1 ms, or until the file's next frame is due."""
        if not self.interval:
            return 1
        now = time.perf_counter()
        self._next = now if self._next is None else max(self._next, now - self.interval)
        wait = self._next - now
        self._next += self.interval
        return max(1, int(round(wait * 1000)))

    def _off(self, why: str) -> None:
        self.enabled = False
        self.warn(f"warning: {why}; running headless")

    def show(self, frame: np.ndarray, crops: Callable[[], np.ndarray]) -> str | None:
        """Show a frame; return "quit" when q/Esc was pressed or the window was closed."""
        if not self.enabled:
            return None
        try:
            cv2.imshow(WINDOW, self._with_hint(frame))
            if self.crops:
                if not self._crops_placed:  # beside the main window, not on top of it
                    cv2.namedWindow(CROPS, cv2.WINDOW_AUTOSIZE)
                    cv2.moveWindow(WINDOW, 0, 0)
                    cv2.moveWindow(CROPS, frame.shape[1] + 20, 0)
                    self._crops_placed = True
                cv2.imshow(CROPS, crops())
            key = cv2.waitKey(self._wait_ms()) & 0xFF
            if key in QUIT_KEYS or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                return "quit"
            if key in CROPS_KEYS:
                self.crops = not self.crops
                if not self.crops:
                    cv2.destroyWindow(CROPS)
                    self._crops_placed = False
        except cv2.error:
            self._off("the window could not be drawn")
        return None

    def close(self) -> None:
        if self.enabled:
            try:
                cv2.destroyAllWindows()
                cv2.waitKey(1)
            except cv2.error:
                pass


# ---------------------------------------------------------------------------- drawing

def hud(image: np.ndarray, fps: float, latency_ms: float, stable) -> np.ndarray:
    """Write FPS, latency and the stable reading along the bottom of an annotated frame (in place)."""
    h, w = image.shape[:2]
    scale = max(0.4, min(h, w) / 800)
    text = f"{fps:5.1f} fps  {latency_ms:5.1f} ms   stable: {' | '.join(stable.rows) or '-'}"
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(image, (0, h - th - base - 8), (min(w, tw + 10), h), (0, 0, 0), -1)
    cv2.putText(image, text, (5, h - base - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image


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
            from .fileio import atomic_path

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
        from .capture import check_video  # VideoWriter reports no write errors: check before replacing

        problem = check_video(self._tmp, self.frames)
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


# ---------------------------------------------------------------------------- the loop

def frame_record(frame, reading, stable, latency_ms: float) -> dict:
    """The JSON line for one frame."""
    return {"frame": frame.index, "time": round(frame.time, 4),
            "digits": [d.to_dict() for d in reading.digits],
            "raw": {"rows": reading.rows, "text": reading.text},
            "stable": stable.to_dict(), "latency_ms": round(latency_ms, 3)}


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


def _stop_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM end the loop like Ctrl-C (camera released, video kept); return the undo."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return lambda: None

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    return lambda: signal.signal(signal.SIGTERM, previous)


def run(opts: Options, *, out: TextIO | None = None, say: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
        reader=None, source=None) -> Summary:
    """Run the loop until the source ends, ``max_frames``, q/Esc or Ctrl-C; return the summary.

    ``reader`` defaults to a :class:`~edgecnn.reader.DigitReader` from ``opts``; ``source`` to a
    :class:`~edgecnn.capture.FrameSource` on ``opts.source``. Any source works that iterates
    :class:`~edgecnn.capture.Frame` objects and has ``live``, ``fps``, ``stats`` and ``close()``.
    """
    from .capture import FrameSource
    from .draw import annotate, mosaic
    from .tracking import Tracker

    out = out or sys.stdout
    if reader is None:
        from .reader import DigitReader

        reader = DigitReader(opts.model, threads=opts.threads, min_confidence=opts.min_confidence)
    if source is None:  # first: a source that won't open is the one error line
        source = FrameSource(opts.source, opts.width, opts.height)
    show = opts.show and display_available()
    if opts.show and not show:
        if not opencv_has_gui():
            say("note: this OpenCV has no window support (opencv-python-headless?); `pip install opencv-python` "
                "for the window; running headless")
        else:
            say("note: no usable display (DISPLAY/WAYLAND_DISPLAY unset or unreachable); running headless")
    need_drawing = show or opts.save is not None
    tracker = Tracker(min_confidence=opts.min_confidence)
    summary = Summary()
    window = Window(show, say, pace_fps=0.0 if source.live else source.fps)  # a file plays at its own speed
    video = VideoOut(opts.save, source.fps) if opts.save is not None else None
    ok = False
    t_start = time.perf_counter()
    fps_avg = 0.0
    restore = _stop_on_sigterm()
    try:
        try:
            for frame in source:
                t0 = time.perf_counter()
                reading = reader.read(frame.image)
                stable = tracker.update(reading)
                latency = (time.perf_counter() - t0) * 1e3
                summary.frames += 1
                summary.latency_ms.append(latency)
                summary.digits += len(reading.digits)
                line = None
                if opts.json:
                    line = json.dumps(frame_record(frame, reading, stable, latency))
                elif not window.enabled and stable.text != summary.last_stable:  # headless: when the reading changes
                    line = f"frame {frame.index} ({frame.time:.2f} s): {' | '.join(stable.rows) or '(no digits)'}"
                summary.last_stable = stable.text
                if line is not None:
                    try:
                        out.write(line + "\n")
                        out.flush()
                    except BrokenPipeError:
                        summary.stopped = "output closed"
                        break
                if need_drawing:
                    elapsed = time.perf_counter() - t_start
                    fps_avg = summary.frames / elapsed if elapsed > 0 else 0.0
                    image = hud(annotate(frame.image, reading), fps_avg, latency, stable)
                    if video is not None:
                        video.write(image)
                    if window.show(image, lambda: mosaic(reading)) == "quit":
                        summary.stopped = "quit key"
                        break
                if opts.max_frames and summary.frames >= opts.max_frames:
                    summary.stopped = "max frames"
                    break
        except KeyboardInterrupt:
            summary.stopped = "interrupted (Ctrl-C)"
        ok = True
    finally:
        restore()
        summary.seconds = time.perf_counter() - t_start
        source.close()
        window.close()
        if video is not None:
            if ok:
                summary.saved = video.finish()
            else:
                video.abort()
        summary.skipped, summary.dropped = source.stats.skipped, source.stats.dropped
        summary.stopped = summary.stopped or source.stats.ended or "end of stream"
    return summary
