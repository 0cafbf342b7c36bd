"""The machine misbehaves: unwritable folders, a full disk, Ctrl-C, no display, no camera — nothing lost, one line."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import cv2
import pytest

from edgecnn.errors import EdgeCNNError
from edgecnn.atomic import atomic_path, write_json
from reliability_helpers import assert_fails_cleanly, cli
from runtime_helpers import digits_image, tiny_onnx


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("onnx")
    return tiny_onnx(tmp_path_factory.mktemp("m") / "tiny.onnx")


@pytest.fixture
def photo(tmp_path):
    p = tmp_path / "in" / "digits.png"
    p.parent.mkdir()
    cv2.imwrite(str(p), digits_image((4, 2))[0])
    return p


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    frame = cv2.cvtColor(digits_image((6, 1))[0], cv2.COLOR_GRAY2BGR)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (frame.shape[1], frame.shape[0]))
    for _ in range(8):
        w.write(frame)
    w.release()
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


def full_disk(monkeypatch, after: int = 10):
    """Writes through Path.write_bytes fail with ENOSPC after ``after`` bytes reached the file."""
    real = Path.write_bytes

    def write_bytes(self, data):
        real(self, bytes(data)[:after])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


# ---------------------------------------------------------------------------- output folder not writable

def test_predict_save_under_a_file(tmp_path, model, photo):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a regular file where the folder should be")
    r = cli("predict", photo, "--model", model, "--save", blocker / "out", "--json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    doc = json.loads(r.stdout)
    assert "cannot write to" in doc["images"][0]["error"] and str(blocker) in doc["images"][0]["error"]


def test_export_out_under_a_file_fails_before_converting(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = tmp_path / "r"
    run.mkdir()
    (run / "model.keras").write_bytes(b"never loaded: the output folder is checked first")
    assert_fails_cleanly(cli("export", run, "--out", blocker / "m.onnx"), 1, "cannot write to", str(blocker))
    assert sorted(p.name for p in run.iterdir()) == ["model.keras"]


def test_evaluate_plot_under_a_file(tmp_path, model, mnist_npz):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    data = mnist_npz(0, 30)
    assert_fails_cleanly(cli("evaluate", model, "--data", data, "--plot", blocker / "plot.png"), 1, str(blocker))


def test_train_out_under_a_file(tmp_path, mnist_npz):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    data = mnist_npz(40, 10)
    r = cli("train", "--data", data, "--out", blocker / "run", "--epochs", "1", "--device", "cpu", "--limit", "40")
    assert_fails_cleanly(r, 1, "--out", str(blocker))


# ---------------------------------------------------------------------------- disk full

def test_disk_full_keeps_the_existing_output(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text('{"old": true}')
    full_disk(monkeypatch)
    with pytest.raises(EdgeCNNError, match="No space left") as e:
        write_json(target, {"new": list(range(1000))})
    assert str(target) in str(e.value)
    assert target.read_text() == '{"old": true}' and leftovers(tmp_path) == []


def test_disk_full_in_predict_save(tmp_path, model, photo, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "digits.annotated.png").write_bytes(b"previous result")
    full_disk(monkeypatch)
    r = cli("predict", photo, photo, "--model", model, "--save", out)
    assert r.exit_code == 1 and "Traceback" not in r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("No space left" in e for e in errors)
    assert (out / "digits.annotated.png").read_bytes() == b"previous result" and leftovers(out) == []


def test_disk_full_during_onnx_save(tmp_path, monkeypatch):
    onnx = pytest.importorskip("onnx")
    from edgecnn.export import exporter

    proto = onnx.load(str(tiny_onnx(tmp_path / "src.onnx")))
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the model from yesterday")

    def no_space(proto, path, *a, **k):
        Path(path).write_bytes(b"\x08\x07partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(onnx, "save", no_space)
    with pytest.raises(EdgeCNNError, match="No space left"):
        exporter.save(proto, target)
    assert target.read_bytes() == b"the model from yesterday" and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------- Ctrl-C

def test_ctrl_c_during_export_leaves_no_partial_file(tmp_path, monkeypatch):
    onnx = pytest.importorskip("onnx")
    from edgecnn.export import exporter

    proto = onnx.load(str(tiny_onnx(tmp_path / "src.onnx")))
    target = tmp_path / "out" / "model.onnx"

    def interrupted(proto, path, *a, **k):
        Path(path).write_bytes(b"\x08\x07half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporter.save(proto, target)
    assert not target.exists() and leftovers(tmp_path) == []


def test_ctrl_c_in_export_command_exits_130(tmp_path, monkeypatch):
    pytest.importorskip("tf2onnx")
    from edgecnn.export import exporter

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(exporter, "export_model", interrupted)
    run = tmp_path / "run"
    run.mkdir()
    r = cli("export", run)
    assert r.exit_code == 130 and "interrupted" in r.stderr and "Traceback" not in r.output
    assert list(run.iterdir()) == []


def test_atomic_path_on_ctrl_c_keeps_the_old_file(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"new but unfinished")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


class SpySource:
    """Stands in for FrameSource: yields frames of a photo, then Ctrl-C; records close()."""

    instances: list = []
    live = True  # a camera

    def __init__(self, source, width=None, height=None, **kw):
        from edgecnn.capture import Stats

        self.fps, self.stats, self.closed = 10.0, Stats(), False
        self.image = cv2.cvtColor(digits_image((3, 8))[0], cv2.COLOR_GRAY2BGR)
        SpySource.instances.append(self)

    def __iter__(self):
        from edgecnn.capture import Frame

        for i in range(3):
            yield Frame(i, i / 10, self.image)
        raise KeyboardInterrupt

    def close(self):
        self.closed = True


def test_ctrl_c_during_webcam_releases_the_camera(tmp_path, model, monkeypatch):
    import edgecnn.capture

    monkeypatch.setattr(edgecnn.capture, "FrameSource", SpySource)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    SpySource.instances.clear()
    save = tmp_path / "out.avi"
    r = cli("webcam", "--model", model, "--source", "0", "--save", save, "--json")
    assert r.exit_code == 0, r.output
    assert SpySource.instances and all(s.closed for s in SpySource.instances)
    assert len(r.stdout.strip().splitlines()) == 3 and "interrupted (Ctrl-C)" in r.stderr
    assert save.is_file() and save.stat().st_size > 0 and leftovers(tmp_path) == []


def test_webcam_crash_mid_run_releases_the_camera_and_drops_the_video(tmp_path, model, monkeypatch):
    import edgecnn.capture
    from edgecnn.reader import DigitReader

    monkeypatch.setattr(edgecnn.capture, "FrameSource", SpySource)
    calls = {"n": 0}
    real = DigitReader.read

    def flaky(self, image):
        calls["n"] += 1
        if calls["n"] == 2:
            raise EdgeCNNError("camera sent a broken frame")
        return real(self, image)

    monkeypatch.setattr(DigitReader, "read", flaky)
    SpySource.instances.clear()
    save = tmp_path / "out.avi"
    r = cli("webcam", "--model", model, "--no-show", "--save", save)
    assert_fails_cleanly(r, 1, "broken frame")
    assert all(s.closed for s in SpySource.instances) and not save.exists() and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------- no display, no camera

def test_webcam_without_display_runs_headless(video, model, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    r = cli("webcam", "--model", model, "--source", video, "--json")
    assert r.exit_code == 0, r.output
    assert "running headless" in r.stderr and len(r.stdout.strip().splitlines()) == 8


@pytest.mark.parametrize("source, message", [("7", "7"), ("missing.mp4", "no such file")])
def test_webcam_missing_camera_or_file(tmp_path, model, monkeypatch, source, message):
    monkeypatch.chdir(tmp_path)
    assert_fails_cleanly(cli("webcam", "--model", model, "--source", source, "--no-show"), 1, message)


def test_webcam_camera_busy(model, monkeypatch):
    """A camera that opens but delivers no frame (held by another program)."""

    class Busy:
        def __init__(self, *a, **k):
            pass

        def isOpened(self):
            return True

        def read(self):
            return False, None

        def grab(self):
            return False

        def retrieve(self):
            return False, None

        def get(self, prop):
            return 0.0

        def set(self, prop, value):
            return True

        def release(self):
            Busy.released = True

    Busy.released = False
    monkeypatch.setattr(cv2, "VideoCapture", Busy)
    import edgecnn.capture as capture

    monkeypatch.setattr(capture, "FIRST_FRAME_WAIT", 0.3, raising=False)
    r = cli("webcam", "--model", model, "--source", "0", "--no-show")
    assert_fails_cleanly(r, 1, "no frame")
    assert Busy.released


def test_stdout_closed_early_is_quiet(tmp_path, model, photo):
    """Issue 14 item 11: ``edgecnn predict ... | head -1`` ended in 'unexpected BrokenPipeError'."""
    import subprocess
    import sys

    files = [str(photo)] * 40
    proc = subprocess.Popen([sys.executable, "-m", "edgecnn", "predict", *files, "--model", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    first = proc.stdout.readline()
    proc.stdout.close()  # what head -1 does
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert str(photo).encode() in first
    assert proc.returncode == 141, (proc.returncode, err)
    assert "error" not in err and "Traceback" not in err and "Exception ignored" not in err, err


def test_control_characters_in_a_name_stay_on_one_line(tmp_path, model):
    """Issue 14 item 12: a newline in a file name split the error message (and could forge a line)."""
    p = tmp_path / "x\nerror: FAKE.png"
    p.write_bytes(b"not an image")
    r = cli("predict", p, "--model", model)
    line = assert_fails_cleanly(r, 1, "x\\nerror: FAKE.png", "not an image")
    assert r.stderr.count("\n") == sum(1 for _ in r.stderr.splitlines())  # nothing but whole lines
    assert not any(ln.startswith("error: FAKE") for ln in r.stderr.splitlines()), line


class _ShortWriter:
    """cv2.VideoWriter on a disk that fills up: it reports no error, and the file it leaves is cut short."""

    def __init__(self, path, *args):
        self.path, self.real = path, _REAL_WRITER(path, *args)

    def isOpened(self):
        return self.real.isOpened()

    def write(self, frame):
        self.real.write(frame)

    def release(self):
        self.real.release()
        data = Path(self.path).read_bytes()
        Path(self.path).write_bytes(data[: len(data) // 2])


_REAL_WRITER = cv2.VideoWriter


@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_webcam_save_on_a_full_disk_keeps_the_old_video(tmp_path, video, model, monkeypatch, ext):
    """Issue 14 item 1: on a full disk webcam --save exited 0, 'wrote' a video that did not open, and the old,
    good video was gone. The written file is checked (it opens, its frame count matches) before the rename."""
    save = tmp_path / f"v{ext}"
    r = cli("webcam", "--model", model, "--source", video, "--no-show", "--save", save, "--max-frames", "3")
    assert r.exit_code == 0, r.output
    old = save.read_bytes()
    monkeypatch.setattr(cv2, "VideoWriter", _ShortWriter)
    r = cli("webcam", "--model", model, "--source", video, "--no-show", "--save", save)
    assert_fails_cleanly(r, 1, str(save), "not saved", "unchanged")
    assert save.read_bytes() == old and leftovers(tmp_path) == []
    assert "wrote" not in r.output


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    """Issue 14 item 13: a SIGKILL between write and rename left a hidden .m.*.tmp.onnx behind for good."""
    import os
    import subprocess
    import sys
    import time

    target = tmp_path / "m.onnx"
    script = ("import os, sys\nfrom edgecnn.atomic import atomic_path\n"
              "with atomic_path(sys.argv[1]) as tmp:\n    tmp.write_bytes(b'half')\n    os.kill(os.getpid(), 9)\n")
    r = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, timeout=60)
    assert r.returncode == -9 and len(leftovers(tmp_path)) == 1  # what a kill leaves
    old_style = tmp_path / ".m.k2j4h5g6.tmp.onnx"  # a name from before process ids were in it, two hours old
    old_style.write_bytes(b"x")
    os.utime(old_style, (time.time() - 7200,) * 2)
    fresh_other = tmp_path / ".other.1.tmp.onnx"  # another target's: not ours to remove
    fresh_other.write_bytes(b"x")
    write_json(target, {"ok": 1})
    assert leftovers(tmp_path) == [fresh_other.name] and json.loads(target.read_text()) == {"ok": 1}


def test_sigterm_is_handled_like_ctrl_c(tmp_path, model, photo, monkeypatch):
    """Issue 14 item 13: SIGTERM printed nothing and skipped clean-up; now it unwinds like Ctrl-C (exit 130)."""
    import os
    import signal
    import time

    from edgecnn.reader import DigitReader

    before = signal.getsignal(signal.SIGTERM)

    def killed(self, image):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        raise AssertionError("SIGTERM was not delivered")

    monkeypatch.setattr(DigitReader, "read", killed)
    r = cli("predict", photo, "--model", model, "--save", tmp_path / "out")
    assert r.exit_code == 130 and "interrupted" in r.stderr and "Traceback" not in r.output
    assert leftovers(tmp_path) == [] and signal.getsignal(signal.SIGTERM) is before


def test_onnxruntime_telemetry_warning_cannot_reach_stderr(tmp_path):
    """Issue 14 item 12: with HOME not writable, onnxruntime printed a coloured 'Failed to persist telemetry device
    ID' warning on import. edgecnn opts out of its telemetry before onnxruntime is imported (the user may opt in)."""
    import subprocess
    import sys

    code = "import edgecnn, os, onnxruntime; print(os.environ['ORT_DISABLE_TELEMETRY'])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in __import__("os").environ.items() if k != "ORT_DISABLE_TELEMETRY"})
    assert r.stdout.strip() == "1" and "telemetry" not in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**__import__("os").environ, "ORT_DISABLE_TELEMETRY": "0"})
    assert r.stdout.strip() == "0"


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_output_that_is_a_pipe_or_folder_is_refused_before_any_work(tmp_path, kind):
    """An output path naming a FIFO (or a folder) was replaced by a regular file (or failed after the work)."""
    import os

    from edgecnn.atomic import check_writable

    target = tmp_path / "out.onnx"
    os.mkfifo(target) if kind == "fifo" else target.mkdir()
    with pytest.raises(EdgeCNNError, match="pipe" if kind == "fifo" else "folder"):
        check_writable(target)
    with pytest.raises(EdgeCNNError, match=str(target)):
        write_json(target, {"x": 1})
    assert (target.is_fifo() if kind == "fifo" else target.is_dir()) and leftovers(tmp_path) == []


def test_scratch_folders_of_a_killed_export_are_removed_by_the_next(tmp_path, monkeypatch):
    """Issue 14 item 13: a killed export left /tmp/edgecnn-export-* behind for good."""
    import tempfile

    from edgecnn.atomic import scratch_dir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "edgecnn-export-99999999-abc"  # no such process
    dead.mkdir()
    (dead / "fp32.onnx").write_bytes(b"half")
    other = tmp_path / "edgecnn-export-zzz"  # not ours by name: kept
    other.mkdir()
    with scratch_dir("edgecnn-export") as d:
        assert d.is_dir() and d.parent == tmp_path
        assert not dead.exists() and other.exists()
    assert not d.exists()
