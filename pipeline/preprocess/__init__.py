"""Preprocessing: turn a decoded page image into an upright, deskewed, clean grayscale for OCR.

    prepare(page, engine=None) -> PreparedPage

Steps (each a function in geometry / enhance / orient):
1. find the card or sheet lying on a background (phone photo) and undo the perspective; a KTP-sized quad
   becomes an 85.6:54 landscape image `CARD_WIDTH` px wide, a sheet keeps its proportions;
2. orientation 0/90/180/270 (line direction + tesseract OSD via the persistent engine when given);
3. small-angle deskew (projection profile), skipped below `MIN_SKEW` degrees; on a sheet, dot leaders and
   underline rules of form fields taken out (`formlines`: they wreck tesseract's reading of the values);
4. photometric clean-up: colour background -> light, uneven lighting flattened, denoise when noisy.
Nothing here knows a document layout: the card or page is found from the image alone.

`PreparedPage.transform` maps original image pixels to prepared pixels; `to_original` maps boxes back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from pipeline.context import Box, PageInput
from pipeline.ocr.base import OcrEngine
from pipeline.preprocess import enhance, formlines, geometry, objects, orient

log = logging.getLogger(__name__)

CARD_WIDTH = 1200
PAGE_MIN_WIDTH, PAGE_MAX_WIDTH = 1600, 1800  # ~200 dpi on A4/F4: capitals ~30 px, tesseract's best
SMALL_QUAD = 0.15  # quads covering less of the image must be card-shaped to be rectified
CARD_TEXT_SCALE = 0.02  # glyph height / short side: ~0.03 on a card, ~0.01 on a sheet
CARD_RATIO = (1.3, 2.1)  # long:short of a photocopied card's print block: the card is 1.59, its print ~0.95 of
# its width and 0.75-0.85 of its height (1.8-2.0)
GLYPH_WORK = 600  # px, long side at which a block's letters are counted
GLYPH_MAX = 0.15  # a letter is shorter than this share of a card's short side (its photo is not)
GLYPH_STROKE = 0.45  # a letter's stroke is thinner than this share of its height; a printed dot is as wide as tall
CARD_SPAN = 0.55  # a photocopied card's long side / the sheet's short side: 85.6 mm of 210 (A4) is 0.41
MAX_UPSCALE, MAX_SIDE = 4.0, 8000
MIN_SKEW = 0.3  # degrees; smaller tilts cost more to fix (interpolation blur) than they hurt OCR
THUMB_SIDE = 200  # px, long side of the copy colour statistics are taken on
PAPER_VALUE, PAPER_SATURATION = 170, 80  # HSV value above / saturation below: the colour of paper


@dataclass
class PreparedPage:
    image: np.ndarray  # gray uint8, upright, deskewed, cleaned
    transform: np.ndarray  # 3x3, original pixel -> prepared pixel
    rotation: int  # degrees counter-clockwise applied (0, 90, 180, 270)
    skew: float  # degrees of tilt that were removed
    card_found: bool  # a card/sheet quadrilateral was found and rectified
    kind: Literal["card", "page"]
    orientation_by: str = "none"

    def to_original(self, box: Box) -> Box:
        """A box of the prepared image as the bounding box of its corners in the original image."""
        x, y, w, h = box
        pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32).reshape(-1, 1, 2)
        inv = np.linalg.inv(self.transform)
        back = cv2.perspectiveTransform(pts, inv).reshape(-1, 2)
        x0, y0 = np.floor(back.min(axis=0)).astype(int)
        x1, y1 = np.ceil(back.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _is_colour_card(bgr: np.ndarray) -> bool:
    """Blue-tinted like a KTP-el (mean B clearly above mean R over the bright pixels)."""
    if bgr.ndim == 2:
        return False
    small, _ = geometry.shrink(bgr, THUMB_SIDE, exact=True)
    px = small.reshape(-1, 3).astype(np.float32)
    bright = px[px.max(axis=1) > 120]
    if len(bright) < 100:
        return False
    b, _, r = np.median(bright, axis=0)
    return b - r > 25


def paper_share(image: np.ndarray) -> float:
    """Share of light, unsaturated pixels: most of a document's surface (paper, a pale KTP-el), little of
    a colour photo on a coloured backdrop or of a dark picture."""
    small, _ = geometry.shrink(image, THUMB_SIDE, exact=True)
    if small.ndim == 2:
        return float(np.mean(small > PAPER_VALUE))
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    return float(np.mean((hsv[..., 2] > PAPER_VALUE) & (hsv[..., 1] < PAPER_SATURATION)))


def _text_scale(gray: np.ndarray) -> float:
    """Median height of glyph-sized ink blobs relative to the shorter side: ~0.03 on an ID card,
    ~0.01 on a sheet of paper."""
    h, w = gray.shape[:2]
    s = 600 / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    n, _, stats, _ = cv2.connectedComponentsWithStats(geometry.text_mask(small), connectivity=8)
    hs = [st[3] for st in stats[1:] if st[4] >= 6 and st[3] >= 3 and st[2] < 3 * st[3]]
    return float(np.median(hs)) / min(small.shape) if len(hs) >= 20 else 0.0


def classify_shape(width: float, height: float, bgr: np.ndarray) -> Literal["card", "page"]:
    """Card when the long:short ratio is ID-1's and the region is blue-tinted like a KTP-el, or its
    text is card-sized (large relative to the object), or the ratio is tight (a gray scan of a card).
    F4 paper (1.535) and A4 (1.414) fall inside the loose range; their text is small."""
    ratio = max(width, height) / max(1.0, min(width, height))
    if not 1.35 <= ratio <= 1.85:
        return "page"
    if _is_colour_card(bgr) or 1.56 <= ratio <= 1.62:
        return "card"
    return "card" if _text_scale(enhance.to_text_gray(bgr)) > CARD_TEXT_SCALE else "page"


def _ink_fraction(image: np.ndarray, quad: np.ndarray) -> float:
    """Share of dark-stroke pixels inside the quad (a blank card back has almost none)."""
    small, _ = geometry.warp_quad(image, quad, (320, 200))
    return float(geometry.text_mask(enhance.to_text_gray(small)).mean())


def _rectify(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, Literal["card", "page"]]:
    h, w = image.shape[:2]
    found: list[tuple[np.ndarray, Literal["card", "page"], float, float]] = []
    for quad in objects.find_quads(image):
        qw, qh = geometry.quad_size(quad)
        ratio = max(qw, qh) / max(1.0, min(qw, qh))
        if qw * qh < SMALL_QUAD * w * h and not 1.4 <= ratio <= 1.8:
            continue  # a small object on a page is only taken when card-shaped (a KTP on a flatbed)
        x, y, bw, bh = cv2.boundingRect(quad.astype(np.float32))
        found.append((quad, classify_shape(qw, qh, image[max(0, y) : y + bh, max(0, x) : x + bw]), qw, qh))
    if not found:
        return _photocopied_card(image) or (image, np.eye(3), False, classify_shape(w, h, image))
    cards = [f for f in found if f[1] == "card"]
    if len(cards) > 1:
        # front and back side by side: the front carries the text
        found = [max(cards, key=lambda f: _ink_fraction(image, f[0]))]
    quad, kind, qw, qh = found[0]
    if kind == "card":
        warped, m = _warp_card(image, quad, geometry.CARD_ASPECT)
    else:
        warped, m = geometry.warp_quad(image, quad, (int(round(qw)), int(round(qh))))
    return warped, m, True, kind


def _warp_card(image: np.ndarray, quad: np.ndarray, aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """The card warped landscape to CARD_WIDTH at `aspect` (width:height). A quad whose long side is vertical
    has its corners rolled, so the card is read landscape (orientation decides 0/180)."""
    qw, qh = geometry.quad_size(quad)
    if qh > qw:
        quad = np.roll(quad, -1, axis=0)
    return geometry.warp_quad(image, quad, (CARD_WIDTH, int(round(CARD_WIDTH / aspect))))


def _photocopied_card(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, Literal["card", "page"]] | None:
    """A sheet whose only print is a card-shaped block (a KTP photocopied onto paper, its outline lost), or two
    (its front and back): the block that reads most like text cut out and scaled as a card, keeping its own
    aspect (its edges are the print's, not the card's)."""
    cards = []
    for block in objects.find_text_blocks(image):
        qw, qh = geometry.quad_size(block)
        x0, y0 = (int(v) for v in block[0])
        x1, y1 = (int(v) for v in block[2])
        if not CARD_RATIO[0] <= max(qw, qh) / max(1.0, min(qw, qh)) <= CARD_RATIO[1]:
            continue
        if max(qw, qh) > CARD_SPAN * min(image.shape[:2]):
            continue  # wider than a card on the sheet it was copied on: a page's body text
        gray = enhance.to_text_gray(image[y0:y1, x0:x1])
        glyphs = _glyphs(gray)
        if _print_scale(glyphs, gray) <= CARD_TEXT_SCALE:
            continue  # small print for its block: a short letter, not a card
        cards.append((len(glyphs), block, qw, qh))
    if not cards:
        return None
    _, block, qw, qh = max(cards, key=lambda c: c[0])
    warped, m = _warp_card(image, block, max(qw, qh) / max(1.0, min(qw, qh)))
    return warped, m, True, "card"


def _glyphs(gray: np.ndarray) -> np.ndarray:
    """Stats rows (x, y, w, h, area; at `GLYPH_WORK` px on the long side) of the ink blobs shaped like letters:
    at least 3 px tall and under `GLYPH_MAX` of the image's short side, no wider than three letters, and drawn with strokes thin for their height (the
    widest point of a stroke, from the distance transform, under `GLYPH_STROKE` of the blob's height). A
    card's back (a guilloche or halftone pattern, a blank surface) has few: its dots are filled, its lines
    long."""
    small, _ = geometry.shrink(gray, GLYPH_WORK, exact=True)
    mask = geometry.text_mask(small)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    half_stroke = np.zeros(n, np.float32)
    np.maximum.at(half_stroke, labels.ravel().astype(np.intp), cv2.distanceTransform(mask, cv2.DIST_L2, 3).ravel())
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    thin = 2 * half_stroke[1:] < GLYPH_STROKE * h
    return stats[1:][(h >= 3) & (h <= GLYPH_MAX * min(small.shape)) & (area >= 6) & (w <= 3 * h) & thin]


def _print_scale(glyphs: np.ndarray, gray: np.ndarray) -> float:
    """Height of the letters relative to the image's short side, as `_text_scale` but each blob weighted by its
    ink: a copier's speckle and halftone dots are many but small, the letters hold most of the ink."""
    if len(glyphs) < 20:
        return 0.0
    order = np.argsort(glyphs[:, 3])
    cum = np.cumsum(glyphs[order, 4])
    median = glyphs[order[int(np.searchsorted(cum, cum[-1] / 2))], 3]
    s = GLYPH_WORK / max(gray.shape[:2])
    return float(median) / (s * min(gray.shape[:2]))


