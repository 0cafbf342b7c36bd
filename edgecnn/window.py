"""The live window of ``edgecnn webcam``: whether one can open here, showing frames, the keys (q/Esc quits, c toggles
the crops panel) and pacing a video file at its own speed. Never raises: without a display it turns itself off."""

from __future__ import annotations

import os
import sys
import time
from typing import Callable

import cv2
import numpy as np

WINDOW, CROPS = "edgecnn webcam", "edgecnn crops"
QUIT_KEYS = {ord("q"), ord("Q"), 27}
CROPS_KEYS = {ord("c"), ord("C")}


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
