"""What every command shares: the stderr console, one-line errors, exit codes."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import traceback
from typing import Literal

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import EdgeCNNError, SettingError
from ..settings import CONFIDENCE, DEVICES

STATE = {"debug": False}

BOOL_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def _tidy(params: list) -> list:
    """Help that fits 80 columns: flags show no value type (``--json``, not ``--json <bool>``), ranges in one short
    word (``<int 13–18>``, ``<float≥0>`` instead of ``<int range> [13<=x<=18]``), long choice lists as ``<name>``
    (the option's help lists them)."""
    for p in params:
        if p.metavar is not None or getattr(p, "count", False):
            continue
        if getattr(p, "is_flag", False):
            p.metavar = ""
        elif getattr(p, "min", None) is not None or getattr(p, "max", None) is not None:
            kind = "int" if isinstance(p.min if p.min is not None else p.max, int) else "float"
            lo, hi = (f"{v:g}" if v is not None else None for v in (p.min, p.max))
            p.metavar = f"<{kind} {lo}–{hi}>" if lo and hi else f"<{kind}≥{lo}>" if lo else f"<{kind}≤{hi}>"
            p._get_number_range_help_str = lambda: None
        elif getattr(p.type_descriptor, "is_choice", False) and len("|".join(map(str, p.type_descriptor.choices))) > 24:
            p.metavar = "<name>"
    return params


class Command(TyperCommand):
    """Every subcommand: flags shown without a value type."""

    def get_params(self, ctx):
        return _tidy(super().get_params(ctx))


class Group(TyperGroup):
    """The ``edgecnn`` group: flags without a value type, and usage errors as one ``error:`` line (exit 2)."""

    def get_params(self, ctx):
        return _tidy(super().get_params(ctx))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from typer._click import exceptions as ce

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ce.NoArgsIsHelpError as e:  # the help is already on the screen
            sys.exit(e.exit_code)
        except ce.UsageError as e:
            say(f"error: {usage_message(e, sys.argv[1:] if args is None else list(args))}")
            sys.exit(e.exit_code)
        except ce.ClickException as e:
            say(f"error: {e.format_message()}")
            sys.exit(e.exit_code)
        except typer.Abort:
            say("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _given(args: list[str], names) -> str | None:
    """The value given on the command line for an option called any of ``names`` (the last one wins)."""
    found = None
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                found = args[i + 1]
            elif a.startswith(n + "="):
                found = a[len(n) + 1:]
    return found


def usage_message(e, args: list[str] = ()) -> str:
    """A click usage error in one line, in the words our own checks use, with where to look next."""
    message = " ".join(e.format_message().split())
    param = getattr(e, "param", None)
    if param is not None and getattr(param, "opts", None):
        name, value = param.opts[0], _given(list(args), [*param.opts, *param.secondary_opts])
        got = f" (got {value})" if value is not None else ""
        low, high = getattr(param, "min", None), getattr(param, "max", None)
        desc = getattr(param, "type_descriptor", None)
        if (low is not None or high is not None) and ("greater than" in message or "less than" in message):
            message = f"{name} must be {_bounds(low, high)}{got}"
        elif getattr(desc, "is_choice", False) and value is not None:
            message = f"unknown {name} {value!r} (choose from {', '.join(map(str, desc.choices))})"
        elif message.startswith("Invalid value for") and value is not None:
            message = f"{name} {value!r}: {message.partition(': ')[2].replace('Input should be', 'expected')}"
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


@contextlib.contextmanager
def progress(total: int, what: str = "images"):
    """A rich progress bar (count, rate, ETA) on stderr while the block runs; yields ``advance(n=1)``.

    Only on a terminal and for more than one item: piped or redirected runs get no bar. Lines printed
    meanwhile (results on stdout, errors on stderr) appear above the bar.
    """
    if total < 2 or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                   redirect_stdout=sys.stdout.isatty(), redirect_stderr=True)
    task = bar.add_task(what, total=total)
    with bar:
        yield lambda n=1: bar.advance(task, n)


DEVICE_HELP = "auto: the GPU when there is one; gpu: the GPU or an error (exit 1)."
Device = Literal[DEVICES]  # --device of every command (its choices, from edgecnn.settings)
MIN_CONFIDENCE, MAX_CONFIDENCE = CONFIDENCE  # --min-confidence's range (DigitReader checks the same)


def runtime_device(device: str) -> str:
    """--device auto|cpu|gpu → what onnxruntime is asked for ('cpu' or 'cuda'); gpu without CUDA is an error."""
    if device == "cpu":
        return "cpu"
    import onnxruntime as ort

    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "gpu" and not has_cuda:
        raise EdgeCNNError("--device gpu: this onnxruntime has no CUDA provider (pip install onnxruntime-gpu, with a "
                           "CUDA driver), or use --device cpu")
    return "cuda" if has_cuda else "cpu"


def check_device(device: str, session) -> None:
    """After the session is made: --device gpu must really run on the GPU (onnxruntime falls back quietly)."""
    if device == "gpu" and session.get_providers()[0] != "CUDAExecutionProvider":
        raise EdgeCNNError("--device gpu: onnxruntime's CUDA provider did not load (check the CUDA and cuDNN "
                           "libraries), or use --device cpu")


# Packages of the [train] extra: a runtime-only install lacks them.
TRAIN_MODULES = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxsim", "matplotlib", "sympy")
TRAIN_INSTALL = "pip install 'edgecnn[train]'"


def require_training_stack(command: str, *modules: str) -> None:
    """Fail fast, before any work, when the [train] extra is not installed."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise EdgeCNNError(f"{command} needs {', '.join(missing)} (not in the runtime-only install): {TRAIN_INSTALL}")


def guarded(fn):
    """Turn user errors into one line on stderr and an exit code; never a traceback (unless --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from ..errors import sigterm_as_interrupt

        try:
            with sigterm_as_interrupt():  # kill: cleaned up like Ctrl-C (no temporary file left behind)
                return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except EdgeCNNError as e:
            if STATE["debug"]:
                traceback.print_exc()
            say(f"error: {e.for_cli() if isinstance(e, SettingError) else e}")  # a setting shown as its flag
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            say("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:  # stdout's reader went away (| head -1): stop quietly, as Unix tools do
            from ..errors import stdout_gone

            stdout_gone()
            raise typer.Exit(141) from None
        except Exception as e:  # a bug or an unforeseen environment problem: still one line
            if STATE["debug"]:
                traceback.print_exc()
            if isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] in TRAIN_MODULES:
                say(f"error: this needs {e.name.split('.')[0]}, which the runtime-only install leaves out: {TRAIN_INSTALL}")
                raise typer.Exit(1) from None
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
        raise UsageError(f"{name} must be {_bounds(low, high)} (got {value})")


def _bounds(low, high) -> str:
    return f"≥ {low:g}" if high is None else f"between {low:g} and {high:g}" if low is not None else f"≤ {high:g}"
