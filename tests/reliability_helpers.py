"""Shared checks for the reliability tests: how a command must fail."""

from __future__ import annotations

from typer.testing import CliRunner

from edgecnn.cli import app


def cli(*args, **kw):
    """Run ``edgecnn ARGS`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def assert_fails_cleanly(result, code: int, *needles: str) -> str:
    """Exit ``code``, no traceback, exactly one ``error:`` line on stderr, naming every needle; returns that line."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert "unexpected" not in errors[0], errors[0]  # a handled case, not the catch-all
    return errors[0]
