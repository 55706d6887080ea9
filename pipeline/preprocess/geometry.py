"""Geometry of a page: perspective correction, rotation, deskew, and the shared helpers of finding the card or
sheet in a picture (which lives in `pipeline.preprocess.objects`).

All functions are pure (numpy in, numpy out). Transforms are 3x3 matrices mapping input pixel coordinates
to output pixel coordinates, so a chain of steps composes by matrix product.
"""

from __future__ import annotations

import cv2
import numpy as np

CARD_ASPECT = 85.6 / 53.98  # ID-1


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Four points as float32 in the order top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # clockwise in image coordinates, starting from the left-most angle
    start = int(np.argmin(pts.sum(axis=1)))  # top-left has the smallest x + y
    return np.roll(pts, -start, axis=0)


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    """(width, height) of an ordered quadrilateral: mean lengths of opposite sides."""
    tl, tr, br, bl = quad
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(w), float(h)


def shrink(image: np.ndarray, work: int, *, exact: bool = False) -> tuple[np.ndarray, float]:
    """`image` with its long side at most `work` px (exactly `work` with `exact`, a small image enlarged), and
    the scale used. A large photo is first sampled at every k-th pixel down to about twice `work`, then
    averaged (averaging all of a 8-megapixel photo costs ~15 ms)."""
    h, w = image.shape[:2]
    s = work / max(h, w) if exact else min(1.0, work / max(h, w))
    if s == 1.0:
        return image, 1.0
    k = max(1, max(h, w) // (2 * work))
    sub = image[::k, ::k] if k > 1 else image
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(sub, size, interpolation=cv2.INTER_AREA), s


def warp_quad(image: np.ndarray, quad: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The quadrilateral mapped onto a (width, height) rectangle, and the 3x3 transform used."""
    w, h = size
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(np.asarray(quad, dtype=np.float32), dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out, m


def rotate90(image: np.ndarray, quarter_turns_ccw: int) -> tuple[np.ndarray, np.ndarray]:
    """Image rotated counter-clockwise by 90 * k degrees (exact), and its 3x3 transform."""
    k = quarter_turns_ccw % 4
    h, w = image.shape[:2]
    out = np.ascontiguousarray(np.rot90(image, k))
    # np.rot90 rotates counter-clockwise: (x, y) -> (y, w-1-x) for k=1
    mats = {
        0: np.eye(3),
        1: np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], float),
        2: np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], float),
        3: np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]], float),
    }
    return out, mats[k]


def rotate_small(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Image rotated counter-clockwise by `angle` degrees about its centre, same size, border replicated."""
    h, w = image.shape[:2]
    m2 = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    out = cv2.warpAffine(image, m2, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out, np.vstack([m2, [0, 0, 1]])


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Binary mask (uint8 0/1) of dark strokes: local adaptive threshold, robust to uneven light."""
    block = max(15, (min(gray.shape) // 20) | 1)
    return (cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)).astype(
        np.uint8
    )


def _ink_points(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (float32, relative to the centre) of the ink pixels of a 0/1 mask."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return xs.astype(np.float32) - np.float32(w / 2), ys.astype(np.float32) - np.float32(h / 2)


def _profile_score(points: tuple[np.ndarray, np.ndarray], shape: tuple[int, int], angle: float) -> float:
    """Sharpness of the row profile of the ink after a rotation by `angle` degrees (counter-clockwise)
    about the centre: the ink's rows computed from its coordinates (what rotating the whole mask and
    summing its rows gives, at the cost of the ink pixels only; ink rotated out of the frame is dropped
    as the image rotation would)."""
    xs, ys = points
    h, w = shape
    a = np.deg2rad(angle)
    c, s = np.float32(np.cos(a)), np.float32(np.sin(a))
    xr = c * xs + s * ys + np.float32(w / 2)
    yr = -s * xs + c * ys + np.float32(h / 2)
    rows = np.floor(yr + 0.5).astype(np.int32)
    keep = (rows >= 0) & (rows < h) & (xr >= -0.5) & (xr < w - 0.5)
    profile = np.bincount(rows[keep], minlength=h).astype(np.float64)
    return float(np.sum(np.diff(profile) ** 2))


def estimate_skew(gray: np.ndarray, *, max_angle: float = 10.0, work: int = 900) -> float:
    """Counter-clockwise angle (degrees) by which the text lines of `gray` are tilted; 0.0 without text.

    Rotating the image by minus this angle levels the lines. Maximises the sharpness of the row
    projection profile of the text mask, first in 0.5 degree steps, then in 0.05 degree steps.
    """
    h, w = gray.shape[:2]
    s = min(1.0, work / max(h, w))
    g = cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) if s < 1 else gray
    mask = text_mask(g)
    if mask.sum() < 50:
        return 0.0
    points = _ink_points(mask)
    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    scores = [_profile_score(points, mask.shape, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    scores = [_profile_score(points, mask.shape, a) for a in fine]
    # rotating by `a` levels the lines, so the lines sit at -a
    return -float(fine[int(np.argmax(scores))])


def line_direction_score(gray: np.ndarray, *, work: int = 600) -> float:
    """> 1 when text runs horizontally, < 1 when vertically (ratio of row vs column profile sharpness)."""
    h, w = gray.shape[:2]
    s = min(1.0, work / max(h, w))
    g = cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) if s < 1 else gray
    mask = text_mask(g).astype(np.float64)
    if mask.sum() < 50:
        return 1.0

    def cv2_(profile: np.ndarray) -> float:
        m = float(profile.mean())
        return float(profile.var()) / (m * m) if m > 0 else 0.0

    return (cv2_(mask.sum(axis=1)) + 1e-6) / (cv2_(mask.sum(axis=0)) + 1e-6)
