"""The letter's date under a stamp.

A doctor stamps the health letter over the place-and-date line and the signature. In the grayscale the
stamp's coloured ring crosses the black date, and tesseract then loses the whole line. When the letter's
date is missing or weak on a colour page, the page's colours are carried into the prepared image by the
page's transform, the coloured ink is found there (a hue far from the paper's: a blue or red stamp, not
black print) and whitened wherever it is not dark print. The band around each stamp-sized blot is
read again and parsed by the same letter-date rule as the first pass; the better reading is kept.

Only the letter's date is taken from the band: the ink of a ballpoint fill-in is coloured as well, so
values written in it are whitened too and are never read from here.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.context import FieldValue, OcrPage
from pipeline.extract.surat_sehat import extract_surat_sehat
from pipeline.nlp import Nlp
from pipeline.ocr.base import OcrEngine

FIELD = "tanggal_surat"
REREAD_BELOW = 0.6  # a letter date read at least this well is left alone
INK_CHROMA = 24  # |a - a_paper| + |b - b_paper| (8-bit Lab) above which a pixel is coloured ink
INK_LIGHTNESS = (50, 235)  # ...and its lightness within: not black print, not bare paper
DARK_PRINT = 70  # prepared-image gray below which a pixel is print and is kept, stamp or not
STAMP_MIN = 0.05  # a stamp's width and height are at least this share of the page width
STAMP_RATIO = 2.5  # ...and neither side longer than this times the other (a ballpoint line is)
MAX_STAMPS = 2
STAMP_GAP = 60  # a worn ring's gaps are closed up to 1/60 of the page width
BAND_PSM = 6  # the band around a stamp read as one block of text


def reread_under_stamps(fields: dict[str, FieldValue], gray: np.ndarray, colour: np.ndarray | None,
                        transform: np.ndarray | None, engine: OcrEngine, nlp: Nlp) -> bool:
    """Read the letter date again with the stamps whitened; True when the field changed."""
    current = fields.get(FIELD)
    if current is not None and current.confidence >= REREAD_BELOW:
        return False
    if colour is None or colour.ndim != 3 or transform is None:
        return False
    h, w = gray.shape[:2]
    ink = _coloured_ink(cv2.warpPerspective(colour[:, :, :3], transform, (w, h), flags=cv2.INTER_LINEAR,
                                            borderValue=(255, 255, 255)))
    changed = False
    for _x, y, _bw, bh in _stamps(ink, w)[:MAX_STAMPS]:
        y0, y1 = max(0, y - bh // 2), min(h, y + bh + bh // 2)
        band = gray[y0:y1].copy()
        wipe = cv2.dilate(ink[y0:y1], np.ones((5, 5), np.uint8)) > 0
        band[wipe & (band > DARK_PRINT)] = 255
        found = _letter_date(engine.read(band, psm=BAND_PSM), y0, nlp)
        best = fields.get(FIELD)
        if found is not None and (best is None or found.confidence > best.confidence):
            fields[FIELD], changed = found, True
    return changed


def _coloured_ink(colour: np.ndarray) -> np.ndarray:
    """Pixels of coloured ink: far in hue from the paper (Lab a/b distance to the paper's median a/b, so a
    phone photo's warm cast, shared by paper and print, does not count) and neither black nor paper-bright."""
    lab = cv2.cvtColor(np.ascontiguousarray(colour[:, :, :3]), cv2.COLOR_BGR2LAB)
    lightness = lab[..., 0]
    a, b = lab[..., 1].astype(np.int16), lab[..., 2].astype(np.int16)
    paper = lightness >= np.percentile(lightness, 60)
    pa, pb = int(np.median(a[paper])), int(np.median(b[paper]))
    hue_off = np.abs(a - pa) + np.abs(b - pb)
    ink = (hue_off > INK_CHROMA) & (lightness >= INK_LIGHTNESS[0]) & (lightness <= INK_LIGHTNESS[1])
    return ink.astype(np.uint8) * 255


def _stamps(ink: np.ndarray, page_width: int) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of stamp-sized blots of coloured ink, largest first. A ring is not one connected
    component in a worn print, so the ink is closed first."""
    k = max(3, page_width // STAMP_GAP)
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    side = STAMP_MIN * page_width
    boxes = [(int(x), int(y), int(bw), int(bh)) for x, y, bw, bh, _ in stats[1:n]
             if bw >= side and bh >= side and max(bw, bh) <= STAMP_RATIO * min(bw, bh)]
    out: list[tuple[int, int, int, int]] = []
    for b in sorted(boxes, key=lambda b: b[2] * b[3], reverse=True):
        if not any(_inside(b, o) for o in out):  # a stamp's inner ring is the same stamp
            out.append(b)
    return out


def _inside(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[0] + a[2] <= b[0] + b[2] and a[1] + a[3] <= b[1] + b[3]


def _letter_date(ocr: OcrPage, dy: int, nlp: Nlp) -> FieldValue | None:
    """The letter date of a band's words (the surat sehat reader's own rule), boxes in page pixels."""
    shifted = [replace(w, box=(w.box[0], w.box[1] + dy, w.box[2], w.box[3])) for w in ocr.words]
    return extract_surat_sehat(OcrPage(words=shifted, width=ocr.width, height=ocr.height + dy), nlp).get(FIELD)
