"""The ``edgecnn webcam`` loop: frames in, digits read and tracked, window / video / JSON lines out.

Per frame: ``reader.read(frame)`` (segmentation + one batched inference), then the
:class:`~edgecnn.tracking.Tracker` for the stable reading. Outputs, each optional: a window
(boxes, labels, the reading per row, FPS and latency; ``q``/Esc quits, ``c`` toggles the
crops panel), an annotated video written atomically, and one JSON line per frame. The run
ends on ``q``, Ctrl-C (or SIGTERM), end of file or ``max_frames``, always releasing the camera,
window and writer, and returns a :class:`Summary`. Headless without JSON, a line goes to stdout
whenever the stable reading changes.

The pieces it joins: frames from :mod:`edgecnn.capture` (or any frame source passed in), the window in
:mod:`edgecnn.window`, the HUD and boxes from :mod:`edgecnn.draw`, the saved video in :mod:`edgecnn.videoout`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

import numpy as np

# The tracker votes over frames, many views of each digit: a second look within a frame (edgecnn.lookagain, for
# photos) would add ~0.2 ms to a frame with an unsure digit and change nothing the tracker does not.
LOOK_AGAIN = False

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


def frame_record(frame, reading, stable, latency_ms: float) -> dict:
    """The JSON line for one frame."""
    return {"frame": frame.index, "time": round(frame.time, 4),
            "digits": [d.to_dict() for d in reading.digits],
            "raw": {"rows": reading.rows, "text": reading.text},
            "stable": stable.to_dict(), "latency_ms": round(latency_ms, 3)}


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
    from .draw import annotate, hud, mosaic
    from .tracking import Tracker
    from .videoout import VideoOut
    from .window import Window, display_available, opencv_has_gui

    out = out or sys.stdout
    if reader is None:
        from .reader import DigitReader

        reader = DigitReader(opts.model, threads=opts.threads, min_confidence=opts.min_confidence, look_again=LOOK_AGAIN)
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
