"""What an image file says about itself, read from its bytes before any decoding.

:func:`header_info` gives the width, height, channels and sample depth a decoder will produce, for every format
this OpenCV reads (PNG, JPEG, BMP, TIFF, WebP, GIF, AVIF, JPEG 2000, PNM/PAM/PFM, Radiance HDR, Sun raster);
:func:`jpeg_walk` and :func:`png_walk` walk a JPEG's segments and a PNG's chunks (scans, truncation, chunk floods).
:mod:`edgecnn.imageio` sets its decoding budget from these before it lets OpenCV decode anything.
"""

from __future__ import annotations

import re
import struct

MAX_PNG_CHUNKS = 200_000  # a 256 MiB PNG in libpng's 8 KB IDAT chunks has 32,000
MAX_JPEG_SEGMENTS = 100_000  # markers walked in one JPEG (real files: tens to a few hundred)


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


def jpeg_walk(data: bytes) -> tuple[int | None, int]:
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


def png_walk(data: bytes) -> tuple[bool, int]:
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
