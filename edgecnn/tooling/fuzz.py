"""Seeded mutation fuzzing of edgecnn's loaders: images, ONNX models, IDX files, npz files.

    .venv/bin/python scripts/fuzz.py                      # 10,000 inputs per target (the README's figures)
    .venv/bin/python scripts/fuzz.py -n 500 -t image      # a quick look at one target
    .venv/bin/python scripts/fuzz.py --model m.int8.onnx  # mutate this model instead of exporting one

Seeds are real files made here: PNG (8/16-bit, grey, RGBA, palette), JPEG, BMP, TIFF, WebP, PNM,
GIF, AVIF, JPEG 2000, Radiance HDR, PFM, Sun raster and PAM pictures; an fp32 and an int8 ONNX
model exported from a briefly trained ``edge`` network (or ``--model``); IDX image/label files (raw and gzip) and a Keras-style ``mnist.npz``. Input
``i`` of a target is a pure function of (``--seed``, target, i): 1–4 mutations (bit flips,
interesting bytes, truncation, byte insertion and deletion, chunk duplication, splicing two
seeds, and tampering with 16/32-bit header fields) applied to one seed.

Targets (each fed through the public loader, then through the next stage when it loads):

- ``image``: ``edgecnn.imageio.decode_image`` (every other input reduced while decoding, as
  ``DigitReader.read(path)`` does) → ``segment`` on the decoded picture; every 50th input goes
  through ``read_image`` from a file.
- ``onnx``: ``edgecnn.onnxmodel.OnnxModel`` from a file → ``predict`` on two blank crops.
- ``idx``: ``edgecnn.tooling.mnist.read_idx`` from a file → the split checks (``check_split``).
- ``npz``: ``edgecnn.tooling.mnist.load_split('test', file)``.
- ``frame``: ``edgecnn.capture.FrameSource`` on a file (small MJPEG AVI, MPEG-4 MP4 and MKV
  videos, and still JPEG/PNG pictures, as ``webcam --source`` takes them) → every frame (at
  most 30) through ``segment``.
- ``keras``: ``edgecnn.export.convert.load_keras`` (Keras' safe mode) on a tiny ``.keras``
  model → one prediction. Needs TensorFlow; its start-up is paid once per worker.

A crash is any exception other than ``EdgeCNNError``, a worker that dies (segfault, abort,
out of memory) or one that takes longer than ``--timeout`` seconds on one input (hang). Each
target runs in a worker subprocess; after a death or hang the worker is restarted at the next
input. Crashing inputs are written to ``--crash-dir`` (replay one with ``--replay FILE -t T``).
Exit status 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

import numpy as np

TARGETS = ("image", "onnx", "idx", "npz", "frame", "keras")
INTERESTING8 = [0x00, 0x01, 0x7F, 0x80, 0xFF]
INTERESTING32 = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


# ---------------------------------------------------------------------------- seeds

def image_seeds() -> dict[str, bytes]:
    import cv2

    rng = np.random.default_rng(0)
    page = np.full((48, 64, 3), 225, np.uint8)
    cv2.putText(page, "42", (4, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (25, 25, 25), 3)
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    rgba = np.dstack([page, np.where(gray < 128, 255, 40).astype(np.uint8)])
    seeds = {}

    def enc(name, ext, img, params=()):
        ok, buf = cv2.imencode(ext, img, list(params))
        assert ok, name
        seeds[name] = buf.tobytes()

    enc("gray.png", ".png", gray)
    enc("color.png", ".png", page)
    enc("rgba.png", ".png", rgba)
    enc("16bit.png", ".png", gray.astype(np.uint16) * 257)
    enc("photo.jpg", ".jpg", page, (cv2.IMWRITE_JPEG_QUALITY, 80))
    enc("progressive.jpg", ".jpg", page, (cv2.IMWRITE_JPEG_PROGRESSIVE, 1))
    enc("gray.jpg", ".jpg", gray)
    enc("page.bmp", ".bmp", page)
    enc("page.tif", ".tiff", page)
    enc("16bit.tif", ".tiff", gray.astype(np.uint16) * 257)
    enc("page.webp", ".webp", page, (cv2.IMWRITE_WEBP_QUALITY, 70))
    enc("lossless.webp", ".webp", page, (cv2.IMWRITE_WEBP_QUALITY, 101))
    enc("page.pgm", ".pgm", gray)
    enc("noise.png", ".png", rng.integers(0, 256, (16, 16), dtype=np.uint8))
    seeds["palette.png"] = _palette_png()
    # the other formats this OpenCV reads (each with its own decoder library)
    enc("page.gif", ".gif", page)
    enc("page.avif", ".avif", page)
    enc("page.jp2", ".jp2", page)
    enc("page.hdr", ".hdr", page.astype(np.float32) / 255)
    enc("page.pfm", ".pfm", page.astype(np.float32) / 255)
    enc("page.ras", ".ras", page)
    enc("rgba.pam", ".pam", rgba)
    return seeds


def _palette_png() -> bytes:
    import struct

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([(x // 3 + y // 3) % 2 for x in range(24)]) for y in range(24))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 24, 24, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", bytes([250, 250, 250, 10, 10, 10])) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def model_seeds(cache: Path, given: list[str]) -> dict[str, bytes]:
    """The fp32 and int8 ONNX files of a briefly trained edge network (exported once, cached)."""
    if given:
        return {Path(p).name: Path(p).read_bytes() for p in given}
    fp32, int8 = cache / "fuzz-edge.onnx", cache / "fuzz-edge.int8.onnx"
    if not (fp32.is_file() and int8.is_file()):
        print(f"exporting a seed model into {cache} (once) ...", file=sys.stderr, flush=True)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        from edgecnn.export.config import ExportConfig
        from edgecnn.export.exporter import export_model
        from edgecnn.tooling.mnist import load_split
        from edgecnn.train.architectures import build

        train = load_split("train")
        keras.utils.set_random_seed(0)
        model = build("edge")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(train.images[:1000, :, :, None] / np.float32(255), train.labels[:1000], epochs=1, batch_size=64, verbose=0)
        model.save(cache / "fuzz-edge.keras")
        export_model(cache / "fuzz-edge.keras", fp32, ExportConfig(quantize=True, calibration_size=200, max_drop=100.0))
    return {"edge.onnx": fp32.read_bytes(), "edge.int8.onnx": int8.read_bytes()}


def idx_seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 12, dtype=np.uint8)

    def idx(a):
        magic = 2049 if a.ndim == 1 else 2051
        return magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in a.shape) + a.tobytes()

    return {"images.idx3": idx(images), "labels.idx1": idx(labels),
            "images.idx3.gz": gzip.compress(idx(images), mtime=0), "labels.idx1.gz": gzip.compress(idx(labels), mtime=0)}


def npz_seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(2)
    out = {}
    for name, saver in (("mnist.npz", np.savez), ("compressed.npz", np.savez_compressed)):
        buf = io.BytesIO()
        saver(buf, x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 6, dtype=np.uint8),
              x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 4, dtype=np.uint8))
        out[name] = buf.getvalue()
    return out


def frame_seeds() -> dict[str, bytes]:
    """Five-frame 64×48 videos in each container ``webcam --save`` writes, and two still pictures."""
    import cv2

    out = {}
    rng = np.random.default_rng(3)
    frames = []
    for k in range(5):
        f = np.full((48, 64, 3), 220, np.uint8)
        cv2.putText(f, str(k), (8 + 4 * k, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
        frames.append(f)
    with tempfile.TemporaryDirectory() as d:
        for name, fourcc in (("clip.avi", "MJPG"), ("clip.mp4", "mp4v"), ("clip.mkv", "mp4v")):
            path = Path(d) / name
            w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (64, 48))
            for f in frames:
                w.write(f)
            w.release()
            out[name] = path.read_bytes()
    out["still.jpg"] = cv2.imencode(".jpg", frames[2])[1].tobytes()
    out["still.png"] = cv2.imencode(".png", rng.integers(0, 256, (48, 64), dtype=np.uint8))[1].tobytes()
    return out


def keras_seeds(cache: Path) -> dict[str, bytes]:
    """A tiny ``.keras`` model (Conv → Dense, 28×28×1 → 10), saved once and cached."""
    path = cache / "fuzz-tiny.keras"
    if not path.is_file():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        keras.utils.set_random_seed(0)
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
        x = keras.layers.Flatten()(keras.layers.MaxPooling2D(4)(x))
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
        cache.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return {"tiny.keras": path.read_bytes()}


# ---------------------------------------------------------------------------- mutation

def mutate(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """1–4 random mutations of ``data`` (``other``: a second seed for splicing)."""
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        op = int(rng.integers(0, 10))
        n = len(b)
        if n == 0:
            b += bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
            continue
        # header fields live near the start: bias positions there half the time
        pos = int(rng.integers(0, min(n, 128))) if rng.random() < 0.5 else int(rng.integers(0, n))
        if op == 0:  # flip 1–8 bits
            for _ in range(int(rng.integers(1, 9))):
                i = int(rng.integers(0, n))
                b[i] ^= 1 << int(rng.integers(0, 8))
        elif op == 1:  # an interesting byte
            b[pos] = INTERESTING8[int(rng.integers(0, len(INTERESTING8)))]
        elif op == 2:  # truncate
            del b[int(rng.integers(0, n)):]
        elif op == 3:  # insert random bytes
            b[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 33)), dtype=np.uint8))
        elif op == 4:  # delete a range
            del b[pos: pos + int(rng.integers(1, 65))]
        elif op == 5:  # duplicate a chunk
            k = int(rng.integers(1, 257))
            b[pos:pos] = b[pos: pos + k]
        elif op == 6:  # splice with another seed
            cut = int(rng.integers(0, len(other) + 1)) if other else 0
            b = b[:pos] + bytearray(other[cut:])
        elif op in (7, 8):  # tamper with a 16- or 32-bit header field (either byte order)
            width = 4 if op == 7 else 2
            value = INTERESTING32[int(rng.integers(0, len(INTERESTING32)))] if rng.random() < 0.7 else int(rng.integers(0, 2**32))
            value &= (1 << (8 * width)) - 1
            order = "big" if rng.random() < 0.5 else "little"
            b[pos: pos + width] = value.to_bytes(width, order)
        else:  # random bytes over a range
            k = int(rng.integers(1, 17))
            b[pos: pos + k] = bytes(rng.integers(0, 256, k, dtype=np.uint8))
    return bytes(b)


def make_input(seeds: list[tuple[str, bytes]], seed: int, target: str, i: int) -> tuple[str, bytes]:
    rng = np.random.default_rng([seed, TARGETS.index(target), i])
    name, data = seeds[int(rng.integers(0, len(seeds)))]
    _, other = seeds[int(rng.integers(0, len(seeds)))]
    return name, mutate(data, rng, other)


# ---------------------------------------------------------------------------- feeding one input

def feed(target: str, name: str, data: bytes, scratch: Path, i: int) -> str:
    """Run one input through ``target``; return 'ok' or 'refused' (EdgeCNNError); anything else propagates."""
    from edgecnn.errors import EdgeCNNError

    try:
        if target == "image":
            from edgecnn.imageio import decode_image, decode_image_reduced, read_image
            from edgecnn.segment import segment

            if i % 50 == 0:
                path = scratch / name
                path.write_bytes(data)
                img = read_image(path)
            elif i % 2:  # as DigitReader.read(path) decodes: a big JPEG at a fraction of its size
                img, (w, h) = decode_image_reduced(data, name=name, at_least=16 + i % 64)
                assert img.shape[0] <= h and img.shape[1] <= w, "reduced decode larger than the picture"
            else:
                img = decode_image(data, name=name)
            seg = segment(img)
            for d in seg.digits:
                assert d.crop.shape == (28, 28) and d.crop.dtype == np.float32, "bad crop"
        elif target == "onnx":
            import warnings

            from edgecnn.onnxmodel import OnnxModel

            path = scratch / name
            path.write_bytes(data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = OnnxModel(path)
            probs = model.predict(np.zeros((2, 28, 28, 1), np.float32))
            assert probs.shape == (2, len(model.labels)), f"bad output shape {probs.shape}"
        elif target == "idx":
            from edgecnn.tooling.mnist import check_split, read_idx

            path = scratch / name
            path.write_bytes(data)
            a = read_idx(path)
            if a.ndim == 3:
                check_split(a, np.zeros(len(a), np.uint8), name)
            elif a.ndim == 1:
                check_split(np.zeros((len(a), 28, 28), np.uint8), a, name)
        elif target == "npz":
            from edgecnn.tooling.mnist import load_split

            path = scratch / name
            path.write_bytes(data)
            load_split("test", path)
        elif target == "frame":
            from edgecnn.capture import FrameSource
            from edgecnn.segment import segment

            path = scratch / name
            path.write_bytes(data)
            with FrameSource(str(path)) as src:
                for k, frame in enumerate(src):
                    assert frame.image.dtype == np.uint8 and frame.image.ndim == 3, "bad frame"
                    segment(frame.image)
                    if k >= 29:
                        break
        elif target == "keras":
            from edgecnn.export.convert import load_keras

            path = scratch / name
            path.write_bytes(data)
            model = load_keras(path)
            probs = np.asarray(model(np.zeros((1, 28, 28, 1), np.float32), training=False))
            assert probs.shape == (1, 10), f"bad output shape {probs.shape}"
        else:
            raise ValueError(target)
    except EdgeCNNError:
        return "refused"
    return "ok"


def worker(args) -> int:
    """Child process: feed inputs start..stop-1, one protocol line before and after each."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    seeds = load_seed_dir(Path(args.seed_dir), args.target)
    scratch = Path(tempfile.mkdtemp(prefix="edgecnn-fuzz-"))
    # the protocol gets its own copy of stdout; native libraries that print go to /dev/null
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    for i in range(args.start, args.stop):
        name, data = make_input(seeds, args.seed, args.target, i)
        out.write(f"start {i}\n")
        out.flush()
        try:
            verdict = feed(args.target, name, data, scratch, i)
        except BaseException as e:  # noqa: BLE001  (the whole point: report anything)
            if isinstance(e, KeyboardInterrupt):
                raise
            tb = traceback.extract_tb(e.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            msg = (str(e).strip().splitlines() or [""])[0][:160]
            out.write(f"crash {i} {type(e).__name__} at {where}: {msg}\n")
        else:
            out.write(f"{verdict} {i}\n")
        out.flush()
    return 0


def load_seed_dir(folder: Path, target: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((folder / target).iterdir())]


# ---------------------------------------------------------------------------- the driver

def run_target(target: str, n: int, seed: int, seed_dir: Path, timeout: float, crash_dir: Path) -> dict:
    stats = {"target": target, "inputs": 0, "ok": 0, "refused": 0, "crashes": 0, "hangs": 0, "deaths": 0, "kinds": {}}
    seeds = load_seed_dir(seed_dir, target)
    started = time.perf_counter()
    i = 0
    while i < n:
        cmd = [sys.executable, "-m", "edgecnn.tooling.fuzz", "--worker", "--target", target, "--seed", str(seed), "--seed-dir", str(seed_dir),
               "--start", str(i), "--stop", str(n)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                start_new_session=True)
        current = None
        last = time.monotonic()
        warmup = 120.0  # imports (onnxruntime, cv2) before the first input
        while True:
            limit = (warmup if current is None and stats["inputs"] == i else timeout)
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, limit - (time.monotonic() - last)))
            if not ready:
                if current is None:
                    raise SystemExit(f"{target}: worker did not start")
                stats["hangs"] += 1
                record(stats, crash_dir, seeds, seed, target, current, f"hang (> {timeout:g} s)")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                i = current + 1
                break
            line = proc.stdout.readline()
            if not line:  # the worker died
                code = proc.wait()
                if current is not None:
                    stats["deaths"] += 1
                    why = f"worker died ({signal.Signals(-code).name if code < 0 else f'exit {code}'})"
                    record(stats, crash_dir, seeds, seed, target, current, why)
                    i = current + 1
                else:
                    i = n if code == 0 else i
                    if code != 0:
                        raise SystemExit(f"{target}: worker failed before its first input (exit {code})")
                break
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind not in ("start", "ok", "refused", "crash"):
                continue
            idx = int(rest.split(" ", 1)[0])
            last = time.monotonic()
            if kind == "start":
                current = idx
                continue
            current = None
            stats["inputs"] += 1
            if kind in ("ok", "refused"):
                stats[kind] += 1
            else:
                record(stats, crash_dir, seeds, seed, target, idx, rest.split(" ", 1)[1])
            if stats["inputs"] % 1000 == 0:
                print(f"  {target}: {stats['inputs']:,}/{n:,} inputs, {stats['crashes']} crash(es)", file=sys.stderr, flush=True)
            if idx == n - 1:
                proc.wait()
                i = n
                break
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


