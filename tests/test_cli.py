"""The ``edgecnn`` group itself: --version, help as a newcomer reads it, one-line usage errors, completion."""

from __future__ import annotations

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
