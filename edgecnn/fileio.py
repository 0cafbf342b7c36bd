"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An existing output survives any failure, and no partial file is ever left behind.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import EdgeCNNError, FileMissing


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
        raise EdgeCNNError(f"{target}: is {_file_type(mode)}, not a file to write; choose another name")
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


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: str | os.PathLike, kind: str = "a file", missing: str = "no such file") -> os.stat_result:
    """``stat`` ``path`` (never opening it) and refuse anything but a regular file with one line.

    A FIFO blocks whoever opens it until a writer comes; ``/dev/zero`` never ends: neither may
    be opened. ``kind`` names what was expected ("an image", "an ONNX model").
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileMissing(f"{path}: {missing}", str(path)) from None
    except PermissionError:
        raise EdgeCNNError(f"{path}: permission denied") from None
    except (OSError, ValueError) as e:  # ELOOP, ENAMETOOLONG, a NUL in the name
        raise EdgeCNNError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise EdgeCNNError(f"{path}: is a folder, not {kind}")
    if not stat.S_ISREG(st.st_mode):
        raise EdgeCNNError(f"{path}: is {_file_type(st.st_mode)}, not {kind}; only regular files are read")
    return st


def read_regular(path: str | os.PathLike, limit: int, kind: str = "a file", missing: str = "no such file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them, or one clear :class:`EdgeCNNError`.

    Checked before opening (:func:`check_regular`), then again on the open descriptor (opened
    non-blocking, so a FIFO swapped in meanwhile cannot hang us), and the read stops at ``limit``
    even if the file grows.
    """
    check_regular(path, kind, missing)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileMissing(f"{path}: {missing}", str(path)) from None
    except PermissionError:
        raise EdgeCNNError(f"{path}: permission denied") from None
    except OSError as e:
        raise EdgeCNNError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise EdgeCNNError(f"{path}: is {_file_type(st.st_mode)}, not {kind}; only regular files are read")
        if st.st_size > limit:
            raise EdgeCNNError(f"{path}: file too large ({st.st_size / 2**20:.0f} MiB; limit {limit // 2**20} MiB)")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 24, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise EdgeCNNError(f"{path}: file too large (over {limit // 2**20} MiB)")
        return b"".join(chunks)
    except PermissionError:
        raise EdgeCNNError(f"{path}: permission denied") from None
    except OSError as e:
        raise EdgeCNNError(f"{path}: cannot read ({e.strerror or e})") from None
    finally:
        os.close(fd)


MAX_GLOB_ENTRIES = 1_000_000  # folder entries one glob may look at


def safe_glob(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)`` that never follows a symlink to a folder.

    ``**`` descends only into real folders, so a link that points at its own parent cannot make
    it run forever; links to files still match. Hidden names match only a pattern starting with
    ``.``, as in :mod:`glob`. Sorted, without duplicates.
    """
    import glob as _glob

    if "**" not in pattern:
        return sorted(_glob.glob(pattern))
    head, parts = _split_pattern(pattern)
    found: set[str] = set()
    budget = [MAX_GLOB_ENTRIES]

    def entries(folder: str):
        try:
            with os.scandir(folder or ".") as it:
                for e in it:
                    budget[0] -= 1
                    if budget[0] < 0:
                        raise EdgeCNNError(f"{pattern}: the pattern matches too much (over {MAX_GLOB_ENTRIES:,} entries looked at)")
                    yield e
        except OSError:
            return

    def join(folder: str, name: str) -> str:
        return os.path.join(folder, name) if folder else name

    def walk(folder: str, i: int) -> None:
        if i == len(parts):
            if folder and os.path.lexists(folder):
                found.add(folder)
            return
        part = parts[i]
        if part == "**":
            walk(folder, i + 1)  # zero folders
            for e in entries(folder):
                if e.name.startswith("."):
                    continue
                if e.is_dir(follow_symlinks=False):
                    walk(join(folder, e.name), i)
                elif i + 1 == len(parts):  # a trailing ** matches files too
                    found.add(join(folder, e.name))
            return
        if not _glob.has_magic(part):
            nxt = join(folder, part)
            if i + 1 == len(parts) or os.path.isdir(nxt):
                walk(nxt, i + 1)
            return
        for e in entries(folder):
            if (part.startswith(".") or not e.name.startswith(".")) and fnmatch.fnmatchcase(e.name, part):
                if i + 1 == len(parts) or e.is_dir():  # one level per pattern part: bounded
                    walk(join(folder, e.name), i + 1)

    walk(head, 0)
    return sorted(found)


def _split_pattern(pattern: str) -> tuple[str, list[str]]:
    """'/a/b/**/*.png' → ('/a/b', ['**', '*.png']): the literal leading folders, then the rest."""
    import glob as _glob

    anchor = os.sep if pattern.startswith(os.sep) else ""
    parts = [p for p in pattern.split(os.sep) if p not in ("",)]
    head = []
    while parts and not _glob.has_magic(parts[0]) and len(parts) > 1:
        head.append(parts.pop(0))
    return anchor + os.sep.join(head) if head or anchor else "", parts


def gunzip_limited(data: bytes, limit: int, name: str) -> bytes:
    """Inflate gzip ``data`` in steps, refusing as soon as the output would pass ``limit`` bytes.

    ``gzip.decompress`` inflates everything first: an IDX ``.gz`` of a few MB can hold 6 GiB.
    """
    import zlib

    d = zlib.decompressobj(wbits=31)  # gzip header and trailer
    out, total, rest = [], 0, data
    while rest:
        chunk = d.decompress(rest, 1 << 20)  # zlib.error for corrupt data: the caller names the file
        total += len(chunk)
        if total > limit:
            raise EdgeCNNError(f"{name}: inflates to over {limit // 2**20} MiB (the limit for this kind of file); refused")
        out.append(chunk)
        rest = d.unconsumed_tail
        if d.eof:
            if d.unused_data[:2] == b"\x1f\x8b":  # another gzip member follows (concatenated .gz)
                rest, d = d.unused_data, zlib.decompressobj(wbits=31)
                continue
            break
    if not d.eof:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")
    return b"".join(out)


def check_zip_sizes(path: str | os.PathLike, total: int, members: dict[str, int] | None = None) -> None:
    """Refuse a zip (``.keras``, ``.npz``) whose members would inflate past ``total`` bytes together, or past
    ``members[name]`` for a named one, before anything is inflated. Python's zipfile stops reading a member at
    its declared size, so the declared sizes bound the memory a reader can be made to use."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except Exception:  # not a zip, a broken one, a newer zip version (NotImplementedError, found by fuzzing):
        return  # the format's own reader says what is wrong, and cannot inflate what zipfile cannot open
    size = 0
    for info in infos:
        size += info.file_size
        limit = (members or {}).get(info.filename)
        if limit is not None and info.file_size > limit:
            raise EdgeCNNError(f"{path}: {info.filename} inflates to {info.file_size / 2**20:.0f} MiB "
                               f"(limit {limit / 2**20:.0f} MiB); refused")
    if size > total:
        raise EdgeCNNError(f"{path}: inflates to {size / 2**20:.0f} MiB (limit {total / 2**20:.0f} MiB); refused")


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
