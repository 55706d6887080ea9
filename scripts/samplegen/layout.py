"""Documents as lists of drawing operations in millimetres, rasterised with PIL (pdf.py writes them as PDF).

Text positions are baselines; `align` is l, m or r. Colours are RGB tuples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

_FONT_DIR = "/usr/share/fonts/truetype"
FONTS = {
    "sans": f"{_FONT_DIR}/liberation/LiberationSans-Regular.ttf",
    "sans-b": f"{_FONT_DIR}/liberation/LiberationSans-Bold.ttf",
    "narrow": f"{_FONT_DIR}/liberation/LiberationSansNarrow-Regular.ttf",
    "narrow-b": f"{_FONT_DIR}/liberation/LiberationSansNarrow-Bold.ttf",
    "dejavu": f"{_FONT_DIR}/dejavu/DejaVuSans.ttf",
    "dejavu-b": f"{_FONT_DIR}/dejavu/DejaVuSans-Bold.ttf",
    "dejavu-c": f"{_FONT_DIR}/dejavu/DejaVuSansCondensed.ttf",
    "dejavu-cb": f"{_FONT_DIR}/dejavu/DejaVuSansCondensed-Bold.ttf",
    "serif": f"{_FONT_DIR}/liberation/LiberationSerif-Regular.ttf",
    "serif-b": f"{_FONT_DIR}/liberation/LiberationSerif-Bold.ttf",
    "serif-i": f"{_FONT_DIR}/liberation/LiberationSerif-Italic.ttf",
    "dserif": f"{_FONT_DIR}/dejavu/DejaVuSerif.ttf",
    "dserif-b": f"{_FONT_DIR}/dejavu/DejaVuSerif-Bold.ttf",
    "mono": f"{_FONT_DIR}/liberation/LiberationMono-Regular.ttf",
    "ocra": f"{_FONT_DIR}/ocr-a/OCRA.ttf",
    # GNU FreeFont (Debian fonts-freefont-ttf): other metrics and shapes for the newer layout families
    "free-sans": f"{_FONT_DIR}/freefont/FreeSans.ttf",
    "free-sans-b": f"{_FONT_DIR}/freefont/FreeSansBold.ttf",
    "free-serif": f"{_FONT_DIR}/freefont/FreeSerif.ttf",
    "free-serif-b": f"{_FONT_DIR}/freefont/FreeSerifBold.ttf",
    "free-serif-i": f"{_FONT_DIR}/freefont/FreeSerifItalic.ttf",
    "free-mono": f"{_FONT_DIR}/freefont/FreeMono.ttf",
    "free-mono-b": f"{_FONT_DIR}/freefont/FreeMonoBold.ttf",
    # office fonts of letters printed from a word processor (field mode, restyle.py): Calibri- and
    # Cambria-metric Carlito / Caladea (fonts-crosextra-*), Open Sans (fonts-open-sans)
    "carlito": f"{_FONT_DIR}/crosextra/Carlito-Regular.ttf",
    "carlito-b": f"{_FONT_DIR}/crosextra/Carlito-Bold.ttf",
    "caladea": f"{_FONT_DIR}/crosextra/Caladea-Regular.ttf",
    "caladea-b": f"{_FONT_DIR}/crosextra/Caladea-Bold.ttf",
    "open-sans": f"{_FONT_DIR}/open-sans/OpenSans-Regular.ttf",
    "open-sans-b": f"{_FONT_DIR}/open-sans/OpenSans-Bold.ttf",
    "open-sans-c": f"{_FONT_DIR}/open-sans/OpenSans-CondLight.ttf",
    "open-sans-cb": f"{_FONT_DIR}/open-sans/OpenSans-CondBold.ttf",
}
BOLD_OF = {"sans": "sans-b", "narrow": "narrow-b", "dejavu": "dejavu-b", "dejavu-c": "dejavu-cb",
           "serif": "serif-b", "dserif": "dserif-b", "free-sans": "free-sans-b", "free-serif": "free-serif-b",
           "free-mono": "free-mono-b", "carlito": "carlito-b", "caladea": "caladea-b", "open-sans": "open-sans-b",
           "open-sans-c": "open-sans-cb"}
MM_PER_PT = 25.4 / 72
Color = tuple[int, int, int]


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    font: str = "sans"
    size: float = 10.0  # points
    fill: Color = (20, 20, 20)
    align: str = "l"
    tracking: float = 0.0  # extra space after each letter, in em (field mode's letter spacing)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.3
    fill: Color = (20, 20, 20)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    outline: Color | None = (20, 20, 20)
    fill: Color | None = None
    width: float = 0.3
    ellipse: bool = False


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    width: float = 0.35
    fill: Color = (20, 20, 80)


@dataclass(frozen=True)
class Picture:
    """A raster image stretched over a box (backgrounds, patterns, photos)."""

    x: float
    y: float
    w: float
    h: float
    image: Image.Image = field(compare=False)


Op = Text | Line | Rect | Polyline | Picture


@dataclass
class Page:
    width_mm: float
    height_mm: float
    ops: list[Op] = field(default_factory=list)
    paper: Color = (255, 255, 255)

    def add(self, *ops: Op) -> None:
        self.ops.extend(ops)


@lru_cache(maxsize=256)
def font(name: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONTS[name], max(size_px, 4))


def text_width_mm(text: str, font_name: str, size_pt: float) -> float:
    """Width of a text in mm at a given point size (measured at 10 px per point)."""
    f = font(font_name, int(size_pt * 10))
    return f.getlength(text) / 10 * MM_PER_PT


def fit_size(text: str, font_name: str, size_pt: float, max_mm: float) -> float:
    """The largest size <= size_pt at which text fits in max_mm."""
    w = text_width_mm(text, font_name, size_pt)
    return size_pt if w <= max_mm else size_pt * max_mm / w


def rasterize(page: Page, dpi: float) -> Image.Image:
    """Draw a page at dpi; returns an RGB image."""
    s = dpi / 25.4
    size = (round(page.width_mm * s), round(page.height_mm * s))
    img = Image.new("RGB", size, page.paper)
    draw = ImageDraw.Draw(img)
    for op in page.ops:
        if isinstance(op, Picture):
            box = (round(op.x * s), round(op.y * s), round((op.x + op.w) * s), round((op.y + op.h) * s))
            pic = op.image.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BILINEAR)
            if pic.mode == "RGBA":
                img.paste(pic, box[:2], pic)
            else:
                img.paste(pic.convert("RGB"), box[:2])
        elif isinstance(op, Text):
            f = font(op.font, round(op.size * dpi / 72))
            if op.tracking:
                _tracked(draw, op, f, s, op.tracking * op.size * dpi / 72)
            else:
                draw.text((op.x * s, op.y * s), op.text, font=f, fill=op.fill, anchor=op.align + "s")
        elif isinstance(op, Line):
            draw.line([(op.x1 * s, op.y1 * s), (op.x2 * s, op.y2 * s)], fill=op.fill, width=max(1, round(op.width * s)))
        elif isinstance(op, Rect):
            box = [op.x * s, op.y * s, (op.x + op.w) * s, (op.y + op.h) * s]
            fn = draw.ellipse if op.ellipse else draw.rectangle
            fn(box, outline=op.outline, fill=op.fill, width=max(1, round(op.width * s)))
        elif isinstance(op, Polyline):
            draw.line([(x * s, y * s) for x, y in op.points], fill=op.fill, width=max(1, round(op.width * s)),
                      joint="curve")
    return img


def _tracked(draw: ImageDraw.ImageDraw, op: Text, f: ImageFont.FreeTypeFont, s: float, gap: float) -> None:
    """A text drawn letter by letter with `gap` pixels of extra spacing, aligned as op.align says."""
    total = f.getlength(op.text) + gap * max(len(op.text) - 1, 0)
    x = op.x * s - {"l": 0.0, "m": total / 2, "r": total}[op.align]
    for ch in op.text:
        draw.text((x, op.y * s), ch, font=f, fill=op.fill, anchor="ls")
        x += f.getlength(ch) + gap
