"""Extra degradations (families.DEGRADATIONS) applied to a rendered shot: harsher than the classic variants.

Each function takes and returns an RGB PIL image and draws randomness only from the given Generator. They are
generic camera, scanner and paper effects, never tied to where a layout puts its text.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from scripts.samplegen import degrade
from scripts.samplegen.layout import Page, rasterize
from scripts.samplegen.render import Shot, shoot


def motion_blur(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """A hand that moved: a line kernel of 5-13 px at any angle."""
    n = int(rng.integers(5, 14))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    m = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, m, (n, n))
    k /= max(float(k.sum()), 1e-6)
    return Image.fromarray(cv2.filter2D(np.asarray(img), -1, k, borderType=cv2.BORDER_REPLICATE))


def vignette(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """Strong light fall-off towards the corners (gain down to 0.35-0.6), centre slightly off."""
    w, h = img.size
    cx, cy = rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)
    edge = rng.uniform(0.35, 0.6)
    gain = degrade._smooth_field(w, h, lambda x, y: 1 - (1 - edge) * np.clip(
        ((x - cx) ** 2 + (y - cy) ** 2) / 0.5, 0, 1) ** 1.3)
    out = np.asarray(img).astype(np.float32) * gain[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def crease(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """A fold across the page (letters are folded in three or in half): dark line, one side shaded."""
    w, h = img.size
    horizontal = rng.random() < 0.8
    length = h if horizontal else w
    pos = length * float(rng.choice([1 / 3, 1 / 2, 2 / 3])) + rng.uniform(-0.03, 0.03) * length
    slope = rng.uniform(-0.02, 0.02)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = (yy - pos - slope * (xx - w / 2)) if horizontal else (xx - pos - slope * (yy - h / 2))
    px = max(w, h) / 1000
    shade = rng.uniform(0.05, 0.15) * np.exp(-np.clip(d, 0, None) / (25 * px)) * (d > 0)
    light = rng.uniform(0.0, 0.06) * np.exp(np.clip(d, None, 0) / (15 * px)) * (d <= 0)
    line = rng.uniform(0.25, 0.5) * np.exp(-((d / (1.2 * px)) ** 2))
    gain = 1 - shade - line + light
    out = np.asarray(img).astype(np.float32) * gain[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def to_dpi(img: Image.Image, dpi: float, target: float) -> Image.Image:
    """The same scan at a lower resolution (area averaging, as a scanner's optics would)."""
    if dpi <= target:
        return img
    size = (max(1, round(img.width * target / dpi)), max(1, round(img.height * target / dpi)))
    return Image.fromarray(cv2.resize(np.asarray(img), size, interpolation=cv2.INTER_AREA))


def bw_photocopy(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """A black-and-white copier: grey, contrast pushed, hard threshold, toner specks and a light streak."""
    g = np.asarray(img.convert("L")).astype(np.float32)
    g = cv2.GaussianBlur(g, (3, 3), 0)
    thr = rng.uniform(120, 175)
    bw = np.where(g < thr, 0, 255).astype(np.uint8)
    specks = rng.random(bw.shape, dtype=np.float32) < rng.uniform(0.0005, 0.003)
    bw[specks] = 0
    if rng.random() < 0.5:  # a dirty drum leaves a faint vertical streak
        x = int(rng.integers(0, bw.shape[1]))
        bw[:, x:x + max(1, bw.shape[1] // 400)] = np.minimum(bw[:, x:x + max(1, bw.shape[1] // 400)], 150)
    return Image.fromarray(bw).convert("RGB")


def _desk(rng: np.random.Generator, w: int, h: int, kind: str) -> np.ndarray:
    """A near-black desk, or a patterned cloth (checks, stripes or dots) in two colours."""
    if kind == "dark_desk":
        base = rng.uniform(15, 50, 3).astype(np.float32)
        grain = degrade._smooth_field(w, h, lambda x, y: np.sin(y * rng.uniform(40, 90) + np.sin(x * 5)) * 6)
        return np.clip(base[None, None, :] + grain[..., None], 0, 255).astype(np.uint8)
    a = rng.uniform(60, 230, 3)
    b = rng.uniform(20, 200, 3)
    period = rng.uniform(0.02, 0.08) * max(w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    style = int(rng.integers(3))
    if style == 0:
        mask = ((xx // period + yy // period) % 2) > 0
    elif style == 1:
        mask = ((xx + yy) // period % 2) > 0
    else:
        mask = ((xx % period - period / 2) ** 2 + (yy % period - period / 2) ** 2) < (period * 0.3) ** 2
    return np.where(mask[..., None], a, b).astype(np.uint8)


def _finger(rng: np.random.Generator, arr: np.ndarray, corner: np.ndarray, inward: np.ndarray, size: float) -> None:
    """A skin-toned finger (or a dark pen cap) covering a corner point, pointing inward, drawn in place."""
    colour = (rng.uniform([170, 120, 90], [230, 175, 140]) if rng.random() < 0.8
              else rng.uniform(10, 60, 3))
    ang = math.degrees(math.atan2(inward[1], inward[0]))
    centre = corner - inward * size * 0.9
    axes = (int(size * 1.6), int(size * 0.55))
    c = tuple(float(v) for v in colour)
    cv2.ellipse(arr, (int(centre[0]), int(centre[1])), axes, ang, 0, 360, c, -1, cv2.LINE_AA)
    shade = tuple(float(v) * 0.8 for v in colour)
    cv2.ellipse(arr, (int(centre[0]), int(centre[1])), (axes[0], max(1, axes[1] // 3)), ang, 0, 360, shade, -1,
                cv2.LINE_AA)


def phone_photo_hard(rng: np.random.Generator, doc: Image.Image, out_size: tuple[int, int], *, card: bool,
                     wanted: list[str]) -> Image.Image:
    """The classic phone photo with the harder conditions in `wanted` (desk, 5-15 deg tilt, finger)."""
    w, h = out_size
    desk = next((d for d in wanted if d in ("dark_desk", "patterned_desk")), None)
    canvas = _desk(rng, w, h, desk) if desk else degrade._table(rng, w, h)
    dw, dh = doc.size
    tilt = float(rng.uniform(5, 15) * rng.choice([-1, 1])) if "tilt_5_15" in wanted else float(rng.uniform(-8, 8))
    fill = rng.uniform(0.55, 0.72) if "tilt_5_15" in wanted else rng.uniform(0.62, 0.86)
    scale = min(w / dw, h / dh) * fill
    cx, cy = w / 2 + rng.uniform(-0.06, 0.06) * w, h / 2 + rng.uniform(-0.06, 0.06) * h
    hw, hh = dw * scale / 2, dh * scale / 2
    corners = np.array([[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]], np.float32)
    dst = corners + rng.uniform(-0.06, 0.06, (4, 2)).astype(np.float32) * np.array([hw, hh], np.float32)
    dst = degrade.turned(dst, cx, cy, tilt)
    arr = degrade.lay(doc, dst, canvas, card=card)
    if "finger" in wanted:
        # top-left, top-right or bottom-right: on ID cards the bottom-left corner holds the last rows
        k = int(rng.choice([0, 1, 2]))
        k = (0, 1, 2)[k]
        centre = dst.mean(axis=0)
        inward = centre - dst[k]
        inward /= max(float(np.linalg.norm(inward)), 1e-6)
        _finger(rng, arr, dst[k], inward, float(np.linalg.norm(dst[1] - dst[0])) * 0.07)
    gx, gy = rng.uniform(-1, 1, 2)
    slope = rng.uniform(0.08, 0.25)
    light = degrade._smooth_field(w, h, lambda x, y: 1 + slope * (gx * (x - 0.5) + gy * (y - 0.5)))
    arr = np.clip(arr.astype(np.float32) * light[..., None], 0, 255).astype(np.uint8)
    if card and rng.random() < 0.35:
        arr = degrade.glare(rng, arr)
    k = int(rng.choice([1, 3, 3, 5]))
    if k > 1:
        arr = cv2.GaussianBlur(arr, (k, k), 0)
    return Image.fromarray(degrade._noise(rng, arr, float(rng.uniform(2, 6))))


def shoot_damaged(rng: np.random.Generator, page: Page, variant: str, wanted: list[str]) -> Shot:
    """`render.shoot` followed by the extra degradations in `wanted` (JPEG quality is applied when encoding)."""
    card = page.width_mm < 100
    if variant == "phone_photo" and any(d in wanted for d in ("dark_desk", "patterned_desk", "tilt_5_15", "finger")):
        doc, size = (rasterize(page, 400), (2000, 1500)) if card else (rasterize(page, 200), (1500, 2000))
        if rng.random() < 0.25:
            size = (size[1], size[0])
        shot = Shot(phone_photo_hard(rng, doc, size, card=card, wanted=wanted), 0.0)
    else:
        shot = shoot(rng, page, variant)
    img = shot.image
    if "dpi100" in wanted and shot.dpi > 100:
        img, shot.dpi = to_dpi(img, shot.dpi, 100.0), 100.0
    if "crease" in wanted:
        img = crease(rng, img)
    if "bw_photocopy" in wanted:
        img = bw_photocopy(rng, img)
    if "vignette" in wanted:
        img = vignette(rng, img)
    if "motion_blur" in wanted:
        img = motion_blur(rng, img)
    shot.image = img
    return shot
