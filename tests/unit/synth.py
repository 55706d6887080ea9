"""Synthetic renders for the tests: text lines and KTP-like cards (made-up data only).

Not a sample generator (that is scripts/samplegen); just enough pixels to exercise OCR, preprocessing
and the NIK reader without any real document.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

OCRA = Path("/usr/share/fonts/truetype/ocr-a/OCRA.ttf")
SANS = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
SANS_BOLD = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")
KTP_BLUE_BGR = (235, 215, 170)  # light blue in BGR


@lru_cache(maxsize=64)
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def render_lines(lines: list[str], *, size: int = 32, path: Path = SANS, pad: int = 20) -> np.ndarray:
    """Black text lines on white, grayscale uint8."""
    f = font(path, size)
    width = max(int(f.getlength(t)) for t in lines) + 2 * pad
    step = int(size * 1.6)
    img = Image.new("L", (width, pad * 2 + step * len(lines)), 255)
    d = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        d.text((pad, pad + i * step), t, font=f, fill=0)
    return np.array(img)


def guilloche(h: int, w: int, rng: np.random.Generator, color=(205, 170, 120)) -> np.ndarray:
    """Light-blue background with thin wavy lines, BGR."""
    img = np.full((h, w, 3), KTP_BLUE_BGR, np.uint8)
    xs = np.arange(w)
    for k in range(14):
        amp, per, ph = rng.uniform(5, 25), rng.uniform(60, 200), rng.uniform(0, 6.3)
        y0 = (k + 0.5) * h / 14
        ys = (y0 + amp * np.sin(xs / per * 6.283 + ph)).astype(np.int32)
        pts = np.stack([xs, ys], 1).reshape(-1, 1, 2)
        cv2.polylines(img, [pts], False, color, 1, cv2.LINE_AA)
    return img


def render_card(
    nik: str,
    rows: list[tuple[str, str]],
    *,
    width: int = 1100,
    seed: int = 0,
    header: tuple[str, str] = ("PROVINSI JAWA TIMUR", "KOTA PASURUAN"),
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A KTP-like card (BGR) and the box (x, y, w, h) of its NIK digits. Layout scales with `width`."""
    rng = np.random.default_rng(seed)
    h = int(round(width * 54 / 85.6))
    s = width / 1000
    img = Image.fromarray(cv2.cvtColor(guilloche(h, width, rng), cv2.COLOR_BGR2RGB))
    d = ImageDraw.Draw(img)
    fh = font(SANS_BOLD, int(30 * s))
    for i, t in enumerate(header):
        tw = fh.getlength(t)
        d.text(((width - tw) / 2, int((14 + 36 * i) * s)), t, font=fh, fill=(0, 0, 0))
    fl, fn = font(SANS_BOLD, int(30 * s)), font(OCRA, int(40 * s))
    y = int(100 * s)
    d.text((int(30 * s), y + int(4 * s)), "NIK", font=fl, fill=(0, 0, 0))
    d.text((int(200 * s), y + int(4 * s)), ":", font=fl, fill=(0, 0, 0))
    nx = int(230 * s)
    d.text((nx, y), nik, font=fn, fill=(0, 0, 0))
    x0, y0, x1, y1 = d.textbbox((nx, y), nik, font=fn)
    nik_box = (x0, y0, x1 - x0, y1 - y0)
    fr = font(SANS, int(22 * s))
    y = int(165 * s)
    for label, value in rows:
        d.text((int(30 * s), y), label, font=fr, fill=(0, 0, 0))
        d.text((int(200 * s), y), ": " + value, font=fr, fill=(0, 0, 0))
        y += int(32 * s)
    # photo placeholder on the right
    d.rectangle([int(760 * s), int(150 * s), int(960 * s), int(420 * s)], fill=(200, 60, 60))
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR), nik_box


DEMO_ROWS = [
    ("Nama", "SITI AMINAH"),
    ("Tempat/Tgl Lahir", "PASURUAN, 05-06-1999"),
    ("Jenis Kelamin", "PEREMPUAN"),
    ("Alamat", "JL. MELATI NO. 12"),
    ("RT/RW", "003/019"),
    ("Kel/Desa", "KEBONAGUNG"),
    ("Kecamatan", "PURWOREJO"),
    ("Agama", "ISLAM"),
    ("Kewarganegaraan", "WNI"),
]


def place_on_background(
    card: np.ndarray, quad: np.ndarray, size: tuple[int, int], *, seed: int = 0
) -> np.ndarray:
    """Warp `card` onto the quadrilateral `quad` (4x2, TL TR BR BL) of a darker textured canvas (w, h)."""
    rng = np.random.default_rng(seed)
    w, h = size
    bg = np.full((h, w, 3), (70, 90, 110), np.uint8)
    noise = rng.normal(0, 8, (h, w, 1)).astype(np.int16)
    bg = np.clip(bg.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    ch, cw = card.shape[:2]
    src = np.float32([[0, 0], [cw - 1, 0], [cw - 1, ch - 1], [0, ch - 1]])
    m = cv2.getPerspectiveTransform(src, np.float32(quad))
    warped = cv2.warpPerspective(card, m, (w, h))
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), m, (w, h))
    bg[mask > 127] = warped[mask > 127]
    return bg
