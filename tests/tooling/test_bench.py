"""`edgecnn bench --quick`: every JSON field present; evaluate/bench import no TensorFlow (the floor: test_floor.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from runtime_helpers import tiny_onnx

pytest.importorskip("onnx")  # only to write the test model


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    return tiny_onnx(d / "a.onnx"), tiny_onnx(d / "b.onnx")


def test_quick_bench_json_has_every_field(models):
    from typer.testing import CliRunner

    from edgecnn.cli import app

    r = CliRunner().invoke(app, ["bench", "--model", str(models[0]), "--model", str(models[1]),
                                 "--batch", "1,4", "--quick", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"machine", "settings", "models", "floor", "results", "cold_start", "memory", "frames", "speedups", "targets"}
    assert out["settings"]["quick"] is True and out["settings"]["batches"] == [1, 4]
    assert out["floor"]["macs_per_image"] == 784 * 10
    for key in ("peak_fp32_gmacs", "peak_int8_gmacs", "floor_us_per_image", "floor_int8_us_per_image"):
        assert out["floor"][key] > 0
    assert len(out["results"]) == 4  # two models × two batch sizes, names made unique
    assert len({x["runtime"] for x in out["results"]}) == 2
    for x in out["results"]:
        for key in ("p50_ms", "p90_ms", "p99_ms", "throughput_ips", "us_per_image", "x_floor", "calls"):
            assert x[key] > 0, key
        assert x["p50_ms"] <= x["p90_ms"] <= x["p99_ms"]
    assert all(m["bytes"] > 0 for m in out["models"])
    assert all(c["cold_start_ms"] > 0 for c in out["cold_start"])
    assert all(m["rss_mb"] > 0 and m["imports_tensorflow"] is False for m in out["memory"])
    # each model, the straightforward pipeline with the (int8 or first) model, and that model on a blank frame
    assert len(out["frames"]) == 4
    for f in out["frames"]:
        assert f["median_ms"] > 0 and f["p95_ms"] >= f["median_ms"] * 0.5
    *models, base, blank = out["frames"]
    assert all(f["digits_true"] == 6 for f in models) and base["runtime"].startswith("straightforward")
    assert base["digits_found"] == 6  # a clean photo: the tutorial pipeline finds its digits too
    assert blank["runtime"].startswith("blank frame") and blank["digits_found"] == blank["digits_true"] == 0
    frame_targets = {t["target"]: t for t in out["targets"] if "frame" in t["target"]}
    assert len(frame_targets) == 3 and all(t["value"] > 0 for t in frame_targets.values())
    assert "int8_vs_fp32_throughput_batch1" in out["speedups"] and "int8_vs_fp32_p50_batch4" in out["speedups"]
    assert {t["target"] for t in out["targets"]} >= {"int8 vs fp32 throughput, batch 64", "cold start ms (worst model)"}


def test_percentiles():
    from edgecnn.tooling.bench import percentiles

    p = percentiles([0.001] * 99 + [0.1], batch=10)
    assert p["p50_ms"] == pytest.approx(1.0) and p["p99_ms"] > 1.0 and p["calls"] == 100


@pytest.mark.parametrize("args, code", [(["--batch", "0"], 2), (["--batch", "a,b"], 2), (["--threads", "0"], 2),
                                        (["--model", "/nonexistent.onnx"], 2)])
def test_bad_options(args, code):
    from typer.testing import CliRunner

    from edgecnn.cli import app

    r = CliRunner().invoke(app, ["bench", "--quick", *args])
    assert r.exit_code == code and "Traceback" not in r.output


SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from typer.testing import CliRunner
from edgecnn.cli import app
from edgecnn.tooling.mnist import write_idx
import numpy as np
write_idx(sys.argv[2] + "/t10k-images-idx3-ubyte", np.zeros((5, 28, 28), np.uint8))
write_idx(sys.argv[2] + "/t10k-labels-idx1-ubyte", np.zeros(5, np.uint8))
codes = [CliRunner().invoke(app, ["evaluate", sys.argv[1], "--data", sys.argv[2], "--plot", sys.argv[2] + "/p.png"]).exit_code,
         CliRunner().invoke(app, ["bench", "--model", sys.argv[1], "--quick", "--batch", "2", "--no-frames", "--json"]).exit_code]
# matplotlib may draw evaluate's --plot figure (when the [train] extra installed it); TensorFlow never loads
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx"))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_evaluate_and_bench_on_onnx_import_no_tensorflow(models, tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(models[0]), str(tmp_path)], capture_output=True, text=True, timeout=180)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"codes": [0, 0], "heavy": []}, out.stderr[-2000:]
