"""Safe image reading: formats, depths, channels, and one clear error for every bad file."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from edgecnn.errors import EdgeCNNError
from edgecnn.imageheader import header_size
from edgecnn.imageio import decode_image, read_image


@pytest.fixture
def page():
    img = np.full((40, 60, 3), 220, np.uint8)
    cv2.putText(img, "42", (5, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    return img


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".tiff", ".webp"])
def test_formats(tmp_path, page, ext):
    path = tmp_path / f"p{ext}"
    assert cv2.imwrite(str(path), page)
    img = read_image(path)
    assert img.dtype == np.uint8 and img.shape[:2] == (40, 60)
    assert header_size(path.read_bytes()) == (60, 40)


def test_jpeg_exif_orientation_is_applied(tmp_path):
    """A phone photo stored landscape with EXIF Orientation 6 ("rotate 90° clockwise") is read upright."""
    img = np.zeros((60, 100), np.uint8)
    img[:, :10] = 255  # a bar along the stored left edge: upright, it runs along the top
    jpg = cv2.imencode(".jpg", img)[1].tobytes()
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + tiff
    path = tmp_path / "phone.jpg"
    path.write_bytes(jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpg[2:])
    out = read_image(path)
    assert out.shape == (100, 60)
    assert out[:8].mean() > 200 and out[20:].mean() < 30


def test_16bit_gray(tmp_path):
    a = (np.linspace(0, 65535, 50 * 30).reshape(30, 50)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), a)
    img = read_image(tmp_path / "a.png")
    assert img.dtype == np.uint8 and img.max() == 255 and img.shape == (30, 50)


def test_rgba_composited_on_white(tmp_path):
    a = np.zeros((10, 10, 4), np.uint8)  # transparent black
    a[3:6, 3:6] = (0, 0, 0, 255)          # an opaque black square
    cv2.imwrite(str(tmp_path / "a.png"), a)
    img = read_image(tmp_path / "a.png")
    assert img.shape == (10, 10, 3) and img[0, 0].tolist() == [255, 255, 255] and img[4, 4].tolist() == [0, 0, 0]


def _png(width, height, color_type=3, bit_depth=8, body=b""):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + body + chunk(b"IEND", b"")


def test_palette_png(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    plte = chunk(b"PLTE", bytes([255, 255, 255, 0, 0, 0]))
    rows = b"".join(b"\x00" + bytes([(x + y) % 2 for x in range(4)]) for y in range(4))
    data = _png(4, 4, 3, 8, plte + chunk(b"IDAT", zlib.compress(rows)))
    (tmp_path / "p.png").write_bytes(data)
    img = read_image(tmp_path / "p.png")
    assert img.shape[:2] == (4, 4) and img.max() == 255 and img.min() == 0


def test_tiny_image(tmp_path):
    cv2.imwrite(str(tmp_path / "one.png"), np.zeros((1, 1), np.uint8))
    assert read_image(tmp_path / "one.png").shape == (1, 1)


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("folder", "is a folder"),
    ("empty", "empty file"),
    ("text", "not an image"),
    ("random", "not an image"),
    ("truncated_png", "truncated"),
    ("truncated_jpg", "truncated"),
    ("huge", "too large"),
])
def test_bad_files(tmp_path, page, case, message):
    p = tmp_path / f"{case}.png"
    if case == "folder":
        p.mkdir()
    elif case == "empty":
        p.write_bytes(b"")
    elif case == "text":
        p.write_text("hello, not a picture\n")
    elif case == "random":
        p.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    elif case == "truncated_png":
        ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8))
        p.write_bytes(buf.tobytes()[: len(buf) // 2])
    elif case == "truncated_jpg":
        ok, buf = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8))
        p.write_bytes(buf.tobytes()[: len(buf) // 2])
    elif case == "huge":  # a header claiming 100k × 100k pixels: refused before decoding
        p.write_bytes(_png(100_000, 100_000, 0, 8))
    with pytest.raises(EdgeCNNError, match=message) as e:
        read_image(p)
    assert str(p) in str(e.value)


def _exif_thumbnail_app1(thumb: bytes) -> bytes:
    """An APP1 EXIF segment carrying an embedded JPEG thumbnail (its own FFD8 … FFD9)."""
    body = b"Exif\x00\x00II*\x00" + struct.pack("<IH", 8, 0) + struct.pack("<I", 0) + thumb
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


@pytest.mark.parametrize("trailer", [
    b"MotionPhoto_Data" + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40,  # Samsung motion photo
    b"\x00" * 4096,                                                              # maker padding
    b"\xff\xd8\xff\xe0 junk \xff\xd9 and more junk \xff",                          # markers in the trailer
])
def test_jpeg_with_bytes_after_the_end_marker_is_read(tmp_path, page, trailer):
    """Issue 13 class 1: Samsung/Motorola photos carry trailers after FFD9; OpenCV decodes them, so must we."""
    jpg = cv2.imencode(".jpg", page)[1].tobytes()
    path = tmp_path / "phone.jpg"
    path.write_bytes(jpg + trailer)
    assert cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_ANYCOLOR) is not None
    img = read_image(path)
    assert img.shape[:2] == (40, 60)
    assert np.abs(img.astype(int) - decode_image(jpg).astype(int)).max() == 0


def test_png_with_bytes_after_iend_is_read(tmp_path, page):
    png = cv2.imencode(".png", page)[1].tobytes()
    (tmp_path / "p.png").write_bytes(png + b"trailer" * 100)
    assert read_image(tmp_path / "p.png").shape[:2] == (40, 60)


@pytest.mark.parametrize("progressive", [False, True])
def test_truncated_jpeg_still_refused_despite_a_thumbnail_end_marker(tmp_path, page, progressive):
    """The thumbnail inside EXIF ends with FFD9 too: only the main picture's end marker counts."""
    thumb = cv2.imencode(".jpg", page[:8, :8])[1].tobytes()
    big = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    jpg = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)])[1].tobytes()
    whole = jpg[:2] + _exif_thumbnail_app1(thumb) + jpg[2:]
    (tmp_path / "whole.jpg").write_bytes(whole)
    assert read_image(tmp_path / "whole.jpg").shape[:2] == (120, 160)
    for cut in (len(whole) - 2, len(whole) * 2 // 3):
        (tmp_path / "cut.jpg").write_bytes(whole[:cut])
        with pytest.raises(EdgeCNNError, match="truncated"):
            read_image(tmp_path / "cut.jpg")


@pytest.mark.parametrize("ext", [".gif", ".avif", ".jp2", ".hdr", ".ras", ".pfm", ".pam"])
def test_every_format_opencv_reads_is_read(tmp_path, page, ext):
    """Issue 13 class 1 / issue 14 item 15: every image OpenCV decodes must be read; these were refused as
    'not an image' because the header parser did not know them."""
    data = page.astype(np.float32) / 255 if ext in (".hdr", ".pfm") else page
    ok, buf = cv2.imencode(ext, data)
    assert ok and cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) is not None
    path = tmp_path / f"p{ext}"
    path.write_bytes(buf.tobytes())
    img = read_image(path)
    assert img.dtype == np.uint8 and img.shape[:2] == (40, 60)
    assert header_size(buf.tobytes()) == (60, 40)
    assert img[20, 5:55].min() < 100 < img[2, :].min()  # dark ink on a light page survives the conversion


