"""What every command shares: the stderr console, one-line errors, exit codes."""

from __future__ import annotations

import functools
import json
import sys
import traceback

import typer

from ..errors import EdgeCNNError

STATE = {"debug": False}


def say(message: str) -> None:
    """A diagnostic line on stderr (stdout is kept for results and --json)."""
    typer.echo(message, err=True)


def print_json(obj) -> None:
    """The one JSON document a --json command writes to stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()


def guarded(fn):
    """Turn user errors into one line on stderr and an exit code; never a traceback (unless --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except EdgeCNNError as e:
            if STATE["debug"]:
                traceback.print_exc()
            say(f"error: {e}")
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            say("interrupted")
            raise typer.Exit(130) from None
        except Exception as e:  # a bug or an unforeseen environment problem: still one line
            if STATE["debug"]:
                traceback.print_exc()
            detail = str(e).strip().splitlines()[0] if str(e).strip() else ""
            say(f"error: unexpected {type(e).__name__}{': ' + detail if detail else ''} (rerun with --debug for details)")
            raise typer.Exit(1) from None

    return wrapper


def check_range(name: str, value, low=None, high=None) -> None:
    """Raise a usage error (exit 2) when an option is outside [low, high]."""
    from ..errors import UsageError

    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"≥ {low}" if high is None else f"between {low} and {high}" if low is not None else f"≤ {high}"
        raise UsageError(f"{name} must be {bounds} (got {value})")
