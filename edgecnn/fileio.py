"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An existing output survives any failure, and no partial file is ever left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import EdgeCNNError


def _temp_beside(target: Path) -> Path:
    """A new empty temporary file in ``target``'s folder (created if missing), keeping ``target``'s extension."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # The temp name keeps the target's extension: savers such as Keras' check it.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=folder)
    except OSError as e:
        raise EdgeCNNError(f"cannot write to {folder}: {e.strerror or e}") from None
    os.close(fd)
    return Path(tmp)


def check_writable(target: str | os.PathLike) -> None:
    """Fail now, with the message :func:`atomic_path` would give later, if ``target``'s folder cannot take a file.

    For commands that write only after minutes of work (export); ``target`` itself is not touched.
    """
    _temp_beside(Path(target)).unlink()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; rename it onto ``target`` on success.

    On any exception (KeyboardInterrupt included) the temporary file is removed and
    ``target`` is left as it was.
    """
    target = Path(target)
    tmp = _temp_beside(target)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise EdgeCNNError(f"cannot write {target}: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike, obj) -> None:
    write_text(target, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")
