"""Image effects of the field captures (fieldmode.py): what cheap scanners, phones and copiers do to a paper.

Every strength is set in millimetres of the document, not in pixels, and kept below what makes printed text
unreadable to a person: a motion blur of at most a third of a card's letter height, a defocus a quarter of
it, two or three copier generations of a still legible copy. Functions draw randomness only from the given
Generator and take and return RGB PIL images (or uint8 arrays where noted).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageFilter

from scripts.samplegen import degrade
from scripts.samplegen.damage import _desk, _finger


def motion(img: Image.Image, length_px: float, angle: float) -> Image.Image:
    """A hand that moved while the shutter was open: a line kernel of `length_px` at `angle` degrees."""
    n = max(3, int(round(length_px)) | 1)
    k: np.ndarray = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    k = cv2.warpAffine(k, cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), angle, 1.0), (n, n))
    k = (k / max(float(k.sum()), 1e-6)).astype(np.float32)
    return Image.fromarray(cv2.filter2D(np.asarray(img), -1, k, borderType=cv2.BORDER_REPLICATE))


def defocus(img: Image.Image, radius_px: float) -> Image.Image:
    """Out of focus: a disc kernel (a lens's bokeh), unlike the Gaussian softness of a scanner."""
    r = max(1.0, radius_px)
    n = int(math.ceil(r)) * 2 + 1
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) - n // 2
    k = np.clip(r + 0.5 - np.sqrt(xx**2 + yy**2), 0, 1)
    k /= float(k.sum())
    return Image.fromarray(cv2.filter2D(np.asarray(img), -1, k, borderType=cv2.BORDER_REPLICATE))


