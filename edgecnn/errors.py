"""The one exception type that means "the user gave us something we cannot use"."""


class EdgeCNNError(Exception):
    """A problem with the user's input, files or environment.

    The CLI prints it as one line on stderr and exits with ``exit_code``; it never
    shows a traceback for it (``--debug`` does).
    """

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(EdgeCNNError):
    """Options that are out of range or contradict each other (exit 2)."""

    exit_code = 2


class FileMissing(EdgeCNNError, FileNotFoundError):
    """A file the user named does not exist; also a :class:`FileNotFoundError` (``errno.ENOENT``)."""

    def __init__(self, message: str, filename: str | None = None):
        super().__init__(message)
        self.errno, self.filename = 2, filename

    def __str__(self) -> str:
        return str(self.args[0])  # our one line, not OSError's "[Errno 2] ..."
