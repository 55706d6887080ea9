"""Read the 16-digit NIK of a KTP-el by template matching, with tesseract as a second opinion.

The NIK is printed larger than the other rows in an OCR-A-like face that tesseract's `ind` model misreads
(it splits or merges strokes). Here the NIK row is found from the image (the tallest run of 12-20
digit-sized glyphs of one height, or the row of `hint_box`), cut into characters (connected components,
split by column projection where glyphs touch) and each character is matched against digit templates
rendered from OCR-A and a sans face at several weights (`nik_templates`). A reading is `uncertain` when it does not have 16
characters, a digit's margin over the runner-up is small, or tesseract disagrees on a weak digit: the caller
then asks a person instead of guessing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.context import Box
from pipeline.ocr.base import OcrEngine, as_gray
from pipeline.ocr.regions import read_region
from pipeline.reading.ktp.nik_templates import classify_glyph

log = logging.getLogger(__name__)

NIK_LEN = 16
MIN_SCORE = 0.55  # correlation below this is not a digit
MIN_MARGIN = 0.05  # best-vs-second correlation gap needed to trust a digit on its own


@dataclass
class NikReading:
    digits: str | None  # 16 digits, or None when the row could not be read at all
    digit_conf: list[float] = field(default_factory=list)  # per digit, 0..1
    box: Box | None = None  # the NIK digits in card_gray pixels
    uncertain: bool = True
    tesseract: str | None = None  # the second opinion as read (digits only), for evidence


# ---- segmentation --------------------------------------------------------------------------------


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Binary ink mask (uint8 0/255) robust to a light coloured or unevenly lit background."""
    h, w = gray.shape
    k = max(15, (min(h, w) // 12) | 1)
    bg = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    norm = np.clip(gray.astype(np.float32) / np.maximum(bg.astype(np.float32), 1) * 255, 0, 255).astype(np.uint8)
    _, m = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return m


def local_ink_mask(gray: np.ndarray) -> np.ndarray:
    """`ink_mask` united with a local (Gaussian-weighted) threshold that still sees strokes washed out
    by a glare spot; noisier, so only a fallback."""
    h, w = gray.shape
    block = max(15, (min(h, w) // 10) | 1)
    local = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, 12)
    return cv2.bitwise_or(ink_mask(gray), local)


@dataclass
class _Comp:
    x: int
    y: int
    w: int
    h: int

    @property
    def x1(self) -> int:
        return self.x + self.w

    @property
    def y1(self) -> int:
        return self.y + self.h

    def merge(self, o: _Comp) -> _Comp:
        x, y = min(self.x, o.x), min(self.y, o.y)
        return _Comp(x, y, max(self.x1, o.x1) - x, max(self.y1, o.y1) - y)


def _components(mask: np.ndarray, min_h: int, max_h: int) -> list[_Comp]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if min_h <= h <= max_h and w <= 3 * h and area >= 0.08 * w * h:
            comps.append(_Comp(int(x), int(y), int(w), int(h)))
    return comps


def _rows(comps: list[_Comp]) -> list[list[_Comp]]:
    """Group components into text rows, each sorted left to right. A component joins a row when it
    overlaps the row's median band (not its full extent, so two close lines never chain together)."""
    rows: list[list[_Comp]] = []
    for c in sorted(comps, key=lambda c: c.y + c.h / 2):
        for row in rows:
            top = float(np.median([r.y for r in row]))
            bottom = float(np.median([r.y1 for r in row]))
            ov = min(c.y1, bottom) - max(c.y, top)
            if ov > 0.6 * min(c.h, bottom - top):
                row.append(c)
                break
        else:
            rows.append([c])
    return [sorted(r, key=lambda c: c.x) for r in rows]


def _runs(row: list[_Comp]) -> list[list[_Comp]]:
    """Split a row into runs of glyphs of one height with regular gaps (a label and its value part)."""
    if not row:
        return []
    med_h = float(np.median([c.h for c in row]))
    same = [c for c in row if abs(c.h - med_h) <= 0.22 * med_h]
    # merge pieces that overlap horizontally (broken strokes)
    merged: list[_Comp] = []
    for c in same:
        if merged and c.x < merged[-1].x1 - 0.3 * min(c.w, merged[-1].w):
            merged[-1] = merged[-1].merge(c)
        else:
            merged.append(c)
    runs: list[list[_Comp]] = [[merged[0]]] if merged else []
    for c in merged[1:]:
        gap = c.x - runs[-1][-1].x1
        if gap > 0.9 * med_h:
            runs.append([c])
        else:
            runs[-1].append(c)
    return runs


def _split_wide(run: list[_Comp], mask: np.ndarray) -> list[_Comp]:
    """Cut components wider than one character at column-projection minima (touching glyphs)."""
    widths = sorted(c.w for c in run)
    unit = float(np.median(widths[len(widths) // 4 :])) if widths else 1.0
    pitch = float(np.median(np.diff([c.x for c in run]))) if len(run) > 2 else unit * 1.3
    out: list[_Comp] = []
    for c in run:
        n = int(round(c.w / max(1.0, pitch))) if c.w > 1.6 * unit else 1
        if n <= 1:
            out.append(c)
            continue
        prof = mask[c.y : c.y1, c.x : c.x1].sum(axis=0).astype(np.float64)
        cuts = [0]
        for i in range(1, n):
            target = i * c.w / n
            lo, hi = int(max(cuts[-1] + 1, target - 0.3 * c.w / n)), int(min(c.w - 1, target + 0.3 * c.w / n))
            cut = lo + int(np.argmin(prof[lo : hi + 1])) if hi > lo else int(target)
            cuts.append(cut)
        cuts.append(c.w)
        for a, b in zip(cuts, cuts[1:], strict=False):
            out.append(_Comp(c.x + a, c.y, b - a, c.h))
    return out


def _candidate_runs(mask: np.ndarray, region: Box | None) -> list[tuple[list[_Comp], Box]]:
    H, W = mask.shape
    x0, y0, w, h = region if region else (0, 0, W, H)
    sub = mask[y0 : y0 + h, x0 : x0 + w]
    comps = _components(sub, max(8, H // 150), max(12, H // 6) if region is None else h)
    found = []
    for row in _rows(comps):
        for run in _runs(row):
            run = _split_wide(run, sub)
            if 10 <= len(run) <= 22:
                run = [_Comp(c.x + x0, c.y + y0, c.w, c.h) for c in run]
                bx, by = min(c.x for c in run), min(c.y for c in run)
                box = (bx, by, max(c.x1 for c in run) - bx, max(c.y1 for c in run) - by)
                found.append((run, box))
    return found


# ---- reading -------------------------------------------------------------------------------------


def _glyph(gray: np.ndarray, c: _Comp) -> np.ndarray:
    crop = gray[c.y : c.y1, c.x : c.x1].astype(np.float32)
    lo, hi = float(np.percentile(crop, 2)), float(np.percentile(gray[max(0, c.y - 2) : c.y1 + 2], 95))
    if hi - lo < 20:
        return np.zeros_like(crop)
    return np.clip((hi - crop) / (hi - lo), 0, 1)


def _read_run(gray: np.ndarray, run: list[_Comp]) -> tuple[str, list[float], list[float], list[_Comp]]:
    """Digits, scores and margins of a run; with more than 16 glyphs, end glyphs that are clearly no
    digit of the row (weak match or another height: a colon, a frame edge) are dropped first."""
    read = [classify_glyph(_glyph(gray, c)) for c in run]
    run = list(run)
    while len(run) > NIK_LEN:
        med_h = float(np.median([c.h for c in run]))
        ends = [i for i in (0, len(run) - 1) if read[i][1] < 0.7 or abs(run[i].h - med_h) > 0.15 * med_h]
        if not ends:
            break
        i = min(ends, key=lambda j: read[j][1])
        del run[i], read[i]
    return "".join(r[0] for r in read), [r[1] for r in read], [r[2] for r in read], run


def _second_opinion(engine: OcrEngine, gray: np.ndarray, box: Box) -> str | None:
    words = read_region(engine, gray, box, digits=True)
    text = "".join(w.text for w in words)
    return "".join(ch for ch in text if ch.isdigit()) or None


def _hint_region(hint: Box, shape: tuple[int, int]) -> Box:
    """The band of the NIK row from the label's (or value's) box: its row, from its left edge to the right."""
    H, W = shape
    x, y, w, h = hint
    y0 = max(0, int(y - 0.8 * h))
    y1 = min(H, int(y + 1.8 * h))
    return max(0, x - h), y0, W - max(0, x - h), y1 - y0


def read_nik(
    card_gray: np.ndarray, hint_box: Box | None = None, *, engine: OcrEngine | None = None
) -> NikReading:
    """The NIK printed on a card image (gray or BGR). `hint_box` is the NIK label or value box when the
    OCR found it; `engine` adds a tesseract digit reading as a second opinion.

    Reads with a global ink mask first; when that is not certain (e.g. a glare spot washed out some
    digits), once more with a locally thresholded mask, whose reading is taken only when it is certain.
    """
    gray = as_gray(card_gray)
    if gray.size == 0:
        return NikReading(digits=None, uncertain=True)
    first = _read_with_mask(gray, ink_mask(gray), hint_box, engine)
    if not first.uncertain:
        return first
    second = _read_with_mask(gray, local_ink_mask(gray), hint_box, engine)
    return second if not second.uncertain else first


def _read_with_mask(
    gray: np.ndarray, mask: np.ndarray, hint_box: Box | None, engine: OcrEngine | None
) -> NikReading:
    region = _hint_region(hint_box, gray.shape) if hint_box else None
    cands = _candidate_runs(mask, region)
    if not cands and region is not None:
        cands = _candidate_runs(mask, None)
    if not cands:
        return NikReading(digits=None, uncertain=True)
    H = gray.shape[0]

    def prior(item: tuple[list[_Comp], Box]) -> float:
        run, box = item
        count_fit = 1.0 / (1 + abs(len(run) - NIK_LEN))
        return box[3] * count_fit * (1.0 - 0.3 * box[1] / H)

    # read the few most plausible rows and keep the one that looks most like digits
    best: tuple[float, list[_Comp], Box, str, list[float], list[float]] | None = None
    for run, box in sorted(cands, key=prior, reverse=True)[:4]:
        text, scores, margins, run = _read_run(gray, run)
        if len(run) != len(text) or not run:
            continue
        bx, by = min(c.x for c in run), min(c.y for c in run)
        box = (bx, by, max(c.x1 for c in run) - bx, max(c.y1 for c in run) - by)
        score = prior((run, box)) * max(0.0, float(np.mean(scores))) ** 2
        if best is None or score > best[0]:
            best = (score, run, box, text, scores, margins)
    if best is None:
        return NikReading(digits=None, uncertain=True)
    _, run, box, text, scores, margins = best
    conf = [float(np.clip(s, 0, 1)) for s in scores]
    second = _second_opinion(engine, gray, box) if engine is not None else None
    weak = [i for i in range(len(text)) if scores[i] < MIN_SCORE or margins[i] < MIN_MARGIN]
    uncertain = len(text) != NIK_LEN or bool(weak)
    if second is not None and len(second) == NIK_LEN and len(text) == NIK_LEN:
        for i, (a, b) in enumerate(zip(text, second, strict=True)):
            if a == b:
                conf[i] = min(1.0, conf[i] + 0.5 * (1 - conf[i]))
            else:
                conf[i] *= 0.5
                if margins[i] < 2 * MIN_MARGIN:
                    uncertain = True
        if weak and all(text[i] != second[i] for i in weak):
            uncertain = True
    if uncertain:
        log.debug("NIK reading uncertain: %d chars, %d weak digits", len(text), len(weak))
    return NikReading(
        digits=text if len(text) == NIK_LEN else None,
        digit_conf=conf,
        box=box,
        uncertain=uncertain,
        tesseract=second,
    )
