"""The ``edgecnn`` group itself: --version, help as a newcomer reads it, one-line usage errors, completion."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from edgecnn import __version__
from edgecnn.cli import app

COMMANDS = ("train", "export", "predict", "webcam", "evaluate", "bench")


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)])


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    r = cli(flag)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"edgecnn {__version__}"


def test_version_in_a_fresh_process():
    out = subprocess.run([sys.executable, "-m", "edgecnn", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"edgecnn {__version__}", out.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_flags_without_a_value_type(command):
    r = cli(command, "--help")
    assert r.exit_code == 0, r.output
    assert "<bool>" not in r.stdout and "--json" in r.stdout
    assert "the preset's" not in r.stdout


def test_help_lists_choices_ranges_and_real_defaults():
    from edgecnn.train.presets import PRESETS

    train = cli("train", "-h").stdout
    assert "<auto|cpu|gpu>" in train and "<int≥1>" in train
    assert f"edge {PRESETS['edge'].epochs}" in " ".join(train.replace("│", " ").split())
    assert "<auto|cpu|gpu>" in cli("predict", "-h").stdout
    export = " ".join(cli("export", "-h").stdout.replace("│", " ").split())
    assert "<int 13–18>" in export and "minmax, entropy or percentile" in export


@pytest.mark.parametrize("args", [["predict", "x.png", "--json", "true"], ["bench", "--json", "true"]])
def test_a_value_after_a_flag_is_a_usage_error(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert r.exit_code == 2, r.output
    assert "take no value" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, option", [
    (["predict", "x.png", "--device", "tpu"], "--device"),
    (["train", "--arch", "resnet"], "--arch"),
    (["webcam", "--width", "8", "--height", "8"], "--width"),
])
def test_choice_and_range_errors_are_one_line(args, option):
    r = cli(*args)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and option in lines[0], r.stderr
    assert "╭" not in r.stderr


def test_no_command_shows_help_and_exits_2():
    r = cli()
    assert r.exit_code == 2 and "Commands" in r.stdout and "error" not in r.stderr


def test_bash_completion_lists_choices():
    env = {**os.environ, "_EDGECNN_COMPLETE": "complete_bash", "COMP_WORDS": "edgecnn train --device ", "COMP_CWORD": "3"}
    code = "import sys; sys.argv[0] = 'edgecnn'; from edgecnn.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.split() == ["auto", "cpu", "gpu"], out.stderr


def _options(command: str) -> dict[str, object]:
    """Each option's names → its parameter, from the click command typer builds."""
    import typer

    group = typer.main.get_command(app)
    ctx = group.make_context("edgecnn", [command, "--help"], resilient_parsing=True)
    cmd = group.get_command(ctx, command)
    return {name: p for p in cmd.params for name in (*p.opts, *p.secondary_opts)}


def test_one_option_vocabulary():
    """The same words mean the same things in every command (README: "Commands")."""
    for command in ("predict", "webcam", "evaluate", "bench"):
        assert {"--model", "-m", "--threads", "--json"} <= set(_options(command)), command
    for command in ("train", "predict", "webcam", "evaluate"):
        choices = tuple(_options(command)["--device"].type_descriptor.choices)
        assert choices == ("auto", "cpu", "gpu"), (command, choices)
    for command, long in (("train", "--out"), ("export", "--out"), ("predict", "--save"), ("webcam", "--save"),
                          ("evaluate", "--plot")):
        opts = _options(command)
        assert opts["-o"] is opts[long], command


@pytest.mark.parametrize("args", [["predict", "x.png"], ["webcam", "--no-show"], ["evaluate"]])
def test_device_gpu_without_cuda_is_an_error(args):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    r = cli(*args, "--device", "gpu")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--device gpu" in lines[0] and "--device cpu" in lines[0], r.stderr


def test_evaluate_defaults_to_the_bundled_model():
    from edgecnn.models import DEFAULT_INT8

    if not DEFAULT_INT8.is_file():
        pytest.skip("no bundled model")
    r = cli("evaluate", "--json")
    assert r.exit_code == 0, r.output
    import json

    doc = json.loads(r.stdout)
    assert doc["model"].endswith("edge.int8.onnx") and doc["count"] == 10000 and doc["accuracy"] > 0.99
    assert cli("evaluate", DEFAULT_INT8, "-m", DEFAULT_INT8).exit_code == 2
