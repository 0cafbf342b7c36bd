"""What every command shares: the stderr console, one-line errors, exit codes."""

from __future__ import annotations

import functools
import json
import sys
import traceback

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import EdgeCNNError

STATE = {"debug": False}

BOOL_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def _plain_flags(params: list) -> list:
    """Flags take no value, so help shows ``--json``, not ``--json <bool>``."""
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
    return params


class Command(TyperCommand):
    """Every subcommand: flags shown without a value type."""

    def get_params(self, ctx):
        return _plain_flags(super().get_params(ctx))


class Group(TyperGroup):
    """The ``edgecnn`` group: flags without a value type, and usage errors as one ``error:`` line (exit 2)."""

    def get_params(self, ctx):
        return _plain_flags(super().get_params(ctx))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from typer._click import exceptions as ce

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ce.UsageError as e:
            say(f"error: {usage_message(e)}")
            sys.exit(e.exit_code)
        except ce.ClickException as e:
            say(f"error: {e.format_message()}")
            sys.exit(e.exit_code)
        except ce.Abort:
            say("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def usage_message(e) -> str:
    """A click usage error in one line, with where to look next."""
    message = " ".join(e.format_message().split())
    extra = message.rpartition("(")[2].rstrip(")").split() if "unexpected extra argument" in message else []
    if any(w.lower() in BOOL_WORDS for w in extra):
        message += "; flags such as --json take no value"
    if e.ctx is not None:
        message += f" (see '{e.ctx.command_path} -h')"
    return message


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
