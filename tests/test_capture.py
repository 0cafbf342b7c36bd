"""Frame sources: files in order, live sources keep only the newest frame, bad frames skipped, clear errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edgecnn import capture, sources
from edgecnn.capture import FrameSource
from edgecnn.errors import EdgeCNNError
from edgecnn.sources import is_live, parse_source
from webcam_helpers import make_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "clip.mp4"
    make_video(path, count=40)
    return path


def test_parse_source():
    assert parse_source("0") == 0 and parse_source(" 2 ") == 2 and parse_source(3) == 3
    assert parse_source("clip.mp4") == "clip.mp4" and is_live("rtsp://cam/1") and not is_live("a.mp4")


def test_file_every_frame_in_order(video):
    with FrameSource(str(video)) as src:
        frames = [(f.index, f.time, f.image.shape) for f in src]
    assert [i for i, _, _ in frames] == list(range(40))
    assert frames[1][1] == pytest.approx(1 / 30)
    assert {s for _, _, s in frames} == {(480, 640, 3)}
    assert src.stats.ended == "end of file" and src.stats.skipped == 0 and src._cap is None


def test_resize(video):
    with FrameSource(str(video), width=320, height=240) as src:
        assert next(iter(src)).image.shape == (240, 320, 3)


def test_live_takes_the_newest_frame(video):
    """A slow consumer of a live source skips frames instead of building a backlog."""
    with FrameSource(str(video), live=True) as src:
        seen = []
        for f in src:
            seen.append(f.index)
            time.sleep(0.03)
    assert seen == sorted(set(seen)) and len(seen) < 40
    assert src.stats.dropped > 0 and src.stats.read == len(seen)
    assert not src._thread.is_alive() and src._cap is None


def test_close_early_releases(video):
    src = FrameSource(str(video), live=True)
    next(iter(src))
    src.close()
    src.close()
    assert src._cap is None and not src._thread.is_alive()


class FakeCap:
    """A camera that delivers a good frame, an empty one, a None, a good one, then fails for good."""

    script = ["good", "empty", "none", "good"]

    def __init__(self, *_):
        self.calls = 0
        self.released = False

    def isOpened(self):
        return True

    def set(self, *_):
        return True

    def get(self, *_):
        return 30.0

    def read(self):
        i, self.calls = self.calls, self.calls + 1
        kind = self.script[i] if i < len(self.script) else "fail"
        if kind == "good":
            return True, np.full((48, 64, 3), 200, np.uint8)
        if kind == "empty":
            return True, np.zeros((0, 0, 3), np.uint8)
        if kind == "none":
            return True, None
        return False, None

    def release(self):
        self.released = True


def test_bad_frames_skipped_and_failures_end_the_stream(monkeypatch):
    monkeypatch.setattr(capture.cv2, "VideoCapture", FakeCap)
    monkeypatch.setattr(capture, "RETRY_WAIT", 0.001)
    src = FrameSource("0")
    cap = src._cap
    frames = list(src)
    src.close()
    assert 1 <= len(frames) <= 2  # live: the second good frame may replace the first before it is taken
    assert src.stats.skipped == 2 and src.stats.ended == "read failed" and src.stats.failed_reads == capture.RETRIES
    assert cap.released


def test_missing_camera_is_one_clear_line():
    with pytest.raises(EdgeCNNError) as e:
        FrameSource("7")
    msg = str(e.value)
    assert "camera 7" in msg and "--source" in msg and "\n" not in msg


@pytest.mark.parametrize("content, expect", [(None, "no such file"), (b"not a video at all" * 100, "cannot open")])
def test_unopenable_file(tmp_path, content, expect):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EdgeCNNError, match=expect):
        FrameSource(str(path))


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_pipe_or_device_source_refused_before_opening(tmp_path, kind):
    """Issue 14 item 3: FFmpeg blocked forever opening a FIFO given as --source; refuse unopened."""
    import os

    if kind == "fifo":
        special = tmp_path / "pipe.mp4"
        os.mkfifo(special)
    else:
        special = "/dev/zero"
    t0 = time.monotonic()
    with pytest.raises(EdgeCNNError, match="only regular files") as e:
        FrameSource(str(special))
    assert str(special) in str(e.value) and time.monotonic() - t0 < 2


@pytest.mark.parametrize("text, code, needle", [
    ("²", 1, "no such file"),                      # str.isdigit() said yes, int() said no: 'unexpected ValueError'
    ("٣", 1, "no such file"),                      # an Arabic-Indic 3 is a name, not camera 3
    ("99999999999999999999", 2, "out of range"),   # overflowed inside OpenCV: 'unexpected error'
    ("x" * 5000, 1, "File name too long"),         # 'unexpected OSError'
])
def test_odd_sources_are_one_clear_line(text, code, needle):
    """Issue 14 item 11: camera indices and names that gave 'unexpected ...' instead of a line naming them."""
    with pytest.raises(EdgeCNNError, match=needle) as e:
        FrameSource(text)
    assert e.value.exit_code == code and text[:20] in str(e.value)


def test_source_without_a_single_frame_is_an_error(tmp_path):
    """Issue 14 item 14: random bytes as --source exited 0 ('0 frames ... stopped: end of file') after a dozen
    FFmpeg lines; a source that yields no frame is exit 1 with one line naming it, and FFmpeg stays quiet."""
    import subprocess
    import sys

    p = tmp_path / "random_bytes.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0" + np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(EdgeCNNError, match="no frame could be read") as e:
        with FrameSource(str(p)) as src:
            list(src)
    assert str(p) in str(e.value)
    pytest.importorskip("onnx")
    from runtime_helpers import tiny_onnx

    model = tiny_onnx(tmp_path / "tiny.onnx")
    r = subprocess.run([sys.executable, "-m", "edgecnn", "webcam", "--source", str(p), "--no-show", "--model", str(model)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and str(p) in lines[0] and "@ 0x" not in r.stderr, r.stderr


def test_frames_over_the_image_limit_refused_before_reading(video, monkeypatch):
    """Issue 14 item 5: a 12000² MJPEG video as --source took 2.1 GB; frames are held to the image limits."""
    monkeypatch.setattr(sources, "MAX_FRAME_PIXELS", 640 * 480 - 1)
    reads = []
    monkeypatch.setattr(FrameSource, "_read_one", lambda self: reads.append(1) or False)
    with pytest.raises(EdgeCNNError, match="too large") as e:
        FrameSource(str(video))
    assert str(video) in str(e.value) and "640×480" in str(e.value) and not reads


def test_still_image_source_over_the_limit_refused_before_decoding(tmp_path, monkeypatch):
    """Issue 14 item 5: a 16000² PNG as --source took 1.6 GB in FFmpeg."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    p = tmp_path / "huge.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16000, 16000, 8, 2, 0, 0, 0))
                  + chunk(b"IEND", b""))
    monkeypatch.setattr(capture.cv2, "VideoCapture", lambda *a: pytest.fail("opened an image over the limit"))
    with pytest.raises(EdgeCNNError, match="too large"):
        FrameSource(str(p))


def test_frames_that_grow_past_the_limit_mid_stream_end_with_an_error(tmp_path, monkeypatch):
    """A stream whose container does not state a size (or lies about it) is checked frame by frame."""

    class GrowingCapture:
        def __init__(self, *a):
            self.n = 0

        def isOpened(self):
            return True

        def get(self, prop):
            return 0

        def set(self, *a):
            return True

        def read(self):
            self.n += 1
            side = 100 if self.n < 3 else 2000
            return True, np.zeros((side, side, 3), np.uint8)

        def release(self):
            pass

    p = tmp_path / "stream.mp4"
    p.write_bytes(b"\0" * 64)
    monkeypatch.setattr(sources, "MAX_FRAME_PIXELS", 1_000_000)
    monkeypatch.setattr(capture.cv2, "VideoCapture", GrowingCapture)
    with pytest.raises(EdgeCNNError, match="frames of 2000×2000 are too large") as e:
        with FrameSource(str(p)) as src:
            frames = []
            for f in src:
                frames.append(f)
    assert str(p) in str(e.value) and len(frames) == 2
