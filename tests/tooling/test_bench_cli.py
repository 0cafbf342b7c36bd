"""`edgecnn bench` as a person reads it: fits 80 columns, speaks of the product, --check fails the run on a missed target."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app


@pytest.fixture(scope="module")
def doc():
    """A real --quick result for the bundled models (frames on, so every table is there)."""
    from edgecnn.models import DEFAULT_INT8

    if not DEFAULT_INT8.is_file():
        pytest.skip("no bundled model")
    r = CliRunner().invoke(app, ["bench", "--quick", "--batch", "1,64", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_report_fits_80_columns_and_names_no_issue(doc, capsys):
    from edgecnn.cli.bench import report

    report(doc)
    out = capsys.readouterr().out
    assert "targets" in out and "int8 vs fp32" in out and "frame pipeline" in out
    assert out.splitlines()[1].startswith("instruction set: ")  # the host, under its CPU's name
    wide = [line for line in out.splitlines() if len(line.rstrip()) > 80]
    assert wide == []
    assert "issue" not in out.lower()
    assert "int8_vs_fp32" not in out  # ratios as a table, not JSON keys


def test_json_names_the_host_cpu_and_instruction_set(doc):
    from edgecnn.cpuinfo import cpu_info

    m = doc["machine"]
    assert m["cpu"] == cpu_info()["model"] and m["cpu"]
    assert m["isa"] == cpu_info()["isa"] and isinstance(m["isa_text"], str)


@pytest.mark.parametrize("met, code", [([True, None, True], 0), ([True, False, None], 1)])
def test_check_exits_1_when_a_target_fails(doc, monkeypatch, met, code):
    from edgecnn.tooling import bench

    fake = dict(doc, targets=[{"target": f"t{i}", "value": 1.0, "want": "<= 2", "met": m} for i, m in enumerate(met)])
    monkeypatch.setattr(bench, "run", lambda *a, **k: fake)
    r = CliRunner().invoke(app, ["bench", "--quick", "--check"])
    assert r.exit_code == code, r.output
    assert ("not met: t1" in r.stderr) if code else ("every measured target met" in r.stderr)
    plain = CliRunner().invoke(app, ["bench", "--quick"])
    assert plain.exit_code == 0  # without --check a missed target is reported, not fatal
