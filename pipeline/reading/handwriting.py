"""Handwriting (issue 12, item 5): a value that may be written by hand is kept only when it is not a guess.

On the fields a reader names as possibly handwritten (an ijazah's name, place and date of birth; a health
letter's name and blood pressure), `keep_reading` decides, once both engines have had their look:

* the two independent engines (tesseract and the neural engine) read the same value (after normalisation:
  case, spacing, punctuation, the parsed date): kept; two engines rarely make one identical mistake;
* otherwise the one reading left is kept only when it is sure (at least the re-read trigger of the confidence
  policy, `reread_below`: a single reading of a hand between the review threshold and that is wrong as often
  as right) and its ink does not look written by hand (`looks_handwritten`, which misses some hands);
* anything else is left empty (value None, confidence 0, no raw text) with its box, so the check says
  FIELD_UNREADABLE and the review app shows the crop: never a guess.

"Looks handwritten" measures the ink of the value against the printed label on its line (the same capture
damage is on both): how unevenly the letters sit on their baseline and how much their heights vary
(`stroke_irregularity`). Slant and stroke width are not measured.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.context import Box, FieldValue, OcrPage
from pipeline.normalise import fold
from pipeline.ocr.base import as_gray
from pipeline.ocr.regions import clip_box
from pipeline.reading.common.lines import centre_in, union_box
from pipeline.reading.confidence import ConfidencePolicy

# baseline and letter-height irregularity of the ink (`stroke_irregularity`): at least HAND_MIN and well above
# the printed label's on the same line (the same capture damage applies to both), or, with no label to compare,
# above HAND_ALONE
HAND_MIN = 0.025
HAND_OVER_LABEL = (2.0, 0.02)  # value >= 2 x label + 0.02
HAND_ALONE = 0.30


def stroke_irregularity(gray: np.ndarray) -> float:
    """How unevenly the ink of a one-line crop sits: the spread of its letters' bottoms around their common
    baseline plus the spread of their heights, each over the median letter height (robust: medians of
    absolute deviations). Printed text sits on one baseline at one height; a hand's letters wander and vary
    (clean renders: printed lines 0.0-0.005, the sample generator's hands 0.03-0.07, illegible ones up to 0.4;
    damage raises both). 0.0 when there are too few letters to say."""
    g = as_gray(gray)
    if g.size == 0 or min(g.shape) < 8:
        return 0.0
    _, ink = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    comps = stats[1:n]
    if len(comps) == 0:
        return 0.0
    h = comps[:, cv2.CC_STAT_HEIGHT].astype(float)
    area = comps[:, cv2.CC_STAT_AREA]
    keep = (area >= 12) & (h >= 0.35 * np.median(h)) & (h <= 0.95 * g.shape[0])
    comps, h = comps[keep], h[keep]
    if len(comps) < 4:
        return 0.0
    med_h = float(np.median(h))
    x = comps[:, cv2.CC_STAT_LEFT] + comps[:, cv2.CC_STAT_WIDTH] / 2.0
    bottom = (comps[:, cv2.CC_STAT_TOP] + comps[:, cv2.CC_STAT_HEIGHT]).astype(float)
    slope, icpt = np.polyfit(x, bottom, 1) if np.ptp(x) > 0 else (0.0, float(np.median(bottom)))
    resid = bottom - (slope * x + icpt)
    base = float(np.median(np.abs(resid - np.median(resid))))
    height = float(np.median(np.abs(h - med_h)))
    return (base + height) / max(1.0, med_h)


def _irregularity(g: np.ndarray, box: Box) -> float:
    """`stroke_irregularity` of a box grown up and down (ascenders, a wandering hand), not sideways (the
    neighbour: a label beside its value)."""
    pad = max(2, box[3] // 6)
    x, y, w, h = clip_box((box[0] + pad, box[1], max(0, box[2] - 2 * pad), box[3]), g.shape[1], g.shape[0], margin=pad)
    return stroke_irregularity(g[y : y + h, x : x + w]) if w >= 8 and h >= 8 else 0.0


def looks_handwritten(image: np.ndarray, box: Box, label: Box | None = None) -> bool:
    """The value in `box` of the prepared page looks written by hand: its ink is irregular, and much more so
    than the printed `label` beside it when there is one (`stroke_irregularity`)."""
    g = as_gray(image)
    value = _irregularity(g, box)
    if label is None:
        return value >= HAND_ALONE
    times, plus = HAND_OVER_LABEL
    return value >= HAND_MIN and value >= times * _irregularity(g, label) + plus


def value_rows(ocr: OcrPage, box: Box, value: object) -> list[Box]:
    """The value's box line by line: a value that runs on to the next line of a sentence ("... Sdri. KHOIRUN
    ROHMAH / NADHIFAH NISA, lahir ...") has one box over both lines and over the sentence's words beside it.
    The rows are the boxes of the words inside `box` that spell the value's words, grouped by line; `[box]`
    when they stand on one line or none is found (a value the first engine did not read)."""
    tokens = {letters(t) for t in str(value).split()} - {""}
    words = [w for w in ocr.words if centre_in(w.box, box) and letters(w.text) in tokens]
    if not words:
        return [box]
    height = float(np.median([w.box[3] for w in words]))
    rows: list[list] = []
    for w in sorted(words, key=lambda w: w.box[1] + w.box[3] / 2):
        mid = w.box[1] + w.box[3] / 2
        if rows and abs(mid - (rows[-1][-1].box[1] + rows[-1][-1].box[3] / 2)) <= 0.6 * height:
            rows[-1].append(w)
        else:
            rows.append([w])
    if len(rows) < 2:
        return [box]
    return [b for b in (union_box(r) for r in rows) if b is not None]



def label_box(ocr: OcrPage, box: Box) -> Box | None:
    """The words left of `box` on its line (a form's printed label), as one box."""
    mid = box[1] + box[3] / 2
    return union_box(w for w in ocr.words if w.box[0] + w.box[2] <= box[0] and w.box[1] <= mid <= w.box[1] + w.box[3])


def agree(first: FieldValue | None, second: FieldValue | None) -> bool:
    """Two readings with a value each that say the same (case, spacing and punctuation aside; dates as
    parsed)."""
    if first is None or second is None or first.value is None or second.value is None:
        return False
    return same_reading(first.value, second.value)


def same_reading(a: object, b: object) -> bool:
    """Two values that are one reading: the same letters and digits (`agree`)."""
    return letters(a) == letters(b)


def letters(value: object) -> str:
    """Letters and digits only: "S.PD" and "S.PD." are one reading, "120/80" and "120 / 80" too."""
    return "".join(c for c in fold(str(value)) if c.isalnum())


def keep_reading(fv: FieldValue, *, agreed: bool, handwritten: bool, policy: ConfidencePolicy) -> bool:
    """Whether a possibly handwritten field keeps its value (module docstring): two engines agree, or one
    sure reading of ink that does not look handwritten."""
    if fv.value is None:
        return True  # nothing to keep or to drop
    if agreed:
        return True
    return not handwritten and not policy.needs_reread(fv)


def unread(fv: FieldValue, readings: tuple[FieldValue | None, ...] = ()) -> FieldValue:
    """The field left empty with its box (the review app shows the crop; the check says FIELD_UNREADABLE), and
    the distinct `readings` it had as candidates that another document may confirm (`pipeline.reading.confirm`)."""
    kept: list[FieldValue] = []
    for r in readings:
        if r is not None and r.value is not None and not any(same_reading(r.value, k.value) for k in kept):
            kept.append(FieldValue(r.value, r.confidence, fv.box, r.raw))
    return FieldValue(None, 0.0, fv.box, candidates=tuple(kept))
