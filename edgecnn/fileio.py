"""Reading files with limits: only regular files, at most so many bytes, inflated archives checked
before they inflate, globs that never follow a link to a folder. (Writing is :mod:`edgecnn.atomic`.)
"""

from __future__ import annotations

import fnmatch
import os
import stat

from .errors import EdgeCNNError, FileMissing


def file_type(mode: int) -> str:
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
        raise EdgeCNNError(f"{path}: is {file_type(st.st_mode)}, not {kind}; only regular files are read")
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
            raise EdgeCNNError(f"{path}: is {file_type(st.st_mode)}, not {kind}; only regular files are read")
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
