"""Decoding of accepted scan files into pages (in-process; `pipeline.decode_guard` adds the guard).

`decode_file` is the one entry point: it sniffs the bytes, checks every header limit before any pixel
is decoded, and returns pages plus per-file errors. Whole-file problems raise `FileRejected` whose
`code` is a key of `errors.FILE_REASONS`; the caller turns it into a `FileError`.
"""

from __future__ import annotations

import io
import logging
import math
import struct
from pathlib import PurePath

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from config.settings import Limits
from models.contract import FileError
from pipeline.context import OcrPage, PageInput, Word
from pipeline.errors import FILE_REASONS, FileRejected
from pipeline.sniff import (
    DOCUMENT_EXTENSIONS,
    SUPPORTED,
    HeaderError,
    pdf_complete,
    pdf_xref_intact,
    probe_jpeg,
    probe_png,
    sniff,
)

log = logging.getLogger(__name__)

MAX_SIDE = 30_000  # longest rendered/decoded side in pixels, whatever max_pixels says
TOTAL_PIXELS_FACTOR = 4  # all pages of one file together: at most this many times limits.max_pixels
# What Pillow raises on a damaged file besides OSError: its TIFF and EXIF parsers let these through
# (found by fuzzing: "Missing dimensions" TypeError, "unknown data organization" SyntaxError, KeyError).
PIL_DAMAGE = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, struct.error, ZeroDivisionError)
MIN_TEXT_WORDS = 3  # a text layer with fewer alphanumeric words is treated as absent
MIN_TEXT_CHARS = 12


def file_error(name: str, code: str, *, page: int | None = None, message: str | None = None) -> FileError:
    return FileError(file=name, page=page, error=code, message=message or FILE_REASONS[code])


def decode_file(name: str, data: bytes, sha256: str, limits: Limits) -> tuple[list[PageInput], list[FileError]]:
    """Pages of one submitted file. Raises `FileRejected` (with a FILE_REASONS code) for the whole file."""
    if not data:
        raise FileRejected("zero bytes", code="FILE_EMPTY")
    if len(data) > limits.max_file_bytes:
        raise FileRejected(f"{len(data)} bytes", code="FILE_TOO_LARGE")
    kind = sniff(data)
    if kind not in SUPPORTED:
        ext = PurePath(name).suffix.lower()
        code = "FILE_TYPE_MISMATCH" if ext in DOCUMENT_EXTENSIONS else "FILE_UNSUPPORTED"
        raise FileRejected(f"content is {kind}, name ends {ext or '(none)'}", code=code)
    if kind == "pdf":
        return decode_pdf(name, data, sha256, limits)
    return decode_image(name, data, sha256, limits, kind)


# ---- images ----------------------------------------------------------------------------------


def _check_size(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels or max(width, height) > MAX_SIDE:
        raise FileRejected(f"{width}x{height} pixels", code="IMAGE_TOO_LARGE")


def decode_image(
    name: str, data: bytes, sha256: str, limits: Limits, kind: str
) -> tuple[list[PageInput], list[FileError]]:
    """One page per picture (per frame for TIFF). JPEG and PNG are checked for size and completeness
    from their structure before PIL sees them; TIFF frames are size-checked from their IFD before load."""
    if kind in ("jpeg", "png"):
        try:
            probe = probe_jpeg(data) if kind == "jpeg" else probe_png(data)
        except HeaderError as e:
            raise FileRejected(str(e), code="FILE_CORRUPT") from e
        _check_size(probe.width, probe.height, limits)
        if not probe.complete:
            raise FileRejected(f"{kind} ends before its end marker", code="FILE_TRUNCATED")
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise FileRejected(str(e), code="IMAGE_TOO_LARGE") from e
    except (UnidentifiedImageError, *PIL_DAMAGE) as e:
        raise FileRejected(str(e), code="FILE_CORRUPT") from e
    pages: list[PageInput] = []
    errors: list[FileError] = []
    budget = TOTAL_PIXELS_FACTOR * limits.max_pixels
    with img:
        count = _frame_count(img)
        if count > limits.max_pages:
            errors.append(file_error(name, "TOO_MANY_PAGES", message=_too_many(count, limits.max_pages)))
        for number in range(1, min(count, limits.max_pages) + 1):
            try:
                img.seek(number - 1)
                _check_size(img.width, img.height, limits)
                budget -= img.width * img.height
                if budget < 0:
                    raise FileRejected("file exceeds its total pixel budget", code="IMAGE_TOO_LARGE")
                image = _to_bgr(img)
            except PIL_DAMAGE as e:
                exc = FileRejected(str(e), code="FILE_CORRUPT")
            except FileRejected as e:
                exc = e
            else:
                pages.append(PageInput(file=name, page=number, sha256=sha256, image=image, kind="image", dpi=_dpi(img)))
                continue
            if number == 1:
                raise exc
            errors.append(file_error(name, exc.code, page=number))
    return pages, errors


def _frame_count(img: Image.Image) -> int:
    """Pages of a TIFF; 1 for anything else (a phone's MPO JPEG or an APNG holds one picture to read)."""
    if img.format != "TIFF":
        return 1
    try:
        return max(1, int(getattr(img, "n_frames", 1)))
    except PIL_DAMAGE:
        return 1


def _too_many(count: int, kept: int) -> str:
    return f"File memiliki {count} halaman; hanya {kept} halaman pertama yang diperiksa."


def _load(frame: Image.Image) -> Image.Image:
    """Decode pixels and apply EXIF orientation; truncation is an error, never half a picture."""
    try:
        frame.load()
        return ImageOps.exif_transpose(frame) or frame
    except Image.DecompressionBombError as e:
        raise FileRejected(str(e), code="IMAGE_TOO_LARGE") from e
    except OSError as e:
        code = "FILE_TRUNCATED" if "truncated" in str(e).lower() else "FILE_CORRUPT"
        raise FileRejected(str(e), code=code) from e
    except PIL_DAMAGE as e:
        raise FileRejected(str(e), code="FILE_CORRUPT") from e


def _to_bgr(frame: Image.Image) -> np.ndarray:
    """BGR uint8 of any PIL mode: 16/32-bit scaled down, palette expanded, CMYK converted, alpha on white."""
    img = _load(frame)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img).astype(np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def _dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi) if dpi else 0.0
    except (TypeError, ValueError):
        return None
    return value if 30.0 <= value <= 4800.0 else None


