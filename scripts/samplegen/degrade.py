"""Scanner and camera effects on a rendered page: dpi, skew, rotation, noise, perspective, light, blur.

All functions take and return RGB PIL images and draw randomness only from the given Generator.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

A4_MM = (210.0, 297.0)


def _noise(rng: np.random.Generator, arr: np.ndarray, sigma: float) -> np.ndarray:
    """Grey sensor noise (same on all channels), drawn at half resolution and saturating."""
    h, w = arr.shape[:2]
    small = rng.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32) * (sigma * 1.6)
    n = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.int16)
    if arr.ndim == 3:
        n = cv2.merge([n] * arr.shape[2])
    return cv2.add(arr, n, dtype=cv2.CV_8U)


def _tone(rng: np.random.Generator, arr: np.ndarray, spread: float) -> np.ndarray:
    gain = 1 + rng.uniform(-spread, spread)
    bias = rng.uniform(-spread, spread) * 60
    return cv2.convertScaleAbs(arr, alpha=float(gain), beta=float(bias))


def _smooth_field(w: int, h: int, fn) -> np.ndarray:
    """A slowly varying float field computed on a coarse grid and resized to (h, w)."""
    cw, ch = max(w // 16, 2), max(h // 16, 2)
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    small = fn(xx / cw, yy / ch).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def on_a4(rng: np.random.Generator, card: Image.Image, dpi: float, card_mm: tuple[float, float], *,
          back: Image.Image | None = None) -> Image.Image:
    """A card laid on a flatbed: the card image placed on a white A4 page at dpi (a 'fotokopi KTP').

    With `back`, the card's reverse side is laid below the front, as on a two-sided photocopy.
    """
    s = dpi / 25.4
    page = Image.new("RGB", (round(A4_MM[0] * s), round(A4_MM[1] * s)), (250, 250, 248))
    cw, ch = round(card_mm[0] * s), round(card_mm[1] * s)
    small = card.resize((cw, ch), Image.Resampling.LANCZOS)
    mask = card_mask(small.size)
    x = int(rng.integers(round(15 * s), page.width - cw - round(15 * s)))
    y = int(rng.integers(round(12 * s), round(120 * s)))
    page.paste(small, (x, y), mask)
    if back is not None:
        gap = int(rng.integers(round(8 * s), round(30 * s)))
        page.paste(back.resize((cw, ch), Image.Resampling.BILINEAR), (x, y + ch + gap), mask)
    return page


def card_mask(size: tuple[int, int]) -> Image.Image:
    """An ID-1 card outline: rounded corners (radius 3.18 mm of 85.6 mm)."""
    w, h = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=round(w * 3.18 / 85.6), fill=255)
    return mask


def glare(rng: np.random.Generator, arr: np.ndarray) -> np.ndarray:
    """A soft specular highlight (laminate / hologram reflection) somewhere on the image."""
    h, w = arr.shape[:2]
    cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.06, 0.18)
    strength = rng.uniform(60, 140)
    field = _smooth_field(w, h, lambda x, y: np.exp(-(((x - cx) * w / h) ** 2 + (y - cy) ** 2) / r**2))
    out = arr.astype(np.float32) + (field * strength)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def skew(rng: np.random.Generator, img: Image.Image, max_deg: float) -> tuple[Image.Image, float]:
    """Rotate by a small random angle, growing the canvas (scanner-lid grey in the corners)."""
    angle = float(rng.uniform(-max_deg, max_deg))
    w, h = img.size
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(np.asarray(img), m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(246, 246, 244))
    return Image.fromarray(out), angle


def flatbed(rng: np.random.Generator, img: Image.Image, *, max_skew: float = 3.0, noise: float | None = None,
            grey: bool = False) -> Image.Image:
    """Small skew, sensor noise, tone shift, optional grey-scale photocopy look."""
    img, _ = skew(rng, img, max_skew)
    if grey:
        img = img.convert("L").convert("RGB")
    arr = _tone(rng, np.asarray(img), 0.06)
    if grey and rng.random() < 0.5:  # photocopier contrast: light tints wash out, ink goes darker
        arr = cv2.convertScaleAbs(arr, alpha=float(rng.uniform(1.3, 1.8)), beta=float(rng.uniform(-110, -50)))
    return Image.fromarray(_noise(rng, arr, float(rng.uniform(2.5, 7.0)) if noise is None else noise))


def low_dpi(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """A cheap scan: blur a little, JPEG-like softness and noise (render at ~150 dpi before calling)."""
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 0.9))))
    return flatbed(rng, img, max_skew=1.5, noise=8.0)


def rotate_right_angle(rng: np.random.Generator, img: Image.Image) -> tuple[Image.Image, int]:
    """Rotated by 90, 180 or 270 degrees (counter-clockwise)."""
    angle = int(rng.choice([90, 180, 270]))
    return img.rotate(angle, expand=True), angle


def _table(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A table-top or cloth background: base colour with wood-like grain."""
    base = np.asarray(rng.choice([[120, 85, 55], [160, 130, 95], [70, 70, 75], [200, 195, 185], [40, 60, 90]]),
                      np.float32)
    f, amp = rng.uniform(30, 120), rng.uniform(4, 14)
    grain = _smooth_field(w, h, lambda x, y: np.sin(y * f + np.sin(x * 7) * 2) * amp)
    return np.clip(base[None, None, :] + grain[..., None], 0, 255).astype(np.uint8)