def _scale_for(kind: str, w: int, h: int) -> float:
    if kind == "card":
        s = CARD_WIDTH / w
    elif w < PAGE_MIN_WIDTH:
        s = PAGE_MIN_WIDTH / w
    elif w > PAGE_MAX_WIDTH:
        s = PAGE_MAX_WIDTH / w
    else:
        s = 1.0
    # never blow up a sliver or a thumbnail: at most 4x, and at most MAX_SIDE px on the long side
    return min(s, MAX_UPSCALE, MAX_SIDE / max(w, h)) if s > 1.0 else s


def _as_bgr_or_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    return image


@dataclass
class Rectified:
    """A page after geometry and photometry, before orientation, scaling and deskew."""

    gray: np.ndarray
    transform: np.ndarray
    card_found: bool
    kind: Literal["card", "page"]
    paper: float = 1.0  # share of the surface that is light and unsaturated (paper, a KTP-el), see `paper_share`


def rectify_and_clean(page: PageInput) -> Rectified:
    """Steps 1 and 4 of the module docstring: the card or sheet rectified, then cleaned to grayscale."""
    if page.image is None:
        raise ValueError(f"{page.file} p{page.page}: no image to prepare (text-layer page)")
    img = _as_bgr_or_gray(page.image)
    rect, m, found, kind = _rectify(img)
    h, w = rect.shape[:2]
    if kind == "page" and min(h, w) > PAGE_MAX_WIDTH * 1.05:
        # a large scan: its width after orientation will be at most PAGE_MAX_WIDTH whichever way it turns, so
        # shrink it now and clean a fraction of the pixels (less CPU and memory than cleaning, then scaling)
        s = PAGE_MAX_WIDTH / min(h, w)
        rect = cv2.resize(rect, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        m = np.diag([s, s, 1.0]) @ m
    return Rectified(enhance.clean(rect), m, found, kind, paper_share(rect))


def orient_and_scale(base: Rectified, quarter_turns: int, how: str = "none") -> PreparedPage:
    """Steps 2 and 3 with a rotation already decided: turn, scale to the OCR width, deskew."""
    gray, m, rotation = base.gray, base.transform, 0
    if quarter_turns % 4:
        gray, r = geometry.rotate90(gray, quarter_turns)
        m = r @ m
        rotation = 90 * (quarter_turns % 4)
    h, w = gray.shape
    s = _scale_for(base.kind, w, h)
    if abs(s - 1.0) > 0.02:
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, (round(w * s), round(h * s)), interpolation=interp)
        m = np.diag([s, s, 1.0]) @ m
    skew = geometry.estimate_skew(gray)
    if abs(skew) >= MIN_SKEW:
        gray, r = geometry.rotate_small(gray, -skew)
        m = r @ m
    else:
        skew = 0.0
    if base.kind == "page":
        gray, lines = formlines.clean_form_lines(gray)
        if lines.found:
            log.debug("form lines removed: %d leaders (%d dots), %d rules", lines.leaders, lines.dots, lines.rules)
    return PreparedPage(image=gray, transform=m, rotation=rotation, skew=skew, card_found=base.card_found,
                        kind=base.kind, orientation_by=how)


