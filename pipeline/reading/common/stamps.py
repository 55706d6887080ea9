"""A value under a stamp (the health letter's date).

A doctor stamps the health letter over the place-and-date line and the signature. In the grayscale the
stamp's coloured ring crosses the black date, and tesseract then loses the whole line (on phone photos it
may drop the whole signature block). When the letter's date is missing or weak on a colour page:

1. the page's colours are carried into the prepared image by the page's transform;
2. coloured ink is what lies far in hue from the paper (a blue or red stamp, not black print, not a photo's
   warm cast); its pieces (a worn ring) are joined into stamp-sized blots;
3. the band around each blot, cut at blank rows so no text line is halved, is read again with the ink
   whitened where it is not dark print, once with the clear ink and once with its fainter edges too;
4. each reading is parsed by the reader's own rule for the field (`parse`); the most confident reading of the
   bands is reconciled with the first reading by the confidence policy.

The step runs when the field would go to review (`ConfidencePolicy.needs_review`). Only the letter's date is
taken from the band: the ink of a ballpoint fill-in is coloured as well, so
values written in it are whitened too and are never read from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from pipeline.context import FieldValue, OcrPage
from pipeline.ocr.base import OcrEngine
from pipeline.reading.protocol import PRIMARY, Look, ReadingTools

INK_CHROMA = 24  # |a - a_paper| + |b - b_paper| (8-bit Lab) above which a pixel is coloured ink
WIPE_CHROMA = 12  # ...and, near a stamp found with the first, above which a pixel is whitened
INK_LIGHTNESS = (50, 235)  # ...and its lightness within: not black print, not bare paper
DARK_PRINT = 70  # prepared-image gray below which a pixel is print and is kept, stamp or not
STAMP_MIN = 0.05  # a stamp's width and height are at least this share of the page width
STAMP_RATIO = 2.5  # ...and neither side longer than this times the other (a ballpoint line is)
MAX_STAMPS = 2
STAMP_GAP = 30  # a worn ring's pieces are joined across gaps up to 1/30 of the page width
BAND_PSM = 6  # the band around a stamp read as one block of text


BandParse = Callable[[OcrPage, ReadingTools], FieldValue | None]


@dataclass(frozen=True)
class UnderStamps:
    """Second look: `key` read again in the bands around coloured stamps, with the stamp ink whitened."""

    key: str
    parse: BandParse  # the field's reading from a band's words (boxes in prepared-image pixels)
    engine: str = PRIMARY
    name: str = "under_stamps"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        reread_under_stamps(look, self.key, self.parse, look.tools.engine_named(self.engine))


def reread_under_stamps(look: Look, key: str, parse: BandParse, engine: OcrEngine) -> bool:
    """Read `key` again with the stamps whitened; True when the field changed."""
    current = look.fields.get(key)
    gray, colour, transform = look.image, look.page_image, look.transform
    if gray is None or not look.policy.needs_review(current):
        return False
    if colour is None or colour.ndim != 3 or transform is None:
        return False
    h, w = gray.shape[:2]
    page = cv2.warpPerspective(colour[:, :, :3], transform, (w, h), flags=cv2.INTER_LINEAR,
                               borderValue=(255, 255, 255))
    hue_off, middle = _hue_offset(page)
    ink = ((hue_off > INK_CHROMA) & middle).astype(np.uint8)
    faint = ((hue_off > WIPE_CHROMA) & middle).astype(np.uint8)  # the stamp's fainter edges too
    best: FieldValue | None = None
    for _x, y, _bw, bh in _stamps(ink, w)[:MAX_STAMPS]:
        y0 = _blank_row(gray, max(0, y - bh // 2), reach=bh // 4)
        y1 = _blank_row(gray, min(h, y + bh + bh // 2), reach=bh // 4)
        for mask in (ink, faint):  # how much of a stamp's faint edge to whiten: either may read better
            band = gray[y0:y1].copy()
            band[(cv2.dilate(mask[y0:y1], np.ones((5, 5), np.uint8)) > 0) & (band > DARK_PRINT)] = 255
            found = parse(_shifted(engine.read(band, psm=BAND_PSM), y0), look.tools)
            if found is not None and found.value is not None and (best is None or found.confidence > best.confidence):
                best = found
    merged = look.policy.reconcile(current, best)
    if merged is None or merged == current:
        return False
    look.fields[key] = merged
    return True


def _blank_row(gray: np.ndarray, y: int, *, reach: int) -> int:
    """The row within `reach` of `y` with the least print: a band cut there cuts no text line in two."""
    lo, hi = max(0, y - reach), min(gray.shape[0], y + reach + 1)
    if hi - lo < 2:
        return y
    dark = (gray[lo:hi] < DARK_PRINT).sum(axis=1)
    return lo + int(np.argmin(dark))


def _hue_offset(colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel: how far its hue lies from the paper's (|a - a_paper| + |b - b_paper| in 8-bit Lab, the paper
    being the median of the lightest 40 %, so a phone photo's warm cast, shared by paper and print, is not
    ink), and whether its lightness is in the middle range (neither black print nor bare paper)."""
    lab = cv2.cvtColor(np.ascontiguousarray(colour[:, :, :3]), cv2.COLOR_BGR2LAB)
    lightness = lab[..., 0]
    a, b = lab[..., 1].astype(np.int16), lab[..., 2].astype(np.int16)
    sample = lightness[::4, ::4]
    paper = lightness >= np.percentile(sample, 60)
    pa, pb = int(np.median(a[paper][::16])), int(np.median(b[paper][::16]))
    middle = (lightness >= INK_LIGHTNESS[0]) & (lightness <= INK_LIGHTNESS[1])
    return np.abs(a - pa) + np.abs(b - pb), middle


def _stamps(ink: np.ndarray, page_width: int) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of stamp-sized blots of coloured ink, largest first. A worn or faint ring comes in
    pieces: they are joined by a dilation, and each joined blot's box is that of its own ink."""
    k = max(3, page_width // STAMP_GAP)
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    side = STAMP_MIN * page_width
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        if bw < side or bh < side:
            continue  # too small even with the dilation's margin
        sub = (labels[y:y + bh, x:x + bw] == i) & (ink[y:y + bh, x:x + bw] > 0)
        ys, xs = np.nonzero(sub)
        ys, xs = ys + y, xs + x
        if xs.size == 0:
            continue
        x, y = int(xs.min()), int(ys.min())
        bw, bh = int(xs.max()) - x + 1, int(ys.max()) - y + 1
        if bw >= side and bh >= side and max(bw, bh) <= STAMP_RATIO * min(bw, bh):
            boxes.append((x, y, bw, bh))
    out: list[tuple[int, int, int, int]] = []
    for b in sorted(boxes, key=lambda b: b[2] * b[3], reverse=True):
        if not any(_inside(b, o) for o in out):  # a stamp's inner ring is the same stamp
            out.append(b)
    return out


def _inside(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[0] + a[2] <= b[0] + b[2] and a[1] + a[3] <= b[1] + b[3]


def _shifted(ocr: OcrPage, dy: int) -> OcrPage:
    """A band's words with their boxes moved down by `dy` (band pixels -> prepared-image pixels)."""
    words = [replace(w, box=(w.box[0], w.box[1] + dy, w.box[2], w.box[3])) for w in ocr.words]
    return OcrPage(words=words, width=ocr.width, height=ocr.height + dy)