def turned(points: np.ndarray, cx: float, cy: float, degrees: float) -> np.ndarray:
    """Corner points turned by `degrees` about (cx, cy), as float32."""
    ang = np.deg2rad(degrees)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]], np.float32)
    return ((points - [cx, cy]) @ rot.T + [cx, cy]).astype(np.float32)


def lay(doc: Image.Image, dst: np.ndarray, canvas: np.ndarray, *, card: bool,
        flags: int = cv2.INTER_LINEAR) -> np.ndarray:
    """`doc` warped onto the four corner points `dst` of `canvas` (a card keeps its rounded corners)."""
    dw, dh = doc.size
    h, w = canvas.shape[:2]
    src = np.array([[0, 0], [dw, 0], [dw, dh], [0, dh]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(np.asarray(doc), m, (w, h), flags=flags)
    outline = np.asarray(card_mask((dw, dh))) if card else np.full((dh, dw), 255, np.uint8)
    mask = cv2.warpPerspective(outline, m, (w, h), flags=cv2.INTER_LINEAR)
    return np.ascontiguousarray(np.where(mask[..., None] > 127, warped, canvas))


def phone_photo(rng: np.random.Generator, doc: Image.Image, out_size: tuple[int, int], *,
                card: bool = False) -> Image.Image:
    """The document photographed on a table: perspective, uneven light/shadow, slight blur and noise.

    Cards get rounded corners and sometimes a glare spot.
    """
    w, h = out_size
    canvas = _table(rng, w, h)
    dw, dh = doc.size
    scale = min(w / dw, h / dh) * rng.uniform(0.62, 0.86)
    cx, cy = w / 2 + rng.uniform(-0.08, 0.08) * w, h / 2 + rng.uniform(-0.08, 0.08) * h
    hw, hh = dw * scale / 2, dh * scale / 2
    corners = np.array([[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]], np.float32)
    jitter = rng.uniform(-0.07, 0.07, (4, 2)).astype(np.float32) * np.array([hw, hh], np.float32)
    dst = turned(corners + jitter, cx, cy, rng.uniform(-8, 8))
    arr = lay(doc, dst, canvas, card=card)
    # uneven light: a linear gradient plus a soft shadow band, applied as one smooth gain field
    gx, gy = rng.uniform(-1, 1, 2)
    slope = rng.uniform(0.08, 0.25)
    shadow = rng.random() < 0.6
    pos, width, depth = rng.uniform(0.2, 0.8), rng.uniform(0.08, 0.25), rng.uniform(0.15, 0.35)
    along_x = rng.random() < 0.5

    def light_fn(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = 1 + slope * (gx * (x - 0.5) + gy * (y - 0.5))
        if shadow:
            out = out - depth * np.exp(-((((x if along_x else y) - pos) / width) ** 2))
        return out

    light = _smooth_field(w, h, light_fn)
    warm = np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.86, 0.98)], np.float32)
    arr = cv2.multiply(arr.astype(np.float32), cv2.merge([light * float(c) for c in warm]))
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if card and rng.random() < 0.35:
        arr = glare(rng, arr)
    k = int(rng.choice([1, 3, 3, 5]))
    if k > 1:
        arr = cv2.GaussianBlur(arr, (k, k), 0)
    return Image.fromarray(_noise(rng, arr, float(rng.uniform(2, 6))))
