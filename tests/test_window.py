"""The webcam window: falls back to headless, shows the keys, places the crops beside it, paces a file."""

from __future__ import annotations

import time

import cv2
import numpy as np

from edgecnn import window


def test_window_falls_back_to_headless(monkeypatch):
    """A display that fails at imshow turns the window off with one warning instead of crashing."""
    def broken(*_):
        raise cv2.error("no display")

    monkeypatch.setattr(window.cv2, "namedWindow", lambda *a: None)
    monkeypatch.setattr(window.cv2, "imshow", broken)
    said = []
    w = window.Window(True, said.append)
    assert w.show(np.zeros((10, 10, 3), np.uint8), lambda: None) is None
    assert not w.enabled and "headless" in said[0]


class FakeGui:
    """cv2's window calls, recorded."""

    def __init__(self, monkeypatch):
        self.shown, self.waits, self.moves = [], [], {}
        monkeypatch.setattr(window.cv2, "namedWindow", lambda *a: None)
        monkeypatch.setattr(window.cv2, "imshow", lambda name, img: self.shown.append((name, img.copy())))
        monkeypatch.setattr(window.cv2, "waitKey", lambda ms: self.waits.append(ms) or -1)
        monkeypatch.setattr(window.cv2, "moveWindow", lambda name, x, y: self.moves.__setitem__(name, (x, y)))
        monkeypatch.setattr(window.cv2, "getWindowProperty", lambda *a: 1.0)
        monkeypatch.setattr(window.cv2, "destroyWindow", lambda *a: None)


def test_window_shows_the_keys_and_places_crops_beside_it(monkeypatch):
    gui = FakeGui(monkeypatch)
    w = window.Window(True, lambda m: None)
    frame = np.full((480, 640, 3), 128, np.uint8)
    w.show(frame, lambda: np.zeros((20, 20, 3), np.uint8))
    name, shown = gui.shown[0]
    assert name == window.WINDOW and (frame == 128).all()  # the hint is on the window's copy only
    assert (shown[:20, -150:] != 128).any() and (shown[200:] == 128).all()
    w.crops = True
    w.show(frame, lambda: np.zeros((20, 20, 3), np.uint8))
    assert gui.moves[window.CROPS][0] >= 640 and gui.moves[window.WINDOW] == (0, 0)


def test_a_video_file_plays_at_its_own_speed(monkeypatch):
    gui = FakeGui(monkeypatch)
    frame = np.zeros((48, 64, 3), np.uint8)
    paced = window.Window(True, lambda m: None, pace_fps=25)
    for _ in range(5):
        paced.show(frame, lambda: frame)
        time.sleep(gui.waits[-1] / 1000)  # what waitKey would have waited
    assert gui.waits[0] == 1 and all(30 <= ms <= 40 for ms in gui.waits[1:]), gui.waits
    gui.waits.clear()
    camera = window.Window(True, lambda m: None)  # a camera: no pacing
    camera.show(frame, lambda: frame)
    assert gui.waits == [1]