@pytest.mark.parametrize("fmt, data", [
    ("pfm", b"PF\n7000 7000\n-1\n" + b"\0" * 64),                                  # float32 RGB: 588 MB decoded
    ("hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 9000 +X 9000\n" + b"\0" * 64),  # 81 Mpx
    ("ras", b"\x59\xa6\x6a\x95" + struct.pack(">IIIIIII", 100_000, 100_000, 24, 0, 1, 0, 0)),
    ("pam", b"P7\nWIDTH 6000\nHEIGHT 6000\nDEPTH 4\nMAXVAL 65535\nTUPLTYPE RGB_ALPHA\nENDHDR\n"),
    ("jp2", b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x2djp2h\x00\x00\x00\x16ihdr"
            + struct.pack(">IIHBBBB", 5000, 5000, 3, 7, 7, 0, 0)),                # int32 planes: 300 MB
    ("avif", b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1" + b"\x00\x00\x00\x14ispe\x00\x00\x00\x00"
             + struct.pack(">II", 20000, 20000)),
])
def test_bombs_in_every_format_refused_before_decoding(fmt, data, monkeypatch):
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("decoded a bomb"))
    with pytest.raises(EdgeCNNError, match="too large"):
        decode_image(data, name=f"bomb.{fmt}")


@pytest.mark.parametrize("data", [b"P7\nHEIGHT 4\nDEPTH 1\nMAXVAL 255\nENDHDR\n" + b"\0" * 16,  # no WIDTH
                                  b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +Z 4\n" + b"\0" * 64])  # no X
def test_header_missing_a_field_is_corrupt_not_a_crash(data):
    """Found by scripts/fuzz.py: a PAM without WIDTH or an HDR without its X size raised KeyError."""
    with pytest.raises(EdgeCNNError, match="corrupt image header"):
        decode_image(data, name="odd")
