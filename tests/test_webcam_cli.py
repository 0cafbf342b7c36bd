"""`edgecnn webcam`, headless, on a generated video: JSON lines against the ground truth, --save, --max-frames, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from webcam_helpers import make_video, reading_model

FRAMES = 90


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from edgecnn.models import DEFAULT_INT8

    if not DEFAULT_INT8.is_file():
        pytest.importorskip("onnx")  # to write the fallback model
    return str(reading_model(tmp_path_factory.mktemp("model")))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    return path, make_video(path, count=FRAMES)


def cli(*args):
    return CliRunner().invoke(app, ["webcam", *map(str, args)])


def test_json_lines_match_the_truth(clip, model):
    """The real command in a fresh process: stdout is JSON lines only, ≥ 95 % of frames read right, stable at the end."""
    path, truth = clip
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = subprocess.run([sys.executable, "-m", "edgecnn", "webcam", "--source", str(path), "--model", model, "--json"],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]  # every stdout line is JSON
    assert [r["frame"] for r in lines] == list(range(FRAMES))
    first = lines[0]
    assert set(first) >= {"frame", "time", "digits", "raw", "stable"}
    assert set(first["digits"][0]) >= {"label", "confidence", "box"}
    right = sum(r["raw"]["rows"] == t["rows"] for r, t in zip(lines, truth["frames"]))
    assert right >= 0.95 * FRAMES, f"{right}/{FRAMES} frames read right"
    assert all(r["stable"]["rows"] == truth["rows"] for r in lines[-10:])
    assert any(t["blank"] for t in truth["frames"]) and all(r["raw"]["rows"] == [] for r, t in zip(lines, truth["frames"]) if t["blank"])
    assert f"{FRAMES} frames" in out.stderr and "p95" in out.stderr and "stopped: end of file" in out.stderr
    assert "headless" in out.stderr and "Traceback" not in out.stderr


def test_save_writes_a_playable_video_and_max_frames_stops(clip, model, tmp_path):
    path, _ = clip
    target = tmp_path / "out" / "annotated.mp4"
    r = cli("--source", path, "--model", model, "--no-show", "--save", target, "--max-frames", 25, "--json")
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == 25 and "stopped: max frames" in r.stderr
    cap = cv2.VideoCapture(str(target))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 25
    assert sorted(p.name for p in target.parent.iterdir()) == ["annotated.mp4"]  # no temporary file left


def test_existing_output_survives_a_failed_run(model, tmp_path):
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"old")
    r = cli("--source", tmp_path / "missing.mp4", "--model", model, "--no-show", "--save", target)
    assert r.exit_code == 1 and target.read_bytes() == b"old"


def test_camera_unavailable_is_one_clear_line(model):
    r = cli("--source", 7, "--model", model, "--no-show")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "camera 7" in lines[0] and "--source" in lines[0], r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args, code, words", [
    (["--min-confidence", "1.5"], 2, "--min-confidence"),
    (["--threads", "0"], 2, "--threads"),
    (["--max-frames", "0"], 2, "--max-frames"),
    (["--width", "640"], 2, "--width and --height"),
    (["--save", "out.txt"], 2, ".mp4"),
    (["--source", "nope.mp4"], 1, "no such file"),
])
def test_bad_options(args, code, words, model):
    r = cli("--model", model, "--no-show", *args)
    assert r.exit_code == code and words in r.stderr and "Traceback" not in r.output


SCRIPT = r"""
import json, sys
from typer.testing import CliRunner
from edgecnn.cli import app
r = CliRunner().invoke(app, ["webcam", "--source", sys.argv[1], "--model", sys.argv[2], "--no-show", "--max-frames", "3"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tf2onnx", "onnx", "keras"))
print(json.dumps({"exit": r.exit_code, "heavy": heavy}))
"""


def test_webcam_imports_no_training_stack(clip, model):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(clip[0]), model], capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"exit": 0, "heavy": []}, out.stderr


def test_interrupt_ends_cleanly_and_keeps_the_video(clip, model, tmp_path, sig="SIGINT"):
    """Ctrl-C mid-stream: summary, exit 0, the camera released and the video so far written."""
    import signal
    import time

    target = tmp_path / "cut.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "edgecnn", "webcam", "--source", str(clip[0]), "--model", model,
                             "--no-show", "--json", "--save", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()
    time.sleep(0.3)  # a few frames in
    proc.send_signal(getattr(signal, sig))
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped: interrupted" in err and "Traceback" not in err
    n_json = 1 + len(rest.splitlines())
    cap = cv2.VideoCapture(str(target))
    n = 0
    while cap.read()[0]:
        n += 1
    assert 1 <= n_json < FRAMES and n in (n_json - 1, n_json)  # the signal may fall between the JSON line and the video frame
    assert [p.name for p in tmp_path.iterdir()] == ["cut.mp4"]


def test_sigterm_stops_like_ctrl_c():
    import signal

    from edgecnn.webcam import _stop_on_sigterm

    before = signal.getsignal(signal.SIGTERM)
    restore = _stop_on_sigterm()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs between bytecodes
                pass
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is before


def test_headless_opencv_is_named_not_the_display(monkeypatch, clip, model):
    from edgecnn import window

    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(window, "opencv_has_gui", lambda: False)
    r = cli("--source", clip[0], "--model", model, "--max-frames", 2)
    assert r.exit_code == 0, r.output
    assert "opencv-python" in r.stderr and "DISPLAY" not in r.stderr


def test_run_takes_a_frame_source_of_its_own():
    """The seam: any iterable of Frames with live/fps/stats/close() feeds the loop (here: generated pages)."""
    import io

    from edgecnn.capture import Frame, Stats
    from edgecnn.webcam import Options, run
    from runtime_helpers import digits_image

    class Pages:
        live, fps = False, 10.0

        def __init__(self):
            self.stats, self.closed = Stats(), False

        def __iter__(self):
            for i, labels in enumerate([(3, 1, 4), (1, 5)]):
                img, _, _ = digits_image(labels, seed=i)
                yield Frame(i, i / self.fps, cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))

        def close(self):
            self.closed = True

    pages, out = Pages(), io.StringIO()
    summary = run(Options(show=False, json=True), out=out, say=lambda m: None, source=pages)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert summary.frames == 2 and pages.closed
    assert [x["raw"]["rows"] for x in lines] == [["314"], ["15"]]
