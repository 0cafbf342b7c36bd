"""Photos users really have: every bad file gives one clear line; odd but valid pictures are read."""

from __future__ import annotations

import json
import os
import struct
import zlib

import cv2
import numpy as np
import pytest

from edgecnn.errors import EdgeCNNError
from edgecnn.imageio import decode_image, read_image
from reliability_helpers import assert_fails_cleanly, cli
from runtime_helpers import digits_image, tiny_onnx


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("onnx")
    return tiny_onnx(tmp_path_factory.mktemp("m") / "tiny.onnx")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb(fmt: str) -> bytes:
    """A header claiming 100,000 × 100,000 pixels (10 Gpx) and almost no data."""
    w = h = 100_000
    if fmt == "png":
        return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + _chunk(b"IEND", b"")
    if fmt == "bmp":
        return b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, 0, 0, 0, 0, 0)
    if fmt == "jpg":
        sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 60_000, 60_000, 1) + b"\x01\x11\x00"
        return b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + b"\xff\xd9"
    if fmt == "tif":
        entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (262, 3, 1, 1), (273, 4, 1, 8), (279, 4, 1, 1)]
        ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
        return b"II*\x00" + struct.pack("<I", 8) + ifd
    if fmt == "webp":
        b = (16383 - 1) | ((16383 - 1) << 14)  # VP8L: 16384 × 16384
        body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + b.to_bytes(4, "little")
        return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    raise ValueError(fmt)


@pytest.mark.parametrize("fmt", ["png", "bmp", "jpg", "tif", "webp"])
def test_decompression_bomb_refused_before_decoding(fmt, monkeypatch):
    def no_decoding(*a, **k):
        raise AssertionError("decoded a bomb")

    monkeypatch.setattr(cv2, "imdecode", no_decoding)
    with pytest.raises(EdgeCNNError, match="too large"):
        decode_image(bomb(fmt), name=f"bomb.{fmt}")


def test_permission_denied(tmp_path, monkeypatch):
    p = tmp_path / "secret.png"
    cv2.imwrite(str(p), np.zeros((8, 8), np.uint8))
    p.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read itself fail as it would for a user
        real_open = os.open

        def denied(path, *a, **k):
            if str(path) == str(p):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *a, **k)

        monkeypatch.setattr(os, "open", denied)
    with pytest.raises(EdgeCNNError, match="permission denied") as e:
        read_image(p)
    assert str(p) in str(e.value)


def write_case(folder, case):
    """A file (or folder) for each kind of bad input; returns its path."""
    rng = np.random.default_rng(0)
    p = folder / f"{case}.png"
    ok, png = cv2.imencode(".png", rng.integers(0, 256, (120, 120), dtype=np.uint8))
    if case == "directory":
        p.mkdir()
    elif case == "zero_bytes":
        p.write_bytes(b"")
    elif case == "truncated":
        p.write_bytes(png.tobytes()[: len(png) // 3])
    elif case == "text":
        p = folder / "notes.jpg"
        p.write_text("shopping list: 3 eggs, 1 loaf\n")
    elif case == "onnx":
        p = folder / "model.png"
        p.write_bytes(tiny_onnx(folder / "m.onnx").read_bytes())
    elif case == "random":
        p.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif case == "bomb":
        p.write_bytes(bomb("png"))
    elif case != "missing":
        raise ValueError(case)
    return p


BAD = {"missing": "no such file", "directory": "no image files found",  # a folder argument is read as a folder of photos
       "zero_bytes": "empty file", "truncated": "truncated",
       "text": "not an image", "onnx": "not an image", "random": "not an image", "bomb": "too large"}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_image_cli_one_line(tmp_path, model, case):
    p = write_case(tmp_path, case)
    r = cli("predict", p, "--model", model)
    assert_fails_cleanly(r, 1, str(p), BAD[case])
    assert r.stdout == ""


def test_batch_keeps_going_human_and_json(tmp_path, model):
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), digits_image((3, 1))[0])
    bad = [write_case(tmp_path, c) for c in ("zero_bytes", "truncated", "text")]
    files = [bad[0], good, bad[1], bad[2], good]
    r = cli("predict", *files, "--model", model)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stdout.count(f"{good}:") == 2  # the good file read both times, after the bad ones
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and all(str(b) in e for b, e in zip(bad, errors))
    assert "3 of 5 image(s) could not be read" in r.stderr
    r = cli("predict", *files, "--model", model, "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["failed"] == 3 and [("error" in e) for e in doc["images"]] == [True, False, True, True, False]
    assert doc["images"][1]["digits"]


def odd_images():
    rng = np.random.default_rng(1)
    page = digits_image((7, 2))[0]
    rgba = np.dstack([cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), np.full(page.shape, 255, np.uint8)])
    rgba[:20, :20, 3] = 0
    return {
        "one_pixel.png": np.full((1, 1), 128, np.uint8),
        "black.png": np.zeros((240, 320), np.uint8),
        "white.png": np.full((240, 320), 255, np.uint8),
        "noise.png": rng.integers(0, 256, (240, 320), dtype=np.uint8),
        "noise_color.jpg": rng.integers(0, 256, (240, 320, 3), dtype=np.uint8),
        "deep.png": page.astype(np.uint16) * 257,
        "deep.tiff": page.astype(np.uint16) * 257,
        "rgba.png": rgba,
        "thin.png": np.full((1, 2000), 200, np.uint8),
        "tall.bmp": np.full((900, 3), 30, np.uint8),
    }


