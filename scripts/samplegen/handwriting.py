"""Words written by hand on a printed form: a handwriting font drawn glyph by glyph with a writer's wobble.

Each glyph gets its own small shift of the baseline, size change and turn, the whole word a slant and a pen
width that swells and thins along it, so two names written by the same `hand` never come out identical. An
illegible entry is what a verifier meets on old papers: a hurried scrawl, pale ink that ran, a water blot;
the truth marks it `legible: false`, and nobody (human or machine) is expected to read it.

The result is a picture (RGBA, transparent paper) placed on the page like any other drawing operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from scripts.samplegen.layout import Color, Page, Picture, Text, text_width_mm

_HAND_DIR = "/usr/share/fonts"
# font file and the Debian package that installs it
HANDS: dict[str, tuple[str, str]] = {
    "school-cursive": (f"{_HAND_DIR}/truetype/ecolier-court/Ecolier-court.ttf", "fonts-ecolier-court"),
    "casual-script": (f"{_HAND_DIR}/opentype/dancingscript/DancingScript-Regular.otf", "fonts-dancingscript"),
    "print": (f"{_HAND_DIR}/truetype/fifthhorseman/dkg.ttf", "fonts-dkg-handwriting"),
    "print-bold": (f"{_HAND_DIR}/truetype/fifthhorseman/dkgBd.ttf", "fonts-dkg-handwriting"),
}
_PX_PER_MM = 10.0  # drawing resolution of the picture (254 dpi, above the scans made of it)


@dataclass(frozen=True)
class Writer:
    """One person's handwriting on one paper: the same hand, slant and ink for all their entries."""

    hand: str
    slant: float  # degrees, positive leans right
    ink: Color
    pen: float  # mean stroke width in px at _PX_PER_MM
    wobble: float  # 0..1, how unsteady the glyphs are


def pick_writer(rng: np.random.Generator, *, capitals: bool) -> Writer:
    """A clerk's hand: print hands for capitals (names), any hand otherwise; blue-black or black ink."""
    pool = ["print", "print-bold", "casual-script"] if capitals else list(HANDS)  # school capitals are ornate
    hand = pool[int(rng.integers(len(pool)))]
    ink = ((25, 40, 120) if rng.random() < 0.55 else (30, 30, 40)) if rng.random() < 0.85 else (60, 45, 40)
    return Writer(hand, float(rng.uniform(-4, 16)), ink, float(rng.uniform(0.0, 1.6)), float(rng.uniform(0.2, 0.6)))


@lru_cache(maxsize=512)
def _font(hand: str, px: int) -> ImageFont.FreeTypeFont:
    path, package = HANDS[hand]
    try:
        return ImageFont.truetype(path, max(px, 6))
    except OSError as e:
        raise RuntimeError(f"handwriting font {path} is missing: install the Debian package {package} "
                           "(scripts/setup.sh does)") from e


def _glyph(ch: str, f: ImageFont.FreeTypeFont, ink: Color, pen: int) -> Image.Image:
    box = f.getbbox(ch, stroke_width=pen)
    w, h = int(max(box[2] - box[0], 1)) + 4, int(max(box[3] - box[1], 1)) + 4
    img = Image.new("RGBA", (w, h), (*ink, 0))  # transparent paper in the ink's colour: no dark fringes
    ImageDraw.Draw(img).text((2 - box[0], 2 - box[1]), ch, font=f, fill=(*ink, 255), stroke_width=pen,
                             stroke_fill=(*ink, 255))
    return img


