"""Re-read one region of a page with a tighter segmentation mode and an optional whitelist.

For the extractor: when a field's first reading is weak, crop its box (with a margin), upscale small
text and read it again as a single line. Boxes in the returned words are in page coordinates.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.context import Box, Word
from pipeline.ocr.base import OcrEngine, as_gray

DIGITS = "0123456789"
# tesseract reads glyphs best when capitals are ~30 px high; smaller crops are upscaled to this height
TARGET_LINE_PX = 48


def clip_box(box: Box, width: int, height: int, *, margin: int = 0) -> Box:
    """The box grown by `margin` pixels on every side and clipped to the image; may be empty (w or h 0)."""
    x, y, w, h = box
    x0, y0 = min(width, max(0, x - margin)), min(height, max(0, y - margin))
    x1, y1 = min(width, x + w + margin), min(height, y + h + margin)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def read_region(
    engine: OcrEngine,
    gray: np.ndarray,
    box: Box,
    *,
    digits: bool = False,
    whitelist: str | None = None,
    psm: int = 7,
    margin: int | None = None,
) -> list[Word]:
    """Words inside `box` of `gray`, read as one line (psm 7) unless `psm` says otherwise.

    `digits=True` restricts the alphabet to 0-9 (plus whatever `whitelist` adds). Returns [] for an
    empty or out-of-image box.
    """
    gray = as_gray(gray)
    H, W = gray.shape
    pad = margin if margin is not None else max(4, box[3] // 4)
    x, y, w, h = clip_box(box, W, H, margin=pad)
    if w < 4 or h < 4:
        return []
    crop = gray[y : y + h, x : x + w]
    scale = 1.0
    if box[3] > 0 and box[3] < TARGET_LINE_PX:
        scale = min(4.0, TARGET_LINE_PX / box[3])
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    # a white border helps tesseract's line finder on tight crops
    crop = cv2.copyMakeBorder(crop, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
    wl = (DIGITS if digits else "") + (whitelist or "")
    page = engine.read(crop, psm=psm, whitelist=wl or None)
    out: list[Word] = []
    for wd in page.words:
        bx, by, bw, bh = wd.box
        px = x + int(round((bx - 10) / scale))
        py = y + int(round((by - 10) / scale))
        pb = clip_box((px, py, int(round(bw / scale)), int(round(bh / scale))), W, H)
        out.append(Word(text=wd.text, conf=wd.conf, box=pb, line=wd.line, block=wd.block))
    return out