def test_odd_but_valid_images_are_read(tmp_path, model):
    for name, img in odd_images().items():
        assert cv2.imwrite(str(tmp_path / name), img), name
    pal = tmp_path / "palette.png"  # 8-bit palette PNG (OpenCV cannot write one)
    rows = b"".join(b"\x00" + bytes([(x // 8 + y // 8) % 2 for x in range(64)]) for y in range(64))
    pal.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 3, 0, 0, 0))
                    + _chunk(b"PLTE", bytes([255, 255, 255, 0, 0, 0])) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b""))
    wrong_ext = tmp_path / "actually_png.jpg"  # the content decides, not the name
    cv2.imwrite(str(tmp_path / "x.png"), digits_image((5,))[0])
    (tmp_path / "x.png").rename(wrong_ext)
    r = cli("predict", tmp_path, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["failed"] == 0 and len(doc["images"]) == 12
    for entry in doc["images"]:
        w, h = entry["size"]["width"], entry["size"]["height"]
        for d in entry["digits"]:  # boxes inside the picture
            x, y, bw, bh = d["box"]
            assert bw >= 1 and bh >= 1 and x >= 0 and y >= 0 and x + bw <= w and y + bh <= h
    named = {e["file"].rsplit("/", 1)[-1]: e for e in doc["images"]}
    assert named["black.png"]["digits"] == [] and named["white.png"]["digits"] == []
    assert named["actually_png.jpg"]["digits"]


def test_png_chunk_past_the_end_refused_quickly(monkeypatch):
    """Found by scripts/fuzz.py: a 1 KB PNG whose chunk claims ~4 GB kept OpenCV busy for 17 s."""
    ok, buf = cv2.imencode(".png", np.zeros((48, 64), np.uint16))
    data = bytearray(buf.tobytes())
    data[33:37] = b"\x7f\x80\xff\xff"  # the length of the chunk after IHDR
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("decoded a corrupt PNG"))
    with pytest.raises(EdgeCNNError, match="truncated"):
        decode_image(bytes(data))