def write(rng: np.random.Generator, text: str, height_mm: float, w: Writer, *, legible: bool = True,
          max_w_mm: float | None = None) -> tuple[Picture, float]:
    """`text` in `w`'s hand, capitals about `height_mm` high: (picture, its baseline in mm from the top).

    The picture's x, y are set by `place`. With `max_w_mm` the writing is squeezed (as a writer does near
    the end of a line) to fit.
    """
    px = round(height_mm * _PX_PER_MM * 1.45)
    f = _font(w.hand, px)
    wobble = w.wobble if legible else min(1.0, w.wobble + 0.7)
    ascent, descent = f.getmetrics()
    canvas_h = ascent + descent + px
    base = ascent + px // 3
    pieces: list[tuple[Image.Image, int, int]] = []
    x = 4.0
    drift = 0.0
    for i, ch in enumerate(text):
        adv = f.getlength(ch)
        if ch == " ":
            x += adv * float(rng.uniform(0.8, 1.5))
            continue
        size = max(6, round(px * float(rng.uniform(1 - 0.08 * wobble, 1 + 0.1 * wobble))))
        gf = _font(w.hand, size)
        pen = max(0, round(w.pen + math.sin(i * 0.7 + float(rng.uniform(0, 3))) * 0.8
                           + float(rng.normal(0, 0.3))))
        g = _glyph(ch, gf, w.ink, pen)
        turn = float(rng.normal(0, 4 * wobble))
        g = g.rotate(turn, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(*w.ink, 0))
        drift += float(rng.normal(0, 0.6 * wobble))
        top = gf.getbbox(ch, stroke_width=pen)[1]
        dy = round(base - (gf.getmetrics()[0] - top) + drift * px * 0.04 + rng.normal(0, px * 0.03 * wobble))
        pieces.append((g, round(x), dy))
        x += adv * (size / px) * float(rng.uniform(0.92, 1.08 + 0.1 * wobble))
    width = int(x + px)
    img = Image.new("RGBA", (max(width, 8), canvas_h + px), (*w.ink, 0))
    for g, gx, gy in pieces:
        img.alpha_composite(g, (max(gx, 0), max(gy + px // 2, 0)))
    img = _slant(img, w.slant + (float(rng.uniform(8, 18)) if not legible else 0.0), w.ink)
    if not legible:
        img = _spoil(rng, img, w.ink)
    box = img.getbbox() or (0, 0, 1, 1)
    img = img.crop(box)
    baseline = (base + px // 2 + 2 - box[1]) / _PX_PER_MM
    w_mm, h_mm = img.width / _PX_PER_MM, img.height / _PX_PER_MM
    if max_w_mm and w_mm > max_w_mm:  # squeezed up to a fifth, then written smaller
        squeeze = max(max_w_mm / w_mm, 0.8)
        shrink = max_w_mm / w_mm / squeeze
        img = img.resize((max(1, round(img.width * squeeze * shrink)), max(1, round(img.height * shrink))),
                         Image.Resampling.LANCZOS)
        w_mm, h_mm, baseline = img.width / _PX_PER_MM, img.height / _PX_PER_MM, baseline * shrink
    return Picture(0, 0, w_mm, h_mm, img), baseline


def place(pic: Picture, pic_baseline: float, x: float, baseline: float) -> Picture:
    """The writing put on a line: left end at x, its baseline on the line's."""
    return Picture(x, baseline - pic_baseline, pic.w, pic.h, pic.image)


def _slant(img: Image.Image, degrees: float, ink: Color) -> Image.Image:
    k = math.tan(math.radians(degrees))
    extra = int(abs(k) * img.height) + 2
    out = img.transform((img.width + extra, img.height), Image.Transform.AFFINE,
                        (1, k, -extra if k > 0 else 0, 0, 1, 0), resample=Image.Resampling.BILINEAR,
                        fillcolor=(*ink, 0))
    return out


def _spoil(rng: np.random.Generator, img: Image.Image, ink: Color) -> Image.Image:
    """Make the entry unreadable the way old papers are: ink that ran (smeared, pale) and a water blot."""
    arr = np.asarray(img).astype(np.float32)
    arr[..., :3] = ink
    alpha: np.ndarray = arr[..., 3]
    k = int(rng.integers(15, 25)) | 1
    kernel: np.ndarray = np.zeros((k, k), np.float32)
    kernel[k // 2, :] = 1
    kernel = cv2.warpAffine(kernel, cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), float(rng.uniform(0, 180)),
                                                            1.0), (k, k))
    kernel = (kernel / max(float(kernel.sum()), 1e-6)).astype(np.float32)
    alpha = cv2.filter2D(alpha, -1, kernel)
    alpha = cv2.GaussianBlur(alpha, (0, 0), float(rng.uniform(3.0, 4.5)))
    h, w = alpha.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gone = cv2.resize(rng.random((3, max(2, w // 40)), dtype=np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    alpha = alpha * np.clip((gone - 0.25) * 2.5, 0.05, 1)  # whole stretches faded to almost nothing
    for _ in range(int(rng.integers(2, 4))):  # blots where the ink spread and faded
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.2, 0.8) * h
        r = rng.uniform(0.15, 0.3) * w
        blot = np.exp(-(((xx - cx) / r) ** 2 + ((yy - cy) / (r * 0.6)) ** 2))
        alpha = alpha * (1 - 0.5 * blot) + 90 * blot * (alpha > 8)
    arr[..., 3] = np.clip(alpha * float(rng.uniform(0.55, 0.8)), 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA").filter(ImageFilter.GaussianBlur(0.6))


_PEN_FONTS = ("serif-i", "free-serif-i")  # the italic the health-letter layouts use for "filled in by hand"


def pen_entries_by_hand(rng: np.random.Generator, page: Page, fields: dict) -> tuple[Page, set[str]]:
    """A form's values that the layout typeset in a pen-like italic, written by a hand instead.

    Returns the page and the truth fields now handwritten (a value equal to the field, or a blood pressure
    followed by its unit). The writing keeps the italic's position and colour, and at most 60 % more width.
    """
    writer: Writer | None = None
    ops: list = []
    hand: set[str] = set()
    for op in page.ops:
        if not (isinstance(op, Text) and op.font in _PEN_FONTS):
            ops.append(op)
            continue
        if writer is None:
            writer = replace(pick_writer(rng, capitals=True), ink=op.fill)
        width = text_width_mm(op.text, op.font, op.size)
        pic, base = write(rng, op.text, op.size * 0.38, writer, max_w_mm=width * 1.6)
        ops.append(place(pic, base, op.x, op.y))
        text = op.text.upper()
        hand |= {k for k, v in fields.items() if isinstance(v, str) and v and (
            text == v.upper() or (k == "tekanan_darah" and text.split()[0] == v))}
    return Page(page.width_mm, page.height_mm, ops, page.paper), hand
