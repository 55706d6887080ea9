"""Page orientation (0/90/180/270): text-line direction from projection profiles, then tesseract OSD,
with an OCR-confidence vote when OSD is unsure or disagrees with the line direction."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from pipeline.ocr.base import OcrEngine
from pipeline.preprocess.geometry import line_direction_score

log = logging.getLogger(__name__)

OSD_MIN_CONF = 1.5  # tesseract's orient_conf; ~15 is "sure", below ~1 is noise
OSD_WORK_PX = 1400
VOTE_WORK_PX = 800  # enough to tell upright text from upside-down text by confidence


def _shrink(gray: np.ndarray, work: int) -> np.ndarray:
    h, w = gray.shape
    s = min(1.0, work / max(h, w))
    if s >= 1.0:
        return gray
    return cv2.resize(gray, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _vote_by_confidence(engine: OcrEngine, gray: np.ndarray, candidates: list[int]) -> int:
    """The quarter-turn count whose upright image tesseract reads with the highest mean confidence."""
    g = _shrink(gray, VOTE_WORK_PX)
    best, best_score = candidates[0], -1.0
    for k in candidates:
        page = engine.read(np.ascontiguousarray(np.rot90(g, k)), psm=3)
        good = [w.conf for w in page.words if len(w.text) >= 3 and any(ch.isalnum() for ch in w.text)]
        score = float(np.sum(good)) if good else 0.0
        if score > best_score:
            best, best_score = k, score
    return best


def runs_horizontally(gray: np.ndarray, *, text_along_long_side: bool = False) -> bool:
    """The text lines run left to right (0 or 180 degrees), from the shape or the projection profiles:
    the cheap half of `detect_rotation`, no OCR."""
    if text_along_long_side:
        return gray.shape[0] <= gray.shape[1]
    return line_direction_score(gray) >= 0.8


def detect_rotation(
    gray: np.ndarray, engine: OcrEngine | None = None, *, text_along_long_side: bool = False
) -> tuple[int, str]:
    """(quarter turns counter-clockwise that make `gray` upright, how it was decided).

    `text_along_long_side` (an ID card) fixes the text direction from the shape instead of the
    projection profiles. `how` is "osd", "vote" or "lines" (line direction only, no engine).
    """
    if text_along_long_side:
        vertical = gray.shape[0] > gray.shape[1]
        score = 0.0
    else:
        score = line_direction_score(gray)
        vertical = score < 0.8
    allowed = [1, 3] if vertical else [0, 2]
    if engine is None:
        return (allowed[0] if vertical else 0), "lines"
    osd = getattr(engine, "osd", None)
    if osd is not None:
        res = osd(_shrink(gray, OSD_WORK_PX))
        if res is not None:
            deg, conf = res
            k = (deg // 90) % 4
            if conf >= OSD_MIN_CONF and k == allowed[0] == 0:
                return 0, "osd"
            if conf >= OSD_MIN_CONF * 4 and k in allowed:
                return k, "osd"
            # OSD on sparse card text flips 0/180 now and then: a turn needs confirming by OCR
            log.debug("OSD unsure (deg=%s conf=%.2f lines=%.2f); voting", deg, conf, score)
    return _vote_by_confidence(engine, gray, allowed), "vote"
