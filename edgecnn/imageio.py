"""Safe image reading: one clear :class:`EdgeCNNError` for anything that is not a usable picture.

``read_image(path)`` returns a uint8 array, ``H×W`` grey or ``H×W×3`` BGR: 16-bit images are
scaled to 8 bits, alpha is composited onto white, palettes are expanded (OpenCV does), and a
JPEG's EXIF orientation is applied (phone photos are stored sideways with a rotation tag).

Decompression bombs: the width, height, channels and sample depth are read from the file's
header (PNG, JPEG, BMP, TIFF, WebP, GIF, AVIF, JPEG 2000, PNM/PAM/PFM, Radiance HDR, Sun raster:
every format this OpenCV reads) *before* decoding, and an image is refused when
it has more than ``MAX_PIXELS`` pixels, a side over ``MAX_SIDE``, or would decode to more than
``MAX_DECODED_BYTES`` (width × height × channels × bytes per sample: a float64 RGBA TIFF
counts 32 bytes a pixel). A progressive JPEG with more than ``MAX_JPEG_SCANS`` scans, or more
scans × pixels than ``MAX_SCAN_PIXELS``, is refused too (each scan is a full pass of decoding work). OpenCV's own
``OPENCV_IO_MAX_IMAGE_PIXELS`` guard is set to the same pixel limit as a second line. The
conversion to 8 bits works in bands of rows, so peak memory stays near file + decoded size.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import sys
import threading
from pathlib import Path

import numpy as np

from .errors import EdgeCNNError

MAX_PIXELS = 64_000_000  # 8000 × 8000
MAX_SIDE = 1 << 20  # OpenCV's own limit for either side (CV_IO_MAX_IMAGE_WIDTH/HEIGHT)
MAX_DECODED_BYTES = 256_000_000  # an 8-bit RGBA image of MAX_PIXELS; 16-bit RGBA up to 32 Mpx
MAX_JPEG_SCANS = 64  # progressive JPEGs have about 10; each scan costs a pass over the picture
MAX_PNG_CHUNKS = 200_000  # a 256 MiB PNG in libpng's 8 KB IDAT chunks has 32,000
MAX_JPEG_SEGMENTS = 100_000  # markers walked in one JPEG (real files: tens to a few hundred)
MAX_SCAN_PIXELS = 1_500_000_000  # scans × pixels: decode work (23 scans at 64 Mpx, ~5 s; 64 scans up to 23 Mpx)
MAX_BYTES = 256 * 1024 * 1024
BAND_ELEMENTS = 1 << 20  # samples converted at a time (float temporaries of ~4 MB each)
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pbm", ".pgm", ".ppm", ".pnm",
              ".pam", ".pfm", ".gif", ".avif", ".jp2", ".j2k", ".hdr", ".pic", ".ras", ".sr"}

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
    head = header_info(data)
    if head is None:
        raise EdgeCNNError(f"{name}: not an image (unknown format; PNG, JPEG, BMP, TIFF, WebP, GIF, AVIF, JPEG 2000, "
                          "PNM/PAM/PFM, HDR and Sun raster are read)")
    w, h, channels, depth = head
    if w <= 0 or h <= 0:
        raise EdgeCNNError(f"{name}: corrupt image header (size {w}×{h})")
    if w * h > max_pixels or max(w, h) > MAX_SIDE:
        limit = f"{max_pixels / 1e6:.0f} Mpx" if w * h > max_pixels else f"{MAX_SIDE} px a side"
        raise EdgeCNNError(f"{name}: image too large ({w}×{h} = {w * h / 1e6:.0f} Mpx; limit {limit})")
    decoded = w * h * channels * depth
    png = data[:8] == b"\x89PNG\r\n\x1a\n"
    # 16-bit PNG without alpha: libpng can strip to 8 bits row by row, so only the 8-bit picture is held
    to_8bit = png and depth == 2 and channels in (1, 3) and decoded > MAX_DECODED_BYTES >= w * h * channels
    if decoded > MAX_DECODED_BYTES and not to_8bit:
        raise EdgeCNNError(f"{name}: image too large to decode ({w}×{h}, {channels} channel(s) of {8 * depth} bits = "
                           f"{decoded / 1e6:.0f} MB; limit {MAX_DECODED_BYTES / 1e6:.0f} MB)")
    if png:
        fits, chunks = _png_walk(data)
        if chunks > MAX_PNG_CHUNKS:  # millions of empty chunks: seconds of work each for us and libpng
            raise EdgeCNNError(f"{name}: PNG has over {MAX_PNG_CHUNKS:,} chunks; refused as corrupt")
        if not fits:
            # OpenCV's PNG reader can spend many seconds on a chunk that claims gigabytes (found by fuzzing)
            raise EdgeCNNError(f"{name}: truncated image file (a PNG chunk runs past the end of the file)")
    if data[:3] == b"\xff\xd8\xff":
        end, scans = _jpeg_walk(data)
        if scans > MAX_JPEG_SCANS or scans * w * h > MAX_SCAN_PIXELS:
            limit = min(MAX_JPEG_SCANS, max(1, MAX_SCAN_PIXELS // (w * h)))
            raise EdgeCNNError(f"{name}: JPEG has {scans} scans (limit {limit} at {w}×{h}); refused, as decoding "
                               "it would take too long")
        if end is None:  # no end marker: libjpeg would fill the missing part with grey and say nothing
            raise EdgeCNNError(f"{name}: truncated image file")
    # JPEG (no alpha, 8-bit): ANYCOLOR applies the EXIF orientation of phone photos, which UNCHANGED ignores.
    # Other formats: UNCHANGED keeps alpha (composited onto white below) and 16-bit depth.
    flags = cv2.IMREAD_ANYCOLOR if data[:3] == b"\xff\xd8\xff" or to_8bit else cv2.IMREAD_UNCHANGED
    _quiet_opencv()
    try:
        with quiet_stderr():  # libjpeg and libtiff print their own warnings straight to stderr
            img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise EdgeCNNError(f"{name}: cannot decode image (truncated or corrupt)")
    return to_bgr8(img)


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2 to /dev/null while C libraries run (the one-line error contract holds for them too)."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield
            return
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _quiet_opencv() -> None:
    """OpenCV's own log lines ("[ WARN:0] ... TIFFReadDirectory", "[ERROR:0] imdecode_") off, once."""
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:  # pragma: no cover - very old OpenCV
        pass


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Decoded array of any depth/channels → uint8 grey or BGR (alpha onto white).

    Works in bands of rows, so the float temporaries stay small whatever the image's size.
    """
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] >= 4 and img.dtype == np.uint8 and img[:, :, 3].min() == 255:
        return np.ascontiguousarray(img[:, :, :3])  # opaque alpha: drop it
    if img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8:
        return img
    if img.ndim == 2 and img.dtype == np.uint8:
        return img
    scale = _depth_scale(img) if img.dtype not in (np.uint8, np.uint16) else None
    c = img.shape[2] if img.ndim == 3 else 1
    out_c = 1 if c <= 2 else 3
    out = np.empty(img.shape[:2] + ((out_c,) if out_c > 1 else ()), np.uint8)
    rows = max(1, BAND_ELEMENTS // max(1, img.shape[1] * c))
    for r in range(0, img.shape[0], rows):
        band = img[r: r + rows]
        if band.dtype == np.uint16:
            band = (band.astype(np.float32) * (255.0 / 65535.0)).round().astype(np.uint8)
        elif band.dtype != np.uint8:
            band = _scaled_u8(band, scale)
        if c == 2:
            gray, a = band[:, :, 0].astype(np.float32), band[:, :, 1].astype(np.float32) / 255.0
            band = (gray * a + 255 * (1 - a)).round().astype(np.uint8)
        elif c >= 4:
            bgr, a = band[:, :, :3].astype(np.float32), band[:, :, 3:4].astype(np.float32) / 255.0
            band = (bgr * a + 255 * (1 - a)).round().astype(np.uint8)
        out[r: r + rows] = band
    return out


def _depth_scale(img: np.ndarray) -> tuple[str, float, float]:
    """How :func:`_scaled_u8` maps this array's values to 0..255 (the rules of ``segment.to_u8``), from global
    statistics gathered band by band."""
    if img.dtype == bool:
        return ("bool", 0.0, 0.0)
    integer = np.issubdtype(img.dtype, np.integer)
    lo, hi = np.inf, -np.inf
    rows = max(1, BAND_ELEMENTS // max(1, img[0].size))
    for r in range(0, img.shape[0], rows):
        band = img[r: r + rows]
        if not integer:
            band = np.nan_to_num(band.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = min(lo, float(band.min())), max(hi, float(band.max()))
    if integer and lo >= 0:
        if hi <= 255:
            return ("int8", 0.0, 1.0)
        return ("int16", 0.0, 255.0 / (65535 if hi > 4095 else 4095))
    if lo >= 0 and hi <= 1.0:
        return ("float", 0.0, 255.0)
    if lo < 0 or hi > 255:
        return ("float", lo, 255.0 / (hi - lo) if hi > lo else 0.0)
    return ("float", 0.0, 1.0)


def _scaled_u8(band: np.ndarray, scale: tuple[str, float, float]) -> np.ndarray:
    kind, lo, k = scale
    if kind == "bool":
        return band.astype(np.uint8) * 255
    if kind == "int8":
        return band.astype(np.uint8)
    if kind == "int16":
        return (band.astype(np.float32) * k).round().clip(0, 255).astype(np.uint8)
    a = np.nan_to_num(band.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return ((a - lo) * k).round().clip(0, 255).astype(np.uint8)


def _jpeg_walk(data: bytes) -> tuple[int | None, int]:
    """(offset just past the JPEG's end marker or None if there is none, number of scans).

    Segments are skipped by their length (an EXIF thumbnail's own markers are never seen);
    entropy-coded data after a scan header ends at the first marker that is not a stuffed
    byte or a restart marker. Bytes after the end marker (phone makers' trailers, a motion
    photo's video) are not truncation, and are not looked at.
    """
    i, n, scans, segments = 2, len(data), 0, 0
    while i + 1 < n:
        segments += 1
        if segments > MAX_JPEG_SEGMENTS:  # real files have dozens; a flood of empty segments is not a picture
            return None, scans
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
        m = _NEXT_MARKER.search(data, end)  # entropy-coded data ends at the first real marker (C speed)
        if m is None:
            return None, scans
        i = m.start()
    return None, scans


# 0xFF followed by a byte that is not a stuffed zero, a restart marker or another fill byte
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _png_chunks_fit(data: bytes) -> bool:
    """Every PNG chunk up to IEND lies inside ``data`` (and within the format's 2³¹−1 byte limit)."""
    return _png_walk(data)[0]


def _png_walk(data: bytes) -> tuple[bool, int]:
    """(every chunk up to IEND fits in ``data``, chunks seen); stops after ``MAX_PNG_CHUNKS`` + 1 chunks."""
    i, chunks = 8, 0
    while i + 12 <= len(data):
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            return False, chunks
        n = struct.unpack(">I", data[i: i + 4])[0]
        if n > 0x7FFFFFFF or i + 12 + n > len(data):
            return False, chunks
        if data[i + 4: i + 8] == b"IEND":
            return True, chunks
        i += 12 + n
    return False, chunks


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of an image file OpenCV reads (see :func:`header_info`); None if unknown."""
    info = header_info(data)
    return None if info is None else info[:2]


def header_info(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, channels, bytes per sample) as the decoder will produce them, from the file's header.

    None for an unknown format; (0, 0, 1, 1) for a header too short or broken to read. Where a
    decoder may add channels (a palette, transparency, JPEG-in-TIFF read as RGBA) the larger
    count is given: it only sets a memory budget.
    """
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            w, h, depth, color = struct.unpack(">IIBB", data[16:26])
            channels = {0: 1, 2: 3, 3: 4, 4: 4, 6: 4}.get(color, 4)
            if b"tRNS" in data[:1 << 16]:  # transparency makes grey or RGB come out with alpha
                channels = 4
            return w, h, channels, 2 if depth > 8 else 1
        if data[:2] == b"BM":
            if struct.unpack("<I", data[14:18])[0] == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
                w, h, _, bpp = struct.unpack("<HHHH", data[18:26])
            else:
                w, h = struct.unpack("<ii", data[18:26])
                bpp = struct.unpack("<H", data[28:30])[0]
            return abs(w), abs(h), 4 if bpp == 32 else 3, 1
        if data[:3] == b"\xff\xd8\xff":
            return _jpeg_info(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_info(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            w, h = _webp_size(data)
            return w, h, 3 if data[12:16] == b"VP8 " else 4, 1
        if data[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", data[6:10])
            return w, h, 4, 1
        if data[:4] == b"\x59\xa6\x6a\x95":  # Sun raster
            w, h, depth = struct.unpack(">III", data[4:16])
            return w, h, 4 if depth == 32 else 3, 1
        if data[:2] in (b"PF", b"Pf") and data[2:3].isspace():  # PFM: float32
            parts = data[2:200].split()
            return int(parts[0]), int(parts[1]), 3 if data[1:2] == b"F" else 1, 4
        if data[:3] == b"P7\n":  # PAM
            fields = dict(line.split(None, 1) for line in data[3:2000].split(b"ENDHDR")[0].splitlines()
                          if len(line.split(None, 1)) == 2 and not line.startswith(b"#"))
            maxval = int(fields.get(b"MAXVAL", b"255"))
            return int(fields[b"WIDTH"]), int(fields[b"HEIGHT"]), max(1, int(fields.get(b"DEPTH", b"1"))), 2 if maxval > 255 else 1
        if data[:10] == b"#?RADIANCE" or data[:6] == b"#?RGBE":  # Radiance HDR: float32 BGR
            end = data.find(b"\n\n", 0, 1 << 16)
            tokens = data[end + 2: end + 200].split(b"\n", 1)[0].split()
            sizes = {t[1:2]: int(v) for t, v in zip(tokens[::2], tokens[1::2])}
            return sizes[b"X"], sizes[b"Y"], 3, 4
        if data[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or data[:4] == b"\xff\x4f\xff\x51":
            return _jpeg2000_info(data)
        if data[4:8] == b"ftyp" and (b"avif" in data[8:64] or b"avis" in data[8:64]):
            return _avif_info(data)
        if data[:1] == b"P" and data[1:2] in b"123456" and len(data) > 2:
            kind = data[1:2]
            want = 2 if kind in b"14" else 3
            parts: list[bytes] = []
            for line in data[2:400].split(b"\n"):
                parts += line.split(b"#")[0].split()
                if len(parts) >= want:
                    break
            w, h = int(parts[0]), int(parts[1])
            deep = want == 3 and int(parts[2]) > 255
            return w, h, 3 if kind in b"36" else 1, 2 if deep else 1
    except (struct.error, ValueError, IndexError, KeyError):  # a header field missing or not a number
        return (0, 0, 1, 1)
    return None


def _jpeg_info(data: bytes) -> tuple[int, int, int, int]:
    i, segments = 2, 0
    while i + 9 < len(data):
        segments += 1
        if segments > MAX_JPEG_SEGMENTS:
            break
        if data[i] != 0xFF:
            i = data.find(b"\xff", i)
            if i < 0:
                break
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2: i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            precision, h, w, components = struct.unpack(">BHHB", data[i + 4: i + 10])
            return w, h, max(3, components), 2 if precision > 8 else 1
        i += 2 + length
    return (0, 0, 1, 1)


def _tiff_info(data: bytes) -> tuple[int, int, int, int]:
    e = "<" if data[:2] == b"II" else ">"
    off = struct.unpack(e + "I", data[4:8])[0]
    n = struct.unpack(e + "H", data[off: off + 2])[0]
    tags: dict[int, int] = {}
    for k in range(n):
        tag, typ, count, val = struct.unpack(e + "HHI4s", data[off + 2 + 12 * k: off + 14 + 12 * k])
        size = 2 if typ in (3, 8) else 4
        if count * size > 4:  # the values are elsewhere; the first one is enough
            val = data[struct.unpack(e + "I", val)[0]:][:size]
        tags[tag] = struct.unpack(e + ("H" if size == 2 else "I"), val[:size])[0]
    w, h = tags.get(256, 0), tags.get(257, 0)
    samples, bits = max(1, tags.get(277, 1)), max(1, tags.get(258, 1))
    photometric, compression = tags.get(262, 1), tags.get(259, 1)
    if photometric == 3:  # palette → BGR
        samples = max(samples, 3)
    if photometric == 6 or compression in (6, 7) or bits not in (1, 8, 16, 32, 64):  # read through RGBA
        samples, bits = max(samples, 4), max(bits, 8)
    return w, h, samples, (bits + 7) // 8


def _jpeg2000_info(data: bytes) -> tuple[int, int, int, int]:
    """JP2 ('ihdr' box) or a raw J2K codestream (SIZ marker). OpenJPEG decodes into 32-bit planes, so a sample
    counts 4 bytes of memory whatever its depth."""
    if data[:4] == b"\xff\x4f\xff\x51":
        x, y, x0, y0 = struct.unpack(">IIII", data[8:24])
        components = struct.unpack(">H", data[40:42])[0]
        return x - x0, y - y0, max(1, components), 4
    i = data.find(b"ihdr", 0, 1 << 16)
    if i < 0:
        return (0, 0, 1, 1)
    h, w, components = struct.unpack(">IIH", data[i + 4: i + 14])
    return w, h, max(1, components), 4


def _avif_info(data: bytes) -> tuple[int, int, int, int]:
    """AVIF: the largest 'ispe' (image spatial extents) property, and 'pixi' bit depths above 8 → 2 bytes."""
    w = h = 0
    i = data.find(b"ispe", 0, 1 << 20)
    while i >= 0:
        iw, ih = struct.unpack(">II", data[i + 8: i + 16])
        w, h = max(w, iw), max(h, ih)
        i = data.find(b"ispe", i + 4, 1 << 20)
    deep = False
    i = data.find(b"pixi", 0, 1 << 20)
    if i >= 0:
        n = data[i + 8]
        deep = any(b > 8 for b in data[i + 9: i + 9 + n])
    return w, h, 4, 2 if deep else 1


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
