"""Every command: an option out of range or contradicting another → exit 2, one line naming the option, no work done."""

from __future__ import annotations

import pytest

from reliability_helpers import assert_fails_cleanly, cli


@pytest.fixture(scope="module")
def small_data(mnist_npz):
    return mnist_npz(50, 20)


CASES = [
    # train
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "-3"], "--epochs"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--lr", "0"], "--lr"),
    (["train", "--val-split", "1"], "--val-split"),
    (["train", "--limit", "3"], "--limit"),
    (["train", "--arch", "resnet"], "--arch"),
    (["train", "--device", "tpu"], "--device"),
    (["train", "--resume", "RUN", "--epochs", "5"], "--resume"),
    # export
    (["export", "RUN", "--opset", "9"], "--opset"),
    (["export", "RUN", "--calibration-size", "0"], "--calibration-size"),
    (["export", "RUN", "--max-drop", "-1"], "--max-drop"),
    (["export", "RUN", "--calibrate", "magic"], "--calibrate"),
    # predict
    (["predict", "IMG", "--min-confidence", "-0.1"], "--min-confidence"),
    (["predict", "IMG", "--min-confidence", "1.01"], "--min-confidence"),
    (["predict", "IMG", "--threads", "0"], "--threads"),
    (["predict", "IMG", "--threads", "100000"], "--threads"),  # crashed onnxruntime with SIGSEGV
    (["predict", "IMG", "--device", "tpu"], "--device"),
    (["predict", "IMG", "--save-crops"], "--save-crops"),
    # webcam
    (["webcam", "--min-confidence", "2"], "--min-confidence"),
    (["webcam", "--threads", "0"], "--threads"),
    (["webcam", "--threads", "2000"], "--threads"),
    (["webcam", "--max-frames", "0"], "--max-frames"),
    (["webcam", "--width", "8", "--height", "8"], "--width"),
    (["webcam", "--width", "640"], "--width and --height"),
    (["webcam", "--source", " "], "--source"),
    (["webcam", "--save", "out.txt"], "--save"),
    # evaluate
    (["evaluate", "MODEL", "--threads", "0"], "--threads"),
    (["evaluate", "MODEL", "--threads", "100000"], "--threads"),
    (["evaluate", "MODEL", "--plot", "plot.jpg"], "--plot"),
    # bench
    (["bench", "--threads", "0"], "--threads"),
    (["bench", "--seconds", "0"], "--seconds"),
    (["bench", "--batch", "0"], "--batch"),
    (["bench", "--batch", "1,x"], "--batch"),
    (["bench", "--model", "missing.onnx"], "--model"),
]


@pytest.mark.parametrize("args, option", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_out_of_range_exit_2(tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "IMG").write_bytes(b"")
    (tmp_path / "MODEL").write_bytes(b"")
    (tmp_path / "RUN").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_fails_cleanly(cli(*args), 2, option)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_calibration_larger_than_the_data(tmp_path, small_data):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_bytes(b"checked after the options")
    r = cli("export", run, "--quantize", "--calibration-size", "51", "--data", small_data)
    assert_fails_cleanly(r, 2, "--calibration-size", "50")
    assert sorted(p.name for p in run.iterdir()) == ["model.keras"]


def test_typer_type_errors_are_usage_errors(tmp_path):
    r = cli("predict", tmp_path, "--threads", "many")
    assert r.exit_code == 2 and "Traceback" not in r.output and "--threads" in r.stderr