def record(stats, crash_dir: Path, seeds, seed: int, target: str, i: int, why: str) -> None:
    if why.startswith(("hang", "worker died")):  # no "done" line came for it
        stats["inputs"] += 1
    stats["crashes"] += 1
    key = why.split(":")[0]
    stats["kinds"][key] = stats["kinds"].get(key, 0) + 1
    name, data = make_input(seeds, seed, target, i)
    crash_dir.mkdir(parents=True, exist_ok=True)
    path = crash_dir / f"{target}-{i:06d}-{name}"
    path.write_bytes(data)
    if stats["kinds"][key] <= 3:
        print(f"  CRASH {target} #{i} ({name}): {why} → {path}", file=sys.stderr, flush=True)


def prepare_seeds(folder: Path, targets, models: list[str], cache: Path) -> None:
    makers = {"image": image_seeds, "onnx": lambda: model_seeds(cache, models), "idx": idx_seeds, "npz": npz_seeds,
              "frame": frame_seeds, "keras": lambda: keras_seeds(cache)}
    for t in targets:
        d = folder / t
        d.mkdir(parents=True, exist_ok=True)
        for name, data in makers[t]().items():
            (d / name).write_bytes(data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--inputs", type=int, default=10_000, help="inputs per target (default 10,000)")
    ap.add_argument("-t", "--target", action="append", choices=TARGETS, help="target(s) to fuzz (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds one input may take before it counts as a hang")
    ap.add_argument("--model", action="append", default=[], help="ONNX file(s) to mutate (default: export a small one)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "edgecnn-fuzz-cache")
    ap.add_argument("--crash-dir", type=Path, default=Path(tempfile.gettempdir()) / "edgecnn-fuzz-crashes")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    ap.add_argument("--replay", type=Path, help="feed this one file to --target and show the traceback")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed-dir", help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        args.target = args.target[0] if isinstance(args.target, list) else args.target
        return worker(args)
    targets = args.target or list(TARGETS)
    if args.replay:
        scratch = Path(tempfile.mkdtemp(prefix="edgecnn-fuzz-"))
        name = args.replay.name.split("-", 2)[-1]
        print(feed(targets[0], name, args.replay.read_bytes(), scratch, 1))
        return 0
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edgecnn-fuzz-seeds-") as tmp:
        seed_dir = Path(tmp)
        prepare_seeds(seed_dir, targets, args.model, args.cache)
        results = []
        for t in targets:
            print(f"fuzzing {t}: {args.inputs:,} inputs from {len(list((seed_dir / t).iterdir()))} seed files", file=sys.stderr, flush=True)
            results.append(run_target(t, args.inputs, args.seed, seed_dir, args.timeout, args.crash_dir))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'target':<8} {'inputs':>8} {'loaded':>8} {'refused':>8} {'crashes':>8} {'hangs':>6} {'deaths':>7} {'seconds':>8}")
        for r in results:
            print(f"{r['target']:<8} {r['inputs']:>8,} {r['ok']:>8,} {r['refused']:>8,} {r['crashes']:>8} {r['hangs']:>6} "
                  f"{r['deaths']:>7} {r['seconds']:>8}")
            for kind, count in r["kinds"].items():
                print(f"         {count} × {kind}")
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