# ---- PDF -------------------------------------------------------------------------------------


def decode_pdf(name: str, data: bytes, sha256: str, limits: Limits) -> tuple[list[PageInput], list[FileError]]:
    """Rendered pages (capped at max_pixels) plus the text layer where one is meaningful."""
    if not pdf_complete(data):
        raise FileRejected("no %%EOF at the end", code="FILE_TRUNCATED")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        encrypted = e.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
        raise FileRejected(str(e), code="FILE_ENCRYPTED" if encrypted else "FILE_CORRUPT") from e
    errors: list[FileError] = []
    pages: list[PageInput] = []
    try:
        count = len(pdf)
        if count == 0:
            raise FileRejected("no pages", code="FILE_CORRUPT")
        if count > limits.max_pages:
            errors.append(file_error(name, "TOO_MANY_PAGES", message=_too_many(count, limits.max_pages)))
        kept = min(count, limits.max_pages)
        layers, layers_failed = _text_layers(data, kept)
        # every page within max_pixels, and all pages together within TOTAL_PIXELS_FACTOR * max_pixels
        page_pixels = min(limits.max_pixels, TOTAL_PIXELS_FACTOR * limits.max_pixels // kept)
        for index in range(kept):
            number = index + 1
            try:
                image, dpi = _render(pdf, index, limits.render_dpi, page_pixels, limits.max_pixels)
            except FileRejected as e:
                errors.append(file_error(name, e.code, page=number))
                continue
            layer = layers[index] if index < len(layers) else None
            text = _scaled_layer(layer, image.shape[1], image.shape[0]) if layer else None
            pages.append(
                PageInput(file=name, page=number, sha256=sha256, image=image, text_layer=text, kind="pdf", dpi=dpi)
            )
    finally:
        pdf.close()
    if not pages:
        raise FileRejected("no page could be rendered", code=errors[-1].error if errors else "FILE_CORRUPT")
    broken_pages = sum(1 for e in errors if e.page is not None and e.error == "FILE_CORRUPT")
    damage = _damage(data, layers_failed, failed_pages=broken_pages)
    if damage:
        with_text = sum(1 for p in pages if p.text_layer is not None)
        errors.append(file_error(name, "FILE_DAMAGED", message=damaged_message(damage, len(pages), count, with_text)))
    return pages, errors


def _damage(data: bytes, layers_failed: bool, *, failed_pages: int) -> list[str]:
    """What is wrong with a PDF that was read anyway (empty: nothing seen)."""
    out = []
    if not pdf_xref_intact(data):
        out.append("tabel rujukan silang (xref) rusak dan dibangun ulang")
    if layers_failed:
        out.append("teks tertanam tidak dapat diurai seluruhnya")
    if failed_pages:
        out.append(f"{failed_pages} halaman tidak dapat dibuka")
    return out


def damaged_message(damage: list[str], read: int, count: int, with_text: int) -> str:
    """The FILE_DAMAGED warning: what was wrong, and what was recovered."""
    recovered = f"{read} dari {count} halaman terbaca"
    recovered += f", {with_text} dengan teks tertanam" if with_text else ", dibaca dengan OCR"
    return (f"File PDF rusak ({'; '.join(damage)}); yang dapat dipulihkan: {recovered}. Periksa file aslinya; bila "
            "ada yang hilang, minta unggah ulang.")


def _check_embedded_images(page: pdfium.PdfPage, limit: int) -> None:
    """pdfium decodes every embedded picture at full size before scaling it onto the page: a page
    holding a 50000 x 50000 image costs gigabytes whatever the render size. Sizes are read from the
    image dictionaries (FPDFImageObj_GetImagePixelSize), without decoding."""
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        width, height = obj.get_px_size()
        if width * height > limit or max(width, height) > MAX_SIDE:
            raise FileRejected(f"embedded image {width}x{height}", code="IMAGE_TOO_LARGE")


def _render(
    pdf: pdfium.PdfDocument, index: int, dpi: int, max_pixels: int, embedded_limit: int
) -> tuple[np.ndarray, float]:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as e:
        raise FileRejected(str(e), code="FILE_CORRUPT") from e
    try:
        w_pt, h_pt = page.get_size()
        if not (math.isfinite(w_pt) and math.isfinite(h_pt)) or w_pt <= 0 or h_pt <= 0:
            raise FileRejected(f"page size {w_pt}x{h_pt}", code="FILE_CORRUPT")
        # Cap the rendered size: a huge MediaBox at the render dpi would allocate gigabytes.
        scale = min(dpi / 72.0, math.sqrt(max_pixels / (w_pt * h_pt)), MAX_SIDE / max(w_pt, h_pt))
        while math.ceil(w_pt * scale) * math.ceil(h_pt * scale) > max_pixels:  # rounding up of the bitmap
            scale *= 0.995
        if w_pt * scale < 16 or h_pt * scale < 16:
            raise FileRejected(f"page {w_pt}x{h_pt} pt is degenerate", code="IMAGE_TOO_LARGE")
        _check_embedded_images(page, embedded_limit)
        bitmap = page.render(scale=scale)
        try:
            arr = bitmap.to_numpy()
            image = np.ascontiguousarray(arr[:, :, :3] if arr.ndim == 3 else np.repeat(arr[:, :, None], 3, 2))
        finally:
            bitmap.close()
        return image, round(scale * 72.0, 2)
    except pdfium.PdfiumError as e:
        raise FileRejected(str(e), code="FILE_CORRUPT") from e
    finally:
        page.close()


def _text_layers(data: bytes, count: int) -> tuple[list[tuple[float, float, list[dict]] | None], bool]:
    """(page width pt, page height pt, pdfplumber words) per page, None where no meaningful layer; and whether
    reading the layers failed part-way (a sign of damage, reported with FILE_DAMAGED).

    pdfminer raises a wide, undocumented range of exceptions on malformed content streams. The text
    layer is an optimisation (the rendered image is OCRed without it), so any failure here is logged
    and the page falls back to OCR; it never rejects the file.
    """
    out: list[tuple[float, float, list[dict]] | None] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as doc:
            for page in doc.pages[:count]:
                words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
                out.append((float(page.width), float(page.height), words) if _meaningful(words) else None)
    except Exception as e:  # noqa: BLE001 - fallback to OCR, see docstring
        log.warning("text layer unreadable (%s: %s); pages fall back to OCR", type(e).__name__, e)
        out.extend([None] * (count - len(out)))
        return out, True
    return out, False


def _meaningful(words: list[dict]) -> bool:
    alnum = [sum(c.isalnum() for c in w["text"]) for w in words]
    return sum(1 for n in alnum if n) >= MIN_TEXT_WORDS and sum(alnum) >= MIN_TEXT_CHARS


def _scaled_layer(layer: tuple[float, float, list[dict]], width: int, height: int) -> OcrPage:
    """pdfplumber words (points, top-left origin) as Words in the rendered image's pixel space."""
    page_w, page_h, words = layer
    sx, sy = width / page_w, height / page_h
    ordered = sorted(words, key=lambda w: (float(w["top"]), float(w["x0"])))
    out: list[Word] = []
    line, line_mid, line_h = -1, -1e9, 0.0
    for w in ordered:
        top, bottom = float(w["top"]), float(w["bottom"])
        mid, h = (top + bottom) / 2, max(bottom - top, 0.1)
        if abs(mid - line_mid) > 0.5 * max(h, line_h):
            line, line_mid, line_h = line + 1, mid, h
        x0, x1 = float(w["x0"]), float(w["x1"])
        box = (round(x0 * sx), round(top * sy), max(1, round((x1 - x0) * sx)), max(1, round(h * sy)))
        out.append(Word(text=w["text"], conf=1.0, box=box, line=line))
    out.sort(key=lambda w: (w.line, w.box[0]))
    return OcrPage(words=out, width=width, height=height, source="text_layer")
