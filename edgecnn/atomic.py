"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An existing output survives any failure, and no partial file is ever left behind. Temporaries carry
the writer's process id, so the next write cleans up after a killed one; :func:`scratch_dir` does the
same for temporary folders.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import EdgeCNNError
from .fileio import file_type


STALE_SECONDS = 3600  # a temporary file without a process id in its name is stale after an hour


def _temp_beside(target: Path) -> Path:
    """A new empty temporary file in ``target``'s folder (created if missing), keeping ``target``'s extension.

    Its name, ``.STEM.PID-RANDOM.tmpSUFFIX``, carries the writer's process id, so the next write to the
    same target removes what a killed writer (SIGKILL, power loss) left behind.
    """
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = os.lstat(target).st_mode
    except (OSError, ValueError):
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):  # checked before any work is done
        raise EdgeCNNError(f"{target}: is {file_type(mode)}, not a file to write; choose another name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder, target)
        # The temp name keeps the target's extension: savers such as Keras' check it.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.{os.getpid()}-", suffix=f".tmp{target.suffix}", dir=folder)
    except OSError as e:
        raise EdgeCNNError(f"cannot write to {folder}: {e.strerror or e}") from None
    os.close(fd)
    return Path(tmp)


def _remove_stale(folder: Path, target: Path) -> None:
    """Remove temporaries for ``target`` whose writer is gone (a dead process id, or an hour old without one)."""
    import time

    prefix, suffix = f".{target.stem}.", f".tmp{target.suffix}"
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(suffix)]
    except OSError:
        return
    for e in entries:
        middle = e.name[len(prefix): len(e.name) - len(suffix)]
        pid = middle.split("-", 1)[0] if "-" in middle else ""
        try:
            if pid.isdigit():
                if int(pid) == os.getpid() or _alive(int(pid)):
                    continue
            elif time.time() - e.stat(follow_symlinks=False).st_mtime < STALE_SECONDS:
                continue
            if e.is_file(follow_symlinks=False):
                os.unlink(e.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or a number we cannot check): leave its file alone
    return True


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


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder ``PREFIX-PID-RANDOM`` in the system's temp folder, removed afterwards (Ctrl-C and SIGTERM
    included). Folders of the same prefix left by a killed process (its pid is gone) are removed first."""
    import shutil

    root = Path(tempfile.gettempdir())
    try:
        for entry in os.scandir(root):
            rest = entry.name[len(prefix) + 1:] if entry.name.startswith(prefix + "-") else ""
            pid = rest.split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-{os.getpid()}-") as folder:
        yield Path(folder)
