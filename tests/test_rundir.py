"""RunDir: a run's file names and I/O in one place, light enough for the runtime side (no TensorFlow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from edgecnn.errors import EdgeCNNError, SettingError
from edgecnn.rundir import RunDir
from edgecnn.settings import check_choice, check_range


def test_names_and_new_run_dirs(tmp_path):
    run = RunDir.new("edge", tmp_path)
    assert run.path == tmp_path / "edge" and not run.is_dir()
    run.create()
    assert RunDir.new("edge", tmp_path).path == tmp_path / "edge-2"
    assert (run.model.name, run.last.name, run.state.name, run.onnx.name) == ("model.keras", "last.keras", "state.json", "model.onnx")
    assert not run.holds_run()
    run.model.write_bytes(b"")
    assert run.holds_run() and not run.is_complete()


def test_json_reading_and_atomic_writes(tmp_path):
    run = RunDir(tmp_path)
    assert run.read_json(RunDir.METRICS) == {} and run.read_json(RunDir.HISTORY, []) == []
    run.write_json(RunDir.METRICS, {"complete": True})
    assert run.is_complete() and run.load_json(RunDir.METRICS, "") == {"complete": True}
    run.history.write_text("[1, 2")  # damaged: tolerated where optional, an error where needed
    assert run.read_json(RunDir.HISTORY, []) == []
    with pytest.raises(EdgeCNNError, match="history.json: unreadable"):
        run.load_json(RunDir.HISTORY, "")
    with pytest.raises(EdgeCNNError, match="no state.json; nothing to resume"):
        run.load_json(RunDir.STATE, "nothing to resume")
    with pytest.raises(EdgeCNNError, match="run directory has no model.keras"):
        run.trained_model()
    with pytest.raises(KeyboardInterrupt), run.atomic(RunDir.CONFIG) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "metrics.json"]
    assert json.loads(run.metrics.read_text()) == {"complete": True}


def test_setting_errors_speak_of_settings_and_the_cli_of_flags():
    with pytest.raises(SettingError) as e:
        check_range("max_drop", -1, 0)
    assert str(e.value) == "max_drop must be ≥ 0 (got -1)" and e.value.for_cli() == "--max-drop must be ≥ 0 (got -1)"
    with pytest.raises(SettingError, match=r"^device must be one of auto, cpu, gpu \(got 'tpu'\)$"):
        check_choice("device", "tpu", ("auto", "cpu", "gpu"))
    for bad in (float("nan"), True, "3"):
        with pytest.raises(SettingError):
            check_range("opset", bad, 13, 18)
    err = SettingError("out", "{out} x already holds a run; choose another {setting} (or {resume} x)", also=("out", "resume"))
    assert err.for_cli() == "--out x already holds a run; choose another --out (or --resume x)"


def test_light():
    code = ("import sys, edgecnn.rundir, edgecnn.settings, edgecnn.export.config, edgecnn.train.config; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'onnx', 'tf2onnx', 'onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