def prepare(page: PageInput, engine: OcrEngine | None = None, *, orientation: bool = True) -> PreparedPage:
    """An upright, deskewed, cleaned grayscale of `page.image` (BGR or gray uint8).

    `engine` (the process's persistent OCR engine) enables OSD-based 0/180 decisions; without it only
    90-degree text direction is corrected. (`pipeline.reading.acquire` calls the two halves itself so that a
    confident first OCR pass can spare the OSD.)
    """
    base = rectify_and_clean(page)
    k, how = 0, "none"
    if orientation:
        # portrait page in a rectified sheet keeps its own orientation; rotation only by content
        k, how = orient.detect_rotation(base.gray, engine, text_along_long_side=base.kind == "card")
    prepared = orient_and_scale(base, k, how)
    log.debug("prepared %s p%s: kind=%s found=%s rot=%s (%s) skew=%.2f", page.file, page.page, prepared.kind,
              prepared.card_found, prepared.rotation, how, prepared.skew)
    return prepared


def straightened(image: np.ndarray) -> np.ndarray | None:
    """The card or sheet found in a photo, cut out and straightened, in colour (what a person reads next to
    the original); None when the photo holds no card or sheet apart from its background. No cleaning, no
    rotation: the review app shows it as found."""
    rect, _m, found, _kind = _rectify(_as_bgr_or_gray(image))
    return rect if found else None
