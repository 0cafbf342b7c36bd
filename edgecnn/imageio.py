"""Safe image reading: one clear :class:`EdgeCNNError` for anything that is not a usable picture.

``read_image(path)`` returns a uint8 array, ``H×W`` grey or ``H×W×3`` BGR: 16-bit images are
scaled to 8 bits, alpha is composited onto white, palettes are expanded (OpenCV does), and a
JPEG's EXIF orientation is applied (phone photos are stored sideways with a rotation tag).

Decompression bombs: the width, height, channels and sample depth are read from the file's
header (:mod:`edgecnn.imageheader`: every format this OpenCV reads) *before* decoding, and an image is refused when
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
import sys
import threading
from pathlib import Path

import numpy as np

from .errors import EdgeCNNError
from .imageheader import MAX_PNG_CHUNKS, header_info, jpeg_walk, png_walk

MAX_PIXELS = 64_000_000  # 8000 × 8000
MAX_SIDE = 1 << 20  # OpenCV's own limit for either side (CV_IO_MAX_IMAGE_WIDTH/HEIGHT)
MAX_DECODED_BYTES = 256_000_000  # an 8-bit RGBA image of MAX_PIXELS; 16-bit RGBA up to 32 Mpx
MAX_JPEG_SCANS = 64  # progressive JPEGs have about 10; each scan costs a pass over the picture
MAX_SCAN_PIXELS = 1_500_000_000  # scans × pixels: decode work (23 scans at 64 Mpx, ~5 s; 64 scans up to 23 Mpx)
MAX_BYTES = 256 * 1024 * 1024
BAND_ELEMENTS = 1 << 20  # samples converted at a time (float temporaries of ~4 MB each)
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pbm", ".pgm", ".ppm", ".pnm",
              ".pam", ".pfm", ".gif", ".avif", ".jp2", ".j2k", ".hdr", ".pic", ".ras", ".sr"}

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as uint8 grey or BGR; raise EdgeCNNError naming the file and the problem."""
    return read_image_reduced(path, max_pixels)[0]


def read_image_reduced(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, *,
                       at_least: int | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """:func:`read_image`, and the picture's full size (width, height, as shown: EXIF orientation applied).

    ``at_least``: a JPEG whose longer side is at least twice this is decoded at ½, ¼ or ⅛ size by
    libjpeg itself (``IMREAD_REDUCED_*``: less decoding work and a quarter or less of the memory), as
    long as the longer side stays at least ``at_least``.
    """
    from .fileio import read_regular

    path = Path(path)
    data = read_regular(path, MAX_BYTES, kind="an image")  # refuses FIFOs and devices before opening them
    return decode_image_reduced(data, name=str(path), max_pixels=max_pixels, at_least=at_least)


def decode_image(data: bytes, name: str = "image", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes (see :func:`read_image`)."""
    return decode_image_reduced(data, name, max_pixels)[0]


def reduction(w: int, h: int, at_least: int | None) -> int:
    """The largest of 1, 2, 4, 8 that keeps the longer side of a ``w``×``h`` picture at least ``at_least``."""
    f = 1
    while at_least and f < 8 and max(w, h) // (2 * f) >= at_least:
        f *= 2
    return f


def decode_image_reduced(data: bytes, name: str = "image", max_pixels: int = MAX_PIXELS, *,
                         at_least: int | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode image bytes (see :func:`read_image_reduced`)."""
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
        fits, chunks = png_walk(data)
        if chunks > MAX_PNG_CHUNKS:  # millions of empty chunks: seconds of work each for us and libpng
            raise EdgeCNNError(f"{name}: PNG has over {MAX_PNG_CHUNKS:,} chunks; refused as corrupt")
        if not fits:
            # OpenCV's PNG reader can spend many seconds on a chunk that claims gigabytes (found by fuzzing)
            raise EdgeCNNError(f"{name}: truncated image file (a PNG chunk runs past the end of the file)")
    if data[:3] == b"\xff\xd8\xff":
        end, scans = jpeg_walk(data)
        if scans > MAX_JPEG_SCANS or scans * w * h > MAX_SCAN_PIXELS:
            limit = min(MAX_JPEG_SCANS, max(1, MAX_SCAN_PIXELS // (w * h)))
            raise EdgeCNNError(f"{name}: JPEG has {scans} scans (limit {limit} at {w}×{h}); refused, as decoding "
                               "it would take too long")
        if end is None:  # no end marker: libjpeg would fill the missing part with grey and say nothing
            raise EdgeCNNError(f"{name}: truncated image file")
    # JPEG (no alpha, 8-bit): ANYCOLOR applies the EXIF orientation of phone photos, which UNCHANGED ignores.
    # Other formats: UNCHANGED keeps alpha (composited onto white below) and 16-bit depth.
    flags = cv2.IMREAD_ANYCOLOR if data[:3] == b"\xff\xd8\xff" or to_8bit else cv2.IMREAD_UNCHANGED
    factor = reduction(w, h, at_least) if data[:3] == b"\xff\xd8\xff" else 1
    if factor > 1:  # libjpeg scales while decoding (the DCT's own downscale); EXIF orientation still applies
        color = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}
        grey = {2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}
        flags = (color if channels >= 3 else grey)[factor]
    _quiet_opencv()
    try:
        with quiet_stderr():  # libjpeg and libtiff print their own warnings straight to stderr
            img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise EdgeCNNError(f"{name}: cannot decode image (truncated or corrupt)")
    ih, iw = img.shape[:2]
    if w != h and (iw > ih) != (w > h):  # EXIF orientation turned the picture a quarter
        w, h = h, w
    return to_bgr8(img), (w, h)


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


def is_image_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in EXTENSIONS
