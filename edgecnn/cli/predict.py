"""`edgecnn predict PATH...`: read the digits in photos (files, folders, globs)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EdgeCNNError, UsageError
from .common import BOOL_WORDS, DEVICE_HELP, MAX_CONFIDENCE, MIN_CONFIDENCE, Device, check_device, guarded, print_json, progress, runtime_device, say


CORES = os.cpu_count() or 1
WINDOW = 4  # tasks queued per worker: keeps every worker busy, and memory bounded for any number of files
CHUNK = 8  # most images in one task: fewer round trips, so the parent takes less of the cores the workers read on
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


def natural_key(path: Path) -> list:
    """Sort key that puts s00_2 before s00_10 (digit runs compare as numbers)."""
    return [(0, int(t), t) if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", str(path)) if t]


def check_inputs(paths: list[str]) -> None:
    """Arguments predict cannot read, each refused with what to do instead (exit 2)."""
    for p in paths:
        if p.lower() in BOOL_WORDS and not Path(p).exists():
            raise UsageError(f"{p!r} is not a file: flags such as --json take no value")
        if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", p):
            raise UsageError(f"{p}: only local files are read; download the image first"
                             + (" (a stream: edgecnn webcam --source URL)" if not _looks_like_image(p) else ""))
        if Path(p).suffix.lower() in VIDEO_SUFFIXES:
            raise UsageError(f"{p}: a video; predict reads photos — use: edgecnn webcam --source {p} --no-show --json")


def _looks_like_image(url: str) -> bool:
    from ..imageio import is_image_name

    return is_image_name(url.split("?")[0])


def expand_paths(paths: list[str]) -> list[Path]:
    """Files as given, folders → their image files (natural order, not recursive), globs expanded (natural order)."""
    from ..fileio import safe_glob  # ** never follows a link to a folder (a link to its parent never ended)
    from ..imageio import is_image_name

    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted((f for f in path.iterdir() if f.is_file() and is_image_name(f)), key=natural_key)
        elif not path.exists() and any(ch in p for ch in "*?["):
            out += sorted((Path(f) for f in safe_glob(p) if Path(f).is_file()), key=natural_key)
        else:
            out.append(path)  # missing files are reported when read
    return out


@guarded
def predict(
    paths: List[str] = typer.Argument(..., metavar="PATH", help="Image files, folders or globs (PNG, JPEG, BMP, TIFF, WebP)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="ONNX model (default: the bundled int8 model)."),
    json_out: bool = typer.Option(False, "--json", help="Write one JSON document to stdout, at the end."),
    jsonl: bool = typer.Option(False, "--jsonl", help="Write one JSON line per image to stdout as it is read."),
    save: Optional[Path] = typer.Option(None, "--save", "-o", help="Write annotated copies (same format as each photo, subfolders kept) and crop mosaics into this folder."),
    save_crops: bool = typer.Option(False, "--save-crops", help="With --save: also write the 28×28 crops the model saw."),
    min_confidence: float = typer.Option(0.5, "--min-confidence", min=MIN_CONFIDENCE, max=MAX_CONFIDENCE, help="Below this, a digit is reported as '?'."),
    threads: int = typer.Option(1, "--threads", min=1, help="onnxruntime intra-op threads (per worker)."),
    workers: int = typer.Option(CORES, "--workers", "-j", min=1, max=CORES, show_default=False, help=f"Processes reading images in parallel (default: the CPU cores, {CORES} here; 1: in this process)."),
    device: Device = typer.Option("cpu", "--device", help=DEVICE_HELP),
) -> None:
    """Read the handwritten digits in photos: one line per image (rows, mean confidence), --json or --jsonl.

    Files are read in parallel (--workers), reported in the order given.
    A progress bar shows on a terminal; a summary line goes to stderr.
    """
    if json_out and jsonl:
        raise UsageError("--json and --jsonl go separately: one document at the end, or one line per image")
    if save_crops and save is None:
        raise UsageError("--save-crops needs --save DIR")
    check_inputs(paths)
    files = expand_paths(paths)
    if not files:
        raise EdgeCNNError(f"no image files found in {', '.join(paths)}")

    from ..reader import DigitReader  # before the workers fork: they start with it imported

    runtime = runtime_device(device)

    def make_reader():
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = DigitReader(model, threads=threads, min_confidence=min_confidence, device=runtime)
        for w in caught:
            say(f"warning: {w.message}")
        check_device(device, reader.model.session)
        return reader

    results, failed, digits, saved, t0 = [], 0, 0, [], time.perf_counter()
    names = save_names(files) if save is not None else [None] * len(files)
    job = (save, save_crops, not (json_out or jsonl))
    options = (model, threads, min_confidence, runtime)
    with _readings(make_reader, files, names, job, options, min(workers, len(files))) as (reader, readings), \
            progress(len(files)) as advance:  # the pool forks before the bar starts its thread
        for entry, found, line in readings:
            digits += found
            saved += entry.get("saved", [])
            if "error" in entry:
                failed += 1
                say(f"error: {entry['error']}")
            elif line is not None:
                print(line, flush=True)  # sys.stdout at call time: lines land above the bar
            if jsonl:
                sys.stdout.write(json.dumps(entry, default=str) + "\n")
                sys.stdout.flush()
            else:
                results.append(entry)
            advance()
    if json_out:
        print_json({"model": str(reader.model.path), "images": results, "failed": failed})
    seconds = time.perf_counter() - t0
    if len(files) > 1:
        say(f"predict: {len(files)} images, {len(files) - failed} read, {failed} failed, {digits} digits "
            f"in {seconds:.1f} s ({1e3 * seconds / len(files):.0f} ms/image)")
    if len(saved) <= 10:
        for path in saved:
            say(f"wrote {path}")
    else:
        say(f"wrote {len(saved)} files under {save} (annotated copies in each photo's format, crops as PNG)")
    if failed:
        say(f"{failed} of {len(files)} image(s) could not be read")
        raise typer.Exit(1)


def read_one(reader, f: Path, name: Path | None, job: tuple) -> tuple[dict, int, str | None]:
    """One image: its JSON entry (with ``error`` when it could not be read or saved), its digit count, and its
    line for the human output (None with --json/--jsonl or after an error)."""
    save, save_crops, human = job
    entry: dict = {"file": str(f)}
    found, line = 0, None
    try:
        reading = reader.read(f)
        entry.update(reading.to_dict())
        found = len(reading.digits)
        if save is not None:
            entry["saved"] = _save(save, name, f, reading, save_crops)
        if human:
            rows = " | ".join(reading.rows) if reading.rows else "(no digits)"
            mc = f"  (mean confidence {reading.mean_confidence:.2f})" if reading.digits else ""
            line = f"{f}: {rows}{mc}"
    except EdgeCNNError as e:
        entry["error"] = str(e)
    return entry, found, line


@contextlib.contextmanager
def _readings(make_reader, files: list[Path], names: list, job: tuple, options: tuple, workers: int):
    """Yields ``(reader, results)``: this process's reader (its model names the output; building it checks the
    model) and an iterator of :func:`read_one`'s results in the order of ``files``.

    One worker: read here, by ``reader``. More: a process pool, each worker with its own reader built from
    ``options`` (model, threads, min_confidence, device). A task is a run of up to ``CHUNK`` files (fewer on a short
    list, so every worker still gets some); at most ``WINDOW`` tasks per worker are in flight.
    The workers fork first, before any onnxruntime session exists here, and load the model meanwhile.
    """
    if workers <= 1:
        reader = make_reader()
        yield reader, (read_one(reader, f, name, job) for f, name in zip(files, names))
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from itertools import islice

    pool = ProcessPoolExecutor(workers, mp_context=_start_method(options[3]), initializer=_init_worker,
                               initargs=(*options, job))
    done = False
    try:
        size = max(1, min(CHUNK, len(files) // (workers * WINDOW)))
        todo, pending = iter(zip(files, names)), deque()

        def top_up():
            while len(pending) < workers * WINDOW and (task := list(islice(todo, size))):
                pending.append(pool.submit(_read_in_worker, task))

        def ordered():
            while pending:
                future = pending.popleft()
                top_up()
                yield from future.result()

        import cv2

        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # what the workers inherit: one core each
        try:
            top_up()  # forks the workers now (fork: all at the first submit)
        finally:
            cv2.setNumThreads(threads)
        yield make_reader(), ordered()
        done = True
    except BrokenProcessPool:
        raise EdgeCNNError("a --workers process stopped unexpectedly (out of memory?); rerun with --workers 1") from None
    finally:
        pool.shutdown(wait=done, cancel_futures=True)


def _start_method(device: str):
    """fork on Linux (the parent's imports are reused: a worker starts in milliseconds); spawn elsewhere and for
    CUDA, which does not survive a fork."""
    import multiprocessing as mp

    return mp.get_context("fork" if device == "cpu" and sys.platform.startswith("linux") else "spawn")


_WORKER: dict = {}


def _init_worker(model, threads: int, min_confidence: float, device: str, job: tuple) -> None:
    """A worker's own reader, built once. Ctrl-C and SIGTERM are the parent's business: it stops the pool."""
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    warnings.simplefilter("ignore")  # the parent already said each warning once
    import cv2

    if cv2.getNumThreads() != 1:  # spawned; a forked worker has the 1 its parent set (setting it there can hang)
        cv2.setNumThreads(1)  # one core per worker: OpenCV's own threads would fight the other workers for the cores
    from ..reader import DigitReader

    try:
        _WORKER.update(reader=DigitReader(model, threads=threads, min_confidence=min_confidence, device=device),
                       job=job)
    except Exception as e:  # raised with the first image instead: the parent's own reader says it in one line,
        _WORKER["error"] = e  # and an initializer that fails prints a traceback


def _read_in_worker(task: list[tuple[Path, Path | None]]) -> list[tuple[dict, int, str | None]]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return [read_one(_WORKER["reader"], f, name, _WORKER["job"]) for f, name in task]


KEPT_FORMATS = {".jpg": [], ".jpeg": [], ".webp": [], ".png": [], ".bmp": [], ".tif": [], ".tiff": []}


def save_names(files: list[Path]) -> list[Path]:
    """Where each input's outputs go, relative to --save and without a suffix: unique within the run.

    Inputs keep their folders below the deepest folder they share (a/img.jpg and b/img.jpg → a/img and b/img;
    one folder → flat names); an input named twice gets -2, -3, ...
    """
    import os

    parents = [os.path.abspath(f.parent) for f in files]
    root = os.path.commonpath(parents) if parents else ""
    names, taken = [], set()
    for f, parent in zip(files, parents):
        rel = Path(os.path.relpath(parent, root)) / f.stem
        name, n = rel, 1
        while str(name).lower() in taken:
            n += 1
            name = rel.with_name(f"{rel.name}-{n}")
        taken.add(str(name).lower())
        names.append(name)
    return names


def _save(folder: Path, name: Path, source: Path, reading, crops: bool) -> list[str]:
    """The annotated copy in the input's own format (JPEG stays JPEG), crop mosaic and crops as PNG."""
    import cv2

    from ..draw import annotate, mosaic
    from ..atomic import write_bytes
    from ..imageio import read_image

    written = []

    def put(suffix, img, ext=".png", params=()):
        ok, buf = cv2.imencode(ext, img, list(params))
        if not ok:
            raise EdgeCNNError(f"cannot encode {name}{suffix}{ext}")
        target = folder / name.parent / f"{name.name}{suffix}{ext}"
        write_bytes(target, buf.tobytes())
        written.append(str(target))

    ext = source.suffix.lower() if source.suffix.lower() in KEPT_FORMATS else ".png"
    quality = {".jpg": (cv2.IMWRITE_JPEG_QUALITY, 90), ".jpeg": (cv2.IMWRITE_JPEG_QUALITY, 90),
               ".webp": (cv2.IMWRITE_WEBP_QUALITY, 90)}.get(ext, ())
    put(".annotated", annotate(read_image(source), reading, margin=True), ext, quality)
    if reading.digits:
        put(".crops", mosaic(reading))
    if crops:
        for i, d in enumerate(reading.digits):
            put(f".crop{i:02d}_{d.label if d.label != '?' else 'unknown'}", (d.crop * 255).round().astype("uint8"))
    return written
