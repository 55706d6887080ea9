"""Content sniffing for submitted scan files: what a file is, how big its picture claims to be, and
whether it is complete, all read from the bytes alone and before any pixel is decoded.

Nothing here decodes image data, so it is safe on hostile input: every function reads headers or
walks chunk/segment structure, in time linear in the file size and with no allocation beyond it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Literal

Kind = Literal["jpeg", "png", "tiff", "pdf", "gif", "bmp", "webp", "zip", "text", "unknown"]
SUPPORTED: frozenset[str] = frozenset({"jpeg", "png", "tiff", "pdf"})

# Extensions whose owner promised a picture or a PDF. A file named like this whose content is not a
# supported type is a FILE_TYPE_MISMATCH rather than merely unsupported.
DOCUMENT_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".tif", ".tiff", ".pdf"}
)

PDF_HEADER_WINDOW = 1024  # readers accept "%PDF-" anywhere in the first KiB


def sniff(data: bytes) -> Kind:
    """The file type by its magic bytes; the name plays no part."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return "pdf"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM":
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if _looks_like_text(data[:512]):
        return "text"
    return "unknown"


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in b"\t\r\n\f" for b in sample)


@dataclass(frozen=True)
class Probe:
    """What a picture's header says, and whether its structure reaches its end marker."""

    width: int
    height: int
    complete: bool

    @property
    def pixels(self) -> int:
        return self.width * self.height


class HeaderError(ValueError):
    """The header is missing or malformed (the file is corrupt, not merely truncated)."""


# ---- PDF -------------------------------------------------------------------------------------

PDF_TAIL_WINDOW = 1024


def pdf_complete(data: bytes) -> bool:
    """A PDF ends with an %%EOF line (the last revision's). A cut-off upload does not; pdfium would
    'repair' it and render whatever survived, so intake calls it truncated instead."""
    return b"%%EOF" in data.rstrip(b"\x00 \t\r\n")[-PDF_TAIL_WINDOW:]


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")
_XREF_AT = re.compile(rb"\s*(?:xref\b|\d+\s+\d+\s+obj\b)")


def pdf_xref_intact(data: bytes) -> bool:
    """The last `startxref` points at a cross-reference table (or stream). When it does not, the file was
    damaged (cut and glued, edited by hand, broken in transfer) and a reader rebuilds the table by scanning:
    what it finds may be less than what the file held."""
    tail = data.rstrip(b"\x00 \t\r\n")[-PDF_TAIL_WINDOW:]
    found = list(_STARTXREF.finditer(tail))
    if not found:
        return False
    offset = int(found[-1].group(1))
    return 0 < offset < len(data) and _XREF_AT.match(data, offset) is not None


# ---- PNG -------------------------------------------------------------------------------------


def probe_png(data: bytes) -> Probe:
    """Size from IHDR; `complete` when the chunk chain reaches IEND inside the data.

    Chunks are hopped by their length fields, so a multi-megabyte PNG costs a few thousand steps.
    """
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise HeaderError("PNG without IHDR")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise HeaderError("PNG with zero width or height")
    pos = 8
    end = len(data)
    while pos + 8 <= end:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        nxt = pos + 12 + length
        if nxt > end:
            return Probe(width, height, complete=False)
        if ctype == b"IEND":
            return Probe(width, height, complete=True)
        pos = nxt
    return Probe(width, height, complete=False)


# ---- JPEG ------------------------------------------------------------------------------------

_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}  # RSTn, TEM: no length field


def probe_jpeg(data: bytes) -> Probe:
    """Size from the first SOF segment; `complete` when the segment walk reaches EOI.

    The walk follows segment lengths and, after each SOS, skips entropy-coded data (where 0xFF is
    followed by 0x00 or a restart marker), so an EOI inside an EXIF thumbnail does not count.
    """
    end = len(data)
    pos = 2
    size: tuple[int, int] | None = None
    while pos < end:
        if data[pos] != 0xFF:
            raise HeaderError(f"JPEG marker expected at {pos}")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            if size is None:
                raise HeaderError("JPEG without a frame header")
            return Probe(size[0], size[1], complete=True)
        if marker in _STANDALONE:
            continue
        if pos + 2 > end:
            break
        (seglen,) = struct.unpack(">H", data[pos : pos + 2])
        if seglen < 2:
            raise HeaderError("JPEG segment with bad length")
        if marker in _SOF_MARKERS and size is None and pos + 7 <= end:
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            if width == 0 or height == 0:
                raise HeaderError("JPEG frame with zero width or height")
            size = (width, height)
        pos += seglen
        if marker == 0xDA:
            pos = _skip_entropy(data, pos)
    if size is None:
        raise HeaderError("JPEG without a frame header")
    return Probe(size[0], size[1], complete=False)


_MARKER_AFTER_ENTROPY = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _skip_entropy(data: bytes, pos: int) -> int:
    """Position of the first real marker after entropy-coded data (len(data) when none): 0xFF followed
    by anything but a stuffed 0x00, a restart marker or another 0xFF (fill). One C-level regex scan."""
    m = _MARKER_AFTER_ENTROPY.search(data, pos)
    return m.start() if m else len(data)
