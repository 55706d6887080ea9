"""Files from pages: image encodings (JPEG/PNG/TIFF) and PDFs written with reportlab (invariant mode).

reportlab's invariant mode fixes the creation date and document id, so the bytes depend only on the input.
"""

from __future__ import annotations

import io

from PIL import Image
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from scripts.samplegen.layout import FONTS, MM_PER_PT, Line, Page, Picture, Polyline, Rect, Text

_REGISTERED: set[str] = set()
rl_config.useA85 = 0  # binary streams: smaller files, and reportlab's pure-Python ASCII85 is slow


def encode_image(img: Image.Image, fmt: str, *, quality: int = 90, dpi: float = 200, noisy: bool = False,
                 orientation: int = 1) -> bytes:
    """JPEG, PNG or TIFF bytes, with the scan resolution recorded (noisy TIFFs are JPEG-compressed).

    `orientation` (JPEG only) is the EXIF Orientation tag, 1 = upright.
    """
    buf = io.BytesIO()
    d = (round(dpi), round(dpi))
    if fmt == "jpg":
        exif = Image.Exif()
        if orientation != 1:
            exif[0x0112] = orientation
        img.save(buf, "JPEG", quality=quality, dpi=d, exif=exif.tobytes())
    elif fmt == "png":
        img.save(buf, "PNG", dpi=d, compress_level=3)
    elif fmt == "tif":
        img.save(buf, "TIFF", compression="jpeg" if noisy else "tiff_lzw", dpi=d)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return buf.getvalue()


def image_pdf(images: list[tuple[Image.Image, float]], *, quality: int = 85) -> bytes:
    """One page per (image, dpi), page size from the image size at that dpi, images as JPEG."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, pageCompression=1)
    for img, dpi in images:
        w_pt, h_pt = img.width * 72 / dpi, img.height * 72 / dpi
        c.setPageSize((w_pt, h_pt))
        jpeg = encode_image(img, "jpg", quality=quality, dpi=dpi)
        c.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, w_pt, h_pt)
        c.showPage()
    c.save()
    return buf.getvalue()


def _font(name: str) -> str:
    rl_name = "berkas-" + name
    if rl_name not in _REGISTERED:
        pdfmetrics.registerFont(TTFont(rl_name, FONTS[name]))
        _REGISTERED.add(rl_name)
    return rl_name


def text_pdf(pages: list[Page]) -> bytes:
    """Pages drawn as real PDF text and vector lines (a 'born digital' document)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, pageCompression=1)
    k = 1 / MM_PER_PT  # points per mm
    for page in pages:
        height = page.height_mm * k
        c.setPageSize((page.width_mm * k, height))
        for op in page.ops:
            _draw(c, op, k, height)
        c.showPage()
    c.save()
    return buf.getvalue()


def _draw(c: canvas.Canvas, op: object, k: float, height: float) -> None:
    if isinstance(op, Text):
        c.setFont(_font(op.font), op.size)
        c.setFillColorRGB(*(v / 255 for v in op.fill))
        x, y = op.x * k, height - op.y * k
        if op.tracking:  # letter spacing: a text object with character spacing, aligned by hand
            gap = op.tracking * op.size
            total = pdfmetrics.stringWidth(op.text, _font(op.font), op.size) + gap * max(len(op.text) - 1, 0)
            t = c.beginText(x - {"l": 0.0, "m": total / 2, "r": total}[op.align], y)
            t.setFont(_font(op.font), op.size)
            t.setCharSpace(gap)
            t.textOut(op.text)
            c.drawText(t)
        else:
            {"l": c.drawString, "m": c.drawCentredString, "r": c.drawRightString}[op.align](x, y, op.text)
    elif isinstance(op, Line):
        c.setStrokeColorRGB(*(v / 255 for v in op.fill))
        c.setLineWidth(op.width * k)
        c.line(op.x1 * k, height - op.y1 * k, op.x2 * k, height - op.y2 * k)
    elif isinstance(op, Rect):
        c.setLineWidth(op.width * k)
        if op.outline:
            c.setStrokeColorRGB(*(v / 255 for v in op.outline))
        if op.fill:
            c.setFillColorRGB(*(v / 255 for v in op.fill))
        x1, y1 = op.x * k, height - (op.y + op.h) * k
        if op.ellipse:
            c.ellipse(x1, y1, x1 + op.w * k, y1 + op.h * k, stroke=int(bool(op.outline)), fill=int(bool(op.fill)))
        else:
            c.rect(x1, y1, op.w * k, op.h * k, stroke=int(bool(op.outline)), fill=int(bool(op.fill)))
    elif isinstance(op, Polyline):
        c.setStrokeColorRGB(*(v / 255 for v in op.fill))
        c.setLineWidth(op.width * k)
        path = c.beginPath()
        (x0, y0), *rest = op.points
        path.moveTo(x0 * k, height - y0 * k)
        for x, y in rest:
            path.lineTo(x * k, height - y * k)
        c.drawPath(path, stroke=1, fill=0)
    elif isinstance(op, Picture):
        if op.image.mode == "RGBA":  # handwriting: transparent paper around the ink
            c.drawImage(ImageReader(op.image), op.x * k, height - (op.y + op.h) * k, op.w * k, op.h * k, mask="auto")
        else:
            c.drawImage(ImageReader(op.image.convert("RGB")), op.x * k, height - (op.y + op.h) * k, op.w * k, op.h * k)
