"""The one exception type that means "the user gave us something we cannot use"."""

import contextlib
import os
import signal
import sys
import threading


def one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``, ``\\u202e``), so a file name holding a
    newline or a terminal escape can neither split an error line nor forge another."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def first_line(e: BaseException, limit: int = 160) -> str:
    """What an exception from a library says, for a one-line error: its message's first line (at most ``limit``
    characters), or its type's name when it says nothing."""
    text = str(e).strip()
    return text.splitlines()[0][:limit] if text else type(e).__name__


def stdout_gone() -> None:
    """The reader of stdout went away (``edgecnn predict ... | head -1``): point stdout at /dev/null so the
    interpreter's last flush cannot raise BrokenPipeError again, as Python's documentation advises."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real stdout (a test runner's buffer)
        pass


class EdgeCNNError(Exception):
    """A problem with the user's input, files or environment.

    The CLI prints it as one line on stderr and exits with ``exit_code``; it never
    shows a traceback for it (``--debug`` does).
    """

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(one_line(message))
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(EdgeCNNError):
    """Options that are out of range or contradict each other (exit 2)."""

    exit_code = 2


class SettingError(UsageError):
    """A setting out of range, or a result that a setting decides (the int8 gate's ``max_drop``).

    ``message`` holds ``{setting}`` where the setting's name goes (and ``{name}`` for each setting named in
    ``also``): the library's text says ``max_drop must be ≥ 0``, and the CLI shows :meth:`for_cli`,
    ``--max-drop must be ≥ 0`` (config fields map onto flags 1:1).
    """

    def __init__(self, setting: str, message: str, exit_code: int | None = None, also: tuple[str, ...] = ()):
        self.setting, self.template, self.also = setting, message, tuple(also)
        super().__init__(self._fill(lambda name: name), exit_code)

    def _fill(self, spell) -> str:
        text = self.template.replace("{setting}", spell(self.setting))
        for name in self.also:
            text = text.replace("{" + name + "}", spell(name))
        return text

    @staticmethod
    def flag_of(setting: str) -> str:
        return "--" + setting.replace("_", "-")

    @property
    def flag(self) -> str:
        return self.flag_of(self.setting)

    def for_cli(self) -> str:
        return one_line(self._fill(self.flag_of))


class FileMissing(EdgeCNNError, FileNotFoundError):
    """A file the user named does not exist; also a :class:`FileNotFoundError` (``errno.ENOENT``)."""

    def __init__(self, message: str, filename: str | None = None):
        super().__init__(message)
        self.errno, self.filename = 2, filename

    def __str__(self) -> str:
        return str(self.args[0])  # our one line, not OSError's "[Errno 2] ..."


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: ``finally`` blocks and context managers remove temporary files."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While the block runs (main thread only), SIGTERM raises :class:`Terminated` instead of killing the process
    on the spot: a ``kill`` during export or ``webcam --save`` leaves no temporary file behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated("terminated (SIGTERM)")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not allowed here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