def fifo(path):
    """A named pipe at ``path``. A helper thread opens and closes its write end for a few seconds, so code that
    (wrongly) opens it for reading sees an empty file instead of blocking the test run forever."""
    import threading
    import time

    os.mkfifo(path)
    real_open = os.open  # tests below watch os.open

    def unblock():
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                os.close(real_open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # ENXIO: nobody is reading, which is what should happen
                time.sleep(0.05)

    threading.Thread(target=unblock, daemon=True).start()
    return path


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_pipes_and_devices_are_refused_before_opening(tmp_path, model, monkeypatch, kind):
    """Issue 14 items 3-4: a FIFO blocked until killed, /dev/zero read 3 GB; both are refused unopened."""
    special = fifo(tmp_path / "pipe.png") if kind == "fifo" else "/dev/zero"
    real_open = os.open

    def spy(path, *a, **k):
        assert str(path) != str(special), "opened a special file"
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", spy)
    for args in (("predict", special, "--model", model), ("predict", tmp_path / "none.png", "--model", special),
                 ("evaluate", special)):
        r = cli(*args)
        assert_fails_cleanly(r, 1, str(special), "pipe" if kind == "fifo" else "device")
    with pytest.raises(EdgeCNNError, match="only regular files"):
        read_image(special)


def test_folder_argument_skips_pipes(tmp_path, model):
    cv2.imwrite(str(tmp_path / "good.png"), digits_image((3,))[0])
    fifo(tmp_path / "pipe.png")
    r = cli("predict", tmp_path, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    assert [e["file"] for e in json.loads(r.stdout)["images"]] == [str(tmp_path / "good.png")]


def test_glob_does_not_follow_folder_symlinks(tmp_path, model):
    """Issue 14 item 3: ``**`` over a folder that links to itself never ended; links to folders are not followed."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "a" / "b" / "x.png"), digits_image((3,))[0])
    for name in ("loop1", "loop2"):
        (tmp_path / "a" / "b" / name).symlink_to(tmp_path / "a")
    (tmp_path / "a" / "link.png").symlink_to(tmp_path / "a" / "b" / "x.png")  # a link to a file still counts
    from edgecnn.fileio import safe_glob

    assert safe_glob(f"{tmp_path}/**/*.png") == [f"{tmp_path}/a/b/x.png", f"{tmp_path}/a/link.png"]
    r = cli("predict", f"{tmp_path}/**/*.png", "--model", model, "--json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["images"]) == 2


def _tiff_header(w, h, bits, samples, sample_format=1):
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, bits), (262, 3, 1, 2 if samples >= 3 else 1),
               (273, 4, 1, 8), (277, 3, 1, samples), (279, 4, 1, 1), (339, 3, 1, sample_format)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 8) + ifd


@pytest.mark.parametrize("fmt", ["tiff_f64_rgba", "tiff_u16_rgba", "png_u16_rgba"])
def test_memory_budget_counts_bytes_not_pixels(fmt, monkeypatch):
    """Issue 14 item 2: 8000² float64 RGBA peaked at 8.1 GB though under the pixel limit; refused by its
    decoded bytes (width × height × channels × bytes per sample), before decoding."""
    from edgecnn.imageio import MAX_DECODED_BYTES, MAX_PIXELS

    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the memory budget"))
    side = 7000
    assert side * side <= MAX_PIXELS
    if fmt == "tiff_f64_rgba":
        data = _tiff_header(side, side, 64, 4, sample_format=3)
    elif fmt == "tiff_u16_rgba":
        data = _tiff_header(side, side, 16, 4)
    else:
        color = 6 if fmt.endswith("rgba") else 2
        data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 16, color, 0, 0, 0)) + _chunk(b"IEND", b"")
    with pytest.raises(EdgeCNNError, match="too large to decode") as e:
        decode_image(data, name=f"deep.{fmt}")
    assert f"deep.{fmt}" in str(e.value) and f"limit {MAX_DECODED_BYTES / 1e6:.0f} MB" in str(e.value)


def test_deep_images_under_the_budget_are_read_in_bands(monkeypatch):
    """16-bit RGBA and float images convert band by band exactly as the whole-image formula does."""
    import edgecnn.imageio as imageio

    monkeypatch.setattr(imageio, "BAND_ELEMENTS", 1000)  # many bands even for a small image
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 65536, (50, 40, 4), dtype=np.uint16)
    u8 = (rgba.astype(np.float32) * (255 / 65535)).round().astype(np.uint8)
    a = u8[:, :, 3:4].astype(np.float32) / 255
    want = (u8[:, :, :3].astype(np.float32) * a + 255 * (1 - a)).round().astype(np.uint8)
    assert np.array_equal(imageio.to_bgr8(rgba), want)
    f = rng.normal(0, 100, (50, 40)).astype(np.float64)
    f[0, 0] = np.nan
    from edgecnn.segment import to_u8

    assert np.array_equal(imageio.to_bgr8(f), to_u8(f))
    ok, buf = cv2.imencode(".png", rgba)
    assert decode_image(buf.tobytes()).shape == (50, 40, 3)


def _os2_bmp(w, h, rows=True):
    """A 24-bit OS/2 (BITMAPCOREHEADER, 16-bit sizes) bitmap."""
    row = bytes([0, 0, 255] * w) + b"\0" * (-3 * w % 4)
    pix = row * h if rows else b""
    return b"BM" + struct.pack("<IHHI", 26 + len(pix), 0, 0, 26) + struct.pack("<IHHHH", 12, w, h, 1, 24) + pix


def test_valid_os2_bmp_is_read(tmp_path):
    """Issue 14 item 15: a valid 10×10 OS/2 BMP was refused as 'image too large (655370×1572865)'."""
    p = tmp_path / "os2.bmp"
    p.write_bytes(_os2_bmp(10, 10))
    assert read_image(p).shape[:2] == (10, 10)


def test_tall_bmp_is_too_large_not_corrupt(monkeypatch):
    """Issue 14 item 15: a 1×60,000,000 BMP was called 'truncated or corrupt'; it is over the side limit."""
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the side limit"))
    data = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 1, 60_000_000, 1, 24, 0, 0, 0, 0, 0, 0)
    with pytest.raises(EdgeCNNError, match="too large"):
        decode_image(data, name="tall.bmp")


def test_progressive_jpeg_with_repeated_scans_refused(monkeypatch):
    """Issue 14 item 3: a progressive JPEG whose last scan is repeated thousands of times took minutes of CPU."""
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes()
    last = jpg.rindex(b"\xff\xda")
    assert decode_image(jpg).shape[:2] == (64, 64)
    bomb_ = jpg[:last] + jpg[last:-2] * 500 + b"\xff\xd9"
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("decoded a JPEG with too many scans"))
    with pytest.raises(EdgeCNNError, match="scans"):
        decode_image(bomb_, name="scans.jpg")


PEAK_SCRIPT = """
import resource, sys
import cv2, numpy as np
import edgecnn.segment
from edgecnn.imageio import read_image
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
img = read_image(sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024, img.shape)
"""


def _peak_read(path) -> int:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.split()[0])


def _gradient(h, w, c, dtype, hi):
    return np.broadcast_to(np.linspace(0, hi, w)[None, :, None], (h, w, c)).astype(dtype)


def test_memory_of_a_deep_rgba_image_stays_near_its_decoded_size(tmp_path):
    """16-bit RGBA with transparency took ~7× its decoded size (float copies of the whole image); now ~2×
    (measured: 249 MB before, 74 MB now for this 32 MB image)."""
    img = _gradient(2000, 2000, 4, np.uint16, 65535)
    img[:, :50, 3] = 0
    p = tmp_path / "deep.png"
    cv2.imwrite(str(p), img)
    decoded = img.nbytes  # 32 MB
    assert _peak_read(p) < 2.5 * decoded


@pytest.mark.slow
def test_worst_accepted_image_stays_under_the_memory_ceiling(tmp_path):
    """The README's ceiling: reading any accepted image adds under 1 GiB (measured worst: float64 RGBA TIFF)."""
    from edgecnn.imageio import MAX_DECODED_BYTES

    side = int((MAX_DECODED_BYTES / 32) ** 0.5) - 8
    p = tmp_path / "f64.tiff"
    cv2.imwrite(str(p), _gradient(side, side, 4, np.float64, 1.0))
    assert _peak_read(p) < 1 << 30


def test_codec_libraries_print_nothing(capfd):
    """Issue 14 item 12: libjpeg ("Corrupt JPEG data"), libtiff and OpenCV's own log ("[ WARN:0]", "[ERROR:0]")
    wrote lines to stderr beside our one error line."""
    img = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    jpg = bytearray(cv2.imencode(".jpg", img)[1].tobytes())
    jpg[2000:2010] = b"\xff\xd0" * 5  # restart markers in the middle of the scan: libjpeg warns
    odd_tiff = _tiff_header(10, 10, 8, 3) + b"\0" * 300  # no real strip sizes: libtiff warns
    bad_gif = b"GIF89a\x0a\x00\x0a\x00" + b"\x00" * 40  # OpenCV logs an ERROR line
    for data in (bytes(jpg), odd_tiff, bad_gif):
        try:
            decode_image(data, name="odd")
        except EdgeCNNError:
            pass
    out = capfd.readouterr()
    assert out.err == "" and out.out == ""


def test_progressive_jpeg_scan_budget_scales_with_the_picture(monkeypatch):
    """Decode work is scans × pixels: a big picture may have fewer scans (64 scans at 8000² took 13.7 s)."""
    import edgecnn.imageio as imageio
    from edgecnn.imageheader import jpeg_walk

    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes()
    scans = jpeg_walk(jpg)[1]
    assert decode_image(jpg).shape[:2] == (64, 64)
    monkeypatch.setattr(imageio, "MAX_SCAN_PIXELS", 64 * 64 * (scans - 1))
    with pytest.raises(EdgeCNNError, match=f"{scans} scans"):
        decode_image(jpg, name="work.jpg")


@pytest.mark.parametrize("kind", ["png_empty_chunks", "jpeg_empty_segments", "jpeg_stuffed_scan"])
def test_structure_floods_are_quick(kind):
    """A 24 MB file made of 2 million empty PNG chunks (or JPEG segments, or stuffed scan bytes) kept our structure
    walk and libpng busy for seconds per 10 MB; it is refused or read in well under a second."""
    import time

    if kind == "png_empty_chunks":
        png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
        data = png[:33] + _chunk(b"tEXt", b"") * 2_000_000 + png[33:]
    else:
        jpg = cv2.imencode(".jpg", np.zeros((8, 8), np.uint8))[1].tobytes()
        if kind == "jpeg_empty_segments":
            data = jpg[:2] + b"\xff\xe0\x00\x02" * 6_000_000 + jpg[2:]
        else:
            sos = jpg.rindex(b"\xff\xda")
            data = jpg[: sos + 2 + int.from_bytes(jpg[sos + 2: sos + 4], "big")] + b"\xff\x00" * 12_000_000 + b"\xff\xd9"
    t0 = time.perf_counter()
    try:
        decode_image(data, name=kind)
    except EdgeCNNError:
        pass
    assert time.perf_counter() - t0 < 1.5


def test_deep_png_without_alpha_over_the_budget_is_decoded_at_8_bits(monkeypatch):
    """Issue 14 item 2 ("reduce depth at decode where OpenCV allows"): a 7000² 16-bit RGB PNG (294 MB at 16 bits)
    is read through libpng's 16 → 8 bit stripping (147 MB) instead of being refused; with alpha it is refused."""
    seen = []

    def fake_imdecode(buf, flags):
        seen.append(flags)
        return np.zeros((8, 8, 3), np.uint8)

    monkeypatch.setattr(cv2, "imdecode", fake_imdecode)
    monkeypatch.setattr("edgecnn.imageio.png_walk", lambda data: (True, 2))
    rgb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 7000, 7000, 16, 2, 0, 0, 0)) + _chunk(b"IEND", b"")
    decode_image(rgb, name="deep_rgb.png")
    assert seen == [cv2.IMREAD_ANYCOLOR]  # 8-bit output, not IMREAD_UNCHANGED's 16
    rgba = rgb.replace(struct.pack(">IIBB", 7000, 7000, 16, 2), struct.pack(">IIBB", 7000, 7000, 16, 6))
    with pytest.raises(EdgeCNNError, match="too large to decode"):
        decode_image(rgba, name="deep_rgba.png")