def batik(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A batik-like cloth (kawung rings, parang waves or ceplok dots) in two or three dyes, uint8 RGB."""
    dyes = [np.array(c, np.float32) for c in ([45, 40, 90], [110, 60, 30], [150, 110, 60], [220, 200, 160],
                                              [30, 30, 30], [170, 50, 40], [60, 100, 70])]
    order = rng.permutation(len(dyes))
    ground, ink, third = dyes[order[0]], dyes[order[1]], dyes[order[2]]
    period = float(rng.uniform(0.03, 0.07)) * max(w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = float(rng.uniform(0, math.pi))
    u = (xx * math.cos(angle) + yy * math.sin(angle)) / period
    v = (-xx * math.sin(angle) + yy * math.cos(angle)) / period
    style = int(rng.integers(3))
    if style == 0:  # kawung: four ovals around each grid point
        fu, fv = u % 1 - 0.5, v % 1 - 0.5
        r = np.minimum(np.abs(np.hypot(fu * 1.6 + 0.25, fv) - 0.22), np.abs(np.hypot(fu * 1.6 - 0.25, fv) - 0.22))
        mask, accent = r < 0.05, np.hypot(fu, fv) < 0.06
    elif style == 1:  # parang: diagonal bands of S-waves
        s = (u + 0.25 * np.sin(v * 2 * math.pi)) % 1
        mask, accent = s < 0.18, np.abs(s - 0.55) < 0.04
    else:  # ceplok: dots and crosses on a grid
        fu, fv = u % 1 - 0.5, v % 1 - 0.5
        mask = np.hypot(fu, fv) < 0.2
        accent = (np.abs(fu) < 0.04) | (np.abs(fv) < 0.04)
    out = np.where(mask[..., None], ink, np.where(accent[..., None], third, ground))
    grain = degrade._smooth_field(w, h, lambda x, y: np.sin(y * 300 + np.sin(x * 40)) * 5)
    return np.clip(out + grain[..., None], 0, 255).astype(np.uint8)


def background(rng: np.random.Generator, w: int, h: int, kind: str) -> np.ndarray:
    """What the paper lies on in a phone photo: table, dark desk, checked cloth or batik (uint8 RGB)."""
    if kind == "batik_cloth":
        return batik(rng, w, h)
    if kind in ("dark_desk", "patterned_desk"):
        return _desk(rng, w, h, kind)
    return degrade._table(rng, w, h)


def photograph(rng: np.random.Generator, doc: Image.Image, doc_mm: tuple[float, float], out_size: tuple[int, int],
               *, card: bool, surface: str, finger: bool, fill: tuple[float, float]) -> tuple[np.ndarray, float]:
    """The document held or laid in front of a phone: perspective, tilt, uneven light; (pixels, px per mm).

    The document fills a share in `fill` of what the frame allows, as people frame a card or a page.
    """
    w, h = out_size
    canvas = background(rng, w, h, surface)
    dw, dh = doc.size
    scale = min(w / dw, h / dh) * float(rng.uniform(*fill))
    cx, cy = w / 2 + rng.uniform(-0.07, 0.07) * w, h / 2 + rng.uniform(-0.07, 0.07) * h
    hw, hh = dw * scale / 2, dh * scale / 2
    corners = np.array([[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]], np.float32)
    keystone = float(rng.uniform(0.02, 0.12))  # the phone not held parallel: one side nearer than the other
    side = int(rng.integers(4))
    shrink = np.zeros((4, 2), np.float32)
    pairs = [(0, 1), (1, 2), (2, 3), (3, 0)][side]
    for i in pairs:
        shrink[i] = (np.array([cx, cy], np.float32) - corners[i]) * keystone
    dst = corners + shrink + rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * np.array([hw, hh], np.float32)
    dst = degrade.turned(dst, cx, cy, float(rng.uniform(-12, 12)))
    arr = degrade.lay(doc, dst, canvas, card=card, flags=cv2.INTER_AREA)
    if finger:
        k = int(rng.choice([0, 1, 2]))
        inward = dst.mean(axis=0) - dst[k]
        inward /= max(float(np.linalg.norm(inward)), 1e-6)
        _finger(rng, arr, dst[k], inward, float(np.linalg.norm(dst[1] - dst[0])) * 0.07)
    gx, gy = rng.uniform(-1, 1, 2)
    slope = float(rng.uniform(0.1, 0.35))
    shadow = rng.random() < 0.5
    pos, width, depth = rng.uniform(0.2, 0.8), rng.uniform(0.08, 0.25), rng.uniform(0.15, 0.35)

    def light(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = 1 + slope * (gx * (x - 0.5) + gy * (y - 0.5))
        return out - depth * np.exp(-(((x - pos) / width) ** 2)) if shadow else out

    gain = degrade._smooth_field(w, h, light)
    warm = np.array([1.0, rng.uniform(0.94, 1.0), rng.uniform(0.82, 0.98)], np.float32)
    arr = np.clip(arr.astype(np.float32) * gain[..., None] * warm, 0, 255).astype(np.uint8)
    px_per_mm = float(np.linalg.norm(dst[1] - dst[0])) / doc_mm[0]
    return arr, px_per_mm


def glare(rng: np.random.Generator, arr: np.ndarray, *, strong: bool) -> np.ndarray:
    """A ceiling lamp or window reflected on the laminate or glossy paper (a washed-out patch)."""
    h, w = arr.shape[:2]
    cx, cy, r = rng.uniform(0.25, 0.75), rng.uniform(0.25, 0.75), rng.uniform(0.05, 0.14)
    strength = float(rng.uniform(80, 150) if strong else rng.uniform(40, 80))
    field = degrade._smooth_field(w, h, lambda x, y: np.exp(-(((x - cx) * w / h) ** 2 + (y - cy) ** 2) / r**2))
    return np.clip(arr.astype(np.float32) + (field * strength)[..., None], 0, 255).astype(np.uint8)


def halftone(gray: np.ndarray, period: float, angle: float) -> np.ndarray:
    """A copier's dot screen: mid-tones become dots, black text stays black and white paper white."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = math.radians(angle)
    u = (xx * math.cos(a) + yy * math.sin(a)) * (2 * math.pi / period)
    v = (-xx * math.sin(a) + yy * math.cos(a)) * (2 * math.pi / period)
    screen = (np.cos(u) + np.cos(v) + 2) / 4 * 255
    return np.where(gray.astype(np.float32) > screen, 255, 0).astype(np.uint8)


def photocopy(rng: np.random.Generator, img: Image.Image, generations: int, *, dots: bool) -> Image.Image:
    """A grey copy of a copy: per generation blur, contrast pushed, toner specks, a small shift; the first
    generation through a dot screen when `dots`. The last copy is scanned with its contrast washed out."""
    g: np.ndarray = np.asarray(img.convert("L")).astype(np.float32)
    for gen in range(generations):
        g = cv2.GaussianBlur(g, (0, 0), float(rng.uniform(0.45, 0.75)))
        if gen == 0 and dots:
            g = halftone(g, float(rng.uniform(3.0, 4.5)), float(rng.choice([15, 45, 75])))
            g = cv2.GaussianBlur(g.astype(np.float32), (0, 0), 0.7)
        gain = float(rng.uniform(1.15, 1.5))
        mid = float(rng.uniform(120, 165))
        g = np.clip((g - mid) * gain + mid + float(rng.uniform(-10, 15)), 0, 255)
        specks = rng.random(g.shape, dtype=np.float32) < float(rng.uniform(0.0003, 0.0015))
        g[cv2.dilate(specks.astype(np.uint8), np.ones((2, 2), np.uint8)) > 0] = float(rng.uniform(20, 80))
        m = np.array([[1, 0, rng.uniform(-3, 3)], [0, 1, rng.uniform(-3, 3)]], np.float32)
        g = cv2.warpAffine(g, m, (g.shape[1], g.shape[0]), borderValue=255)
    lo, hi = float(rng.uniform(25, 75)), float(rng.uniform(205, 240))
    g = lo + (hi - lo) * g / 255
    if rng.random() < 0.3:  # the lid was open: a dark band along one edge
        band = int(g.shape[1] * float(rng.uniform(0.01, 0.03)))
        side = int(rng.integers(4))
        if side == 0:
            g[:, :band] = lo
        elif side == 1:
            g[:, -band:] = lo
        elif side == 2:
            g[:band, :] = lo
        else:
            g[-band:, :] = lo
    return Image.fromarray(degrade._noise(rng, np.clip(g, 0, 255).astype(np.uint8), float(rng.uniform(2, 5))))\
        .convert("RGB")


def low_resolution(rng: np.random.Generator, img: Image.Image, dpi: float, target: float) -> Image.Image:
    """A cheap scanner at `target` dpi: optics blur, area sampling, sensor noise."""
    soft = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.8)) * dpi / 150))
    size = (max(1, round(img.width * target / dpi)), max(1, round(img.height * target / dpi)))
    small = cv2.resize(np.asarray(soft), size, interpolation=cv2.INTER_AREA)
    return Image.fromarray(degrade._noise(rng, small, float(rng.uniform(2, 6))))


def shrink_long_side(img: Image.Image, longest: int) -> Image.Image:
    """What a chat app does before sending a photo: the long side cut down to `longest` pixels."""
    if max(img.size) <= longest:
        return img
    k = longest / max(img.size)
    return img.resize((round(img.width * k), round(img.height * k)), Image.Resampling.BILINEAR)
