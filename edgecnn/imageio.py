"""Safe image reading: one clear :class:`EdgeCNNError` for anything that is not a usable picture.

``read_image(path)`` returns a uint8 array, ``H×W`` grey or ``H×W×3`` BGR: 16-bit images are
scaled to 8 bits, alpha is composited onto white, palettes are expanded (OpenCV does), and a
JPEG's EXIF orientation is applied (phone photos are stored sideways with a rotation tag).

Decompression bombs: the width and height are read from the file's header (PNG, JPEG, BMP,
TIFF, WebP, GIF) *before* decoding, and images above ``MAX_PIXELS`` are refused. OpenCV's
own ``OPENCV_IO_MAX_IMAGE_PIXELS`` guard is set to the same limit as a second line.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from .errors import EdgeCNNError

MAX_PIXELS = 64_000_000  # 8000 × 8000
MAX_BYTES = 256 * 1024 * 1024
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pbm", ".pgm", ".ppm", ".pnm"}

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as uint8 grey or BGR; raise EdgeCNNError naming the file and the problem."""
    from .fileio import read_regular

    path = Path(path)
    data = read_regular(path, MAX_BYTES, kind="an image")  # refuses FIFOs and devices before opening them
    return decode_image(data, name=str(path), max_pixels=max_pixels)


def decode_image(data: bytes, name: str = "image", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes (see :func:`read_image`)."""
    import cv2

    if not data:
        raise EdgeCNNError(f"{name}: empty file (0 bytes)")
    dims = header_size(data)
    if dims is None:
        raise EdgeCNNError(f"{name}: not an image (unknown format; PNG, JPEG, BMP, TIFF and WebP are supported)")
    w, h = dims
    if w <= 0 or h <= 0:
        raise EdgeCNNError(f"{name}: corrupt image header (size {w}×{h})")
    if w * h > max_pixels:
        raise EdgeCNNError(f"{name}: image too large ({w}×{h} = {w * h / 1e6:.0f} Mpx; limit {max_pixels / 1e6:.0f} Mpx)")
    if data[:8] == b"\x89PNG\r\n\x1a\n" and not _png_chunks_fit(data):
        # OpenCV's PNG reader can spend many seconds on a chunk that claims gigabytes (found by fuzzing)
        raise EdgeCNNError(f"{name}: truncated image file (a PNG chunk runs past the end of the file)")
    # JPEG (no alpha, 8-bit): ANYCOLOR applies the EXIF orientation of phone photos, which UNCHANGED ignores.
    # Other formats: UNCHANGED keeps alpha (composited onto white below) and 16-bit depth.
    flags = cv2.IMREAD_ANYCOLOR if data[:3] == b"\xff\xd8\xff" else cv2.IMREAD_UNCHANGED
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise EdgeCNNError(f"{name}: cannot decode image (truncated or corrupt)")
    if _truncated(data):
        raise EdgeCNNError(f"{name}: truncated image file")
    return to_bgr8(img)


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Decoded array of any depth/channels → uint8 grey or BGR (alpha onto white)."""
    import cv2

    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img.astype(np.float32) * (255.0 / 65535.0)).round().astype(np.uint8)
        else:
            from .segment import _to_u8

            img = _to_u8(img)
    if img.ndim == 2:
        return img
    c = img.shape[2]
    if c == 2:
        gray = img[:, :, 0].astype(np.float32)
        a = img[:, :, 1].astype(np.float32) / 255.0
        return (gray * a + 255 * (1 - a)).round().astype(np.uint8)
    if c >= 4:
        bgr, a = img[:, :, :3].astype(np.float32), img[:, :, 3:4].astype(np.float32) / 255.0
        if a.min() >= 1.0:
            return np.ascontiguousarray(img[:, :, :3])
        return (bgr * a + 255 * (1 - a)).round().astype(np.uint8)
    return img if c == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def _truncated(data: bytes) -> bool:
    """JPEG without its end marker or PNG without IEND: OpenCV may decode a partial picture.

    Bytes *after* the end (phone makers' trailers, a motion photo's video) are not truncation:
    the file's own structure is walked to find where the picture ends.
    """
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_walk(data)[0] is None
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return not _png_chunks_fit(data)
    return False


def _jpeg_walk(data: bytes) -> tuple[int | None, int]:
    """(offset just past the JPEG's end marker or None if there is none, number of scans).

    Segments are skipped by their length (an EXIF thumbnail's own markers are never seen);
    entropy-coded data after a scan header ends at the first marker that is not a stuffed
    byte or a restart marker.
    """
    i, n, scans = 2, len(data), 0
    while i + 1 < n:
        if data[i] != 0xFF:  # stray bytes between segments: libjpeg skips them too
            i = data.find(b"\xff", i)
            if i < 0:
                return None, scans
            continue
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            return i + 2, scans
        if marker in (0x00, 0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if i + 4 > n:
            return None, scans
        end = i + 2 + int.from_bytes(data[i + 2: i + 4], "big")
        if marker != 0xDA:
            i = end
            continue
        scans += 1
        j = end
        while True:  # entropy-coded data
            j = data.find(b"\xff", j)
            if j < 0 or j + 1 >= n:
                return None, scans
            m = data[j + 1]
            if m == 0x00 or 0xD0 <= m <= 0xD7:
                j += 2
            elif m == 0xFF:
                j += 1
            else:
                break
        i = j
    return None, scans


def _png_chunks_fit(data: bytes) -> bool:
    """Every PNG chunk up to IEND lies inside ``data`` (and within the format's 2³¹−1 byte limit)."""
    i = 8
    while i + 12 <= len(data):
        n = struct.unpack(">I", data[i: i + 4])[0]
        if n > 0x7FFFFFFF or i + 12 + n > len(data):
            return False
        if data[i + 4: i + 8] == b"IEND":
            return True
        i += 12 + n
    return False


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, JPEG, BMP, TIFF, WebP, GIF or PNM file; None if unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:2] == b"BM":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:3] == b"\xff\xd8\xff":
            return _jpeg_size(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:1] == b"P" and data[1:2] in b"123456" and len(data) > 2:
            parts = []
            for line in data[2:200].split(b"\n"):
                line = line.split(b"#")[0]
                parts += line.split()
                if len(parts) >= 2:
                    return int(parts[0]), int(parts[1])
    except (struct.error, ValueError, IndexError):
        return (0, 0)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2: i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5: i + 9])
            return w, h
        i += 2 + length
    return (0, 0)


def _tiff_size(data: bytes) -> tuple[int, int]:
    e = "<" if data[:2] == b"II" else ">"
    off = struct.unpack(e + "I", data[4:8])[0]
    n = struct.unpack(e + "H", data[off: off + 2])[0]
    w = h = 0
    for k in range(n):
        tag, typ, _, val = struct.unpack(e + "HHI4s", data[off + 2 + 12 * k: off + 14 + 12 * k])
        v = struct.unpack(e + ("H" if typ == 3 else "I"), val[:2] if typ == 3 else val)[0]
        if tag == 256:
            w = v
        elif tag == 257:
            h = v
    return w, h


def _webp_size(data: bytes) -> tuple[int, int]:
    kind = data[12:16]
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L":
        b = int.from_bytes(data[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return (0, 0)


def is_image_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in EXTENSIONS
