"""Background textures: KTP guilloche, paper tint, photo placeholder, stamps and signatures."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from scripts.samplegen.layout import Color, Polyline, Rect, Text, fit_size


def guilloche(rng: np.random.Generator, w_px: int, h_px: int) -> Image.Image:
    """A light-blue security-print background: gradient plus interfering sine or ring patterns."""
    yy, xx = np.mgrid[0:h_px, 0:w_px].astype(np.float32)
    xx /= w_px
    yy /= h_px
    base = np.array([rng.uniform(190, 215), rng.uniform(220, 238), rng.uniform(238, 252)], np.float32)
    grad = (1 - 0.10 * (xx * rng.uniform(0.3, 1) + yy * rng.uniform(0, 0.6)))[..., None]
    kind = int(rng.integers(3))
    f1, f2 = rng.uniform(25, 60), rng.uniform(4, 12)
    if kind == 0:
        wave = np.sin(f1 * (yy + 0.08 * np.sin(f2 * xx * math.pi)) * math.pi)
    elif kind == 1:
        cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
        r = np.sqrt(((xx - cx) * 1.6) ** 2 + (yy - cy) ** 2)
        wave = np.sin(f1 * r * math.pi + 3 * np.sin(8 * np.arctan2(yy - cy, xx - cx)))
    else:
        wave = np.sin(f1 * (xx + yy) * math.pi) * np.sin(f1 * 0.8 * (xx - yy) * math.pi)
    lines = (np.abs(wave) < rng.uniform(0.08, 0.2)).astype(np.float32)
    strength = rng.uniform(12, 35)
    img = base[None, None, :] * grad - lines[..., None] * strength * np.array([1.0, 0.6, 0.25], np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def paper_tint(rng: np.random.Generator, w_px: int, h_px: int, tint: Color, border: bool) -> Image.Image:
    """Ijazah paper: tinted background with optional ornamental border pattern."""
    yy, xx = np.mgrid[0:h_px, 0:w_px].astype(np.float32)
    base = np.array(tint, np.float32)
    f = rng.uniform(40, 90)
    wave = np.sin(xx / w_px * f) * np.cos(yy / h_px * f * 1.4)
    img = base[None, None, :] - (np.abs(wave) < 0.05)[..., None] * rng.uniform(6, 14)
    if border:
        m = int(min(w_px, h_px) * 0.035)
        edge = (xx < m) | (yy < m) | (xx > w_px - m) | (yy > h_px - m)
        img[edge] = img[edge] * 0.86
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def photo(rng: np.random.Generator, background: Color, w_px: int = 120, h_px: int = 150) -> Image.Image:
    """A pas-foto placeholder: plain coloured backdrop with a neutral silhouette."""
    img = Image.new("RGB", (w_px, h_px), background)
    d = ImageDraw.Draw(img)
    skin = tuple(int(v) for v in rng.integers([150, 110, 80], [210, 160, 125]))
    cloth = tuple(int(v) for v in rng.integers(20, 120, 3))
    d.ellipse([w_px * 0.1, h_px * 0.62, w_px * 0.9, h_px * 1.25], fill=cloth)
    d.ellipse([w_px * 0.28, h_px * 0.18, w_px * 0.72, h_px * 0.66], fill=skin)
    if rng.random() < 0.4:  # hijab or dark hair
        d.pieslice([w_px * 0.24, h_px * 0.12, w_px * 0.76, h_px * 0.60], 180, 360, fill=cloth)
    return img


def signature(rng: np.random.Generator, x: float, y: float, w: float, h: float, color: Color) -> Polyline:
    """A scribble inside the box (mm)."""
    n = int(rng.integers(14, 30))
    t = np.linspace(0, 1, n)
    xs = x + w * (t + 0.06 * np.sin(t * rng.uniform(10, 25)))
    ys = y + h * (0.5 + 0.42 * np.sin(t * rng.uniform(8, 20) + rng.uniform(0, 6)) * rng.uniform(0.5, 1, n))
    return Polyline(tuple(zip(xs.round(2).tolist(), ys.round(2).tolist(), strict=True)), width=0.3, fill=color)


def stamp(cx: float, cy: float, r: float, lines: list[str], color: Color) -> list:
    """A round institutional stamp (mm) with short lines of text inside."""
    ops: list = [Rect(cx - r, cy - r, 2 * r, 2 * r, outline=color, width=0.45, ellipse=True),
                 Rect(cx - r * 0.72, cy - r * 0.72, 1.44 * r, 1.44 * r, outline=color, width=0.25, ellipse=True)]
    pitch = r * 0.42
    y0 = cy - (len(lines) - 1) * pitch / 2
    for i, line in enumerate(lines):
        size = fit_size(line, "sans-b", r * 0.75, r * 1.3)
        ops.append(Text(cx, y0 + i * pitch + pitch * 0.3, line, "sans-b", size, color, "m"))
    return ops
