"""The cascade: the neural engine as the second look where it pays, routed by a small pure function.

Tesseract reads every page first (the fast path). Then, per page, `route` decides from what the page and its
first reading look like which neural step runs:

* a page where half of the key fields are missing gets a neural full read (detection + recognition, ~1.1 s
  a card): there are no rows to crop by;
* a damaged KTP card (`PageFacts.damaged`: a low-resolution scan, a photo, or a first reading that is weak
  overall) whose key fields are under the review threshold for at least `FULL_READ_UNSURE_CARD` of them, after
  tesseract and the card's own second looks (the NIK templates, ...), gets a full read too;
* any other page gets the neural recogniser on the lines of its weak or missing key fields only (~33 ms a line,
  no detection): a key field read surely (by tesseract, or by two readings that agree) is not read again, on a
  damaged page or not;
* a page read from its text layer, or a process without the neural engine, gets nothing.

The second reading goes through the reader's own extraction (a line crop replaces the tesseract words of that
line, so the same parser reads it), and each field's two readings become one through the confidence policy as
independent engines: alike raises the confidence, different caps it below the review threshold.

Handwriting: a key field that ends below the review threshold and whose pixels look written by hand
(`looks_handwritten`: an uneven baseline and letter height, measured on the ink and compared with the printed
label on the same line) is left empty, with its box,
so the check says FIELD_UNREADABLE and the review app shows the crop; never a guess.

Figures that set the thresholds: docs/ocr.md ("Cascade").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np

from models.contract import DocType
from pipeline.context import Box, FieldValue, OcrPage, Word
from pipeline.normalise import load_vocab
from pipeline.ocr.base import OcrEngine, as_gray
from pipeline.ocr.regions import clip_box, read_region
from pipeline.reading.common.lines import Line, colon_x, split_label, union_box, visual_lines
from pipeline.reading.common.reread import same_text
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.protocol import Extract, Look

log = logging.getLogger(__name__)

# the quality gate
LOW_RES_SCALE = 1.4  # prepared / captured pixels: the capture was upscaled this much (a card under ~220 dpi)
PHOTO_PERSPECTIVE = 0.03  # relative depth change across the page of the capture's perspective: a photo
WEAK_PAGE_CONF = 0.75  # tesseract's mean word confidence under this: the page reads badly
FULL_READ_MISSING = 0.5  # this share of the key fields missing: the neural engine reads the whole page
FULL_READ_UNSURE_CARD = 0.3  # a damaged card with this share of its key fields under review: read whole
LINE_MIN_SHARE = 0.4  # a missing value's line crop reaches this share of the page width right of its label
# handwriting: baseline and letter-height irregularity of the ink (see `stroke_irregularity`): at least
# HAND_MIN and well above the printed label's on the same line (the same capture damage applies to both), or,
# with no label to compare, above HAND_ALONE
HAND_MIN = 0.025
HAND_OVER_LABEL = (2.0, 0.02)  # value >= 2 x label + 0.02
HAND_ALONE = 0.30


@dataclass(frozen=True)
class PageFacts:
    """What routing knows of a page: its kind, what the quality gate says, and how tesseract read it."""

    kind: Literal["card", "sheet", "text"]
    low_res: bool = False
    photo: bool = False
    ocr_conf: float = 1.0

    @property
    def damaged(self) -> bool:
        return self.low_res or self.photo or self.ocr_conf < WEAK_PAGE_CONF


@dataclass(frozen=True)
class Route:
    """Which neural step a page gets: a full read, line crops of `fields`, or nothing."""

    full_read: bool = False
    fields: tuple[str, ...] = ()
    why: str = "none"

    @property
    def empty(self) -> bool:
        return not self.full_read and not self.fields


def route(facts: PageFacts, fields: Mapping[str, FieldValue | None], keys: Sequence[str],
          policy: ConfidencePolicy, *, have_neural: bool = True) -> Route:
    """The neural step for one page (module docstring). `keys` are the reader's key fields."""
    if not have_neural or facts.kind == "text" or not keys:
        return Route(why="no neural engine" if not have_neural else "text layer" if facts.kind == "text" else "none")
    missing = [k for k in keys if fields.get(k) is None or fields[k].value is None]  # type: ignore[union-attr]
    unsure = [k for k in keys if policy.needs_review(fields.get(k))]
    weak = [k for k in keys if policy.needs_reread(fields.get(k))]
    if len(missing) >= FULL_READ_MISSING * len(keys):
        return Route(full_read=True, fields=tuple(keys), why="key fields missing")
    if facts.damaged and facts.kind == "card" and len(unsure) >= FULL_READ_UNSURE_CARD * len(keys):
        return Route(full_read=True, fields=tuple(keys), why="damaged card read weakly")
    if weak:
        return Route(fields=tuple(weak), why="damaged page, weak fields" if facts.damaged else "weak fields")
    return Route(why="all key fields sure")


def page_facts(look: Look) -> PageFacts:
    """The quality gate on a look: resolution and perspective from the capture -> prepared transform."""
    if look.image is None:
        return PageFacts("text")
    kind: Literal["card", "sheet"] = "card" if look.doc_type == DocType.KTP else "sheet"
    low_res = photo = False
    t = look.transform
    if t is not None and look.page_image is not None:
        a = np.asarray(t, dtype=float)
        scale = float(np.sqrt(abs(np.linalg.det(a[:2, :2])))) / max(1e-9, abs(float(a[2, 2])))
        low_res = scale >= LOW_RES_SCALE
        h, w = look.page_image.shape[:2]
        depth = abs(float(a[2, 0])) * w + abs(float(a[2, 1])) * h
        photo = depth / max(1e-9, abs(float(a[2, 2]))) >= PHOTO_PERSPECTIVE
    return PageFacts(kind, low_res=low_res, photo=photo, ocr_conf=look.ocr.mean_conf() if look.ocr.words else 0.0)


@dataclass(frozen=True)
class NeuralLook:
    """Second look: the neural engine on the fields `route` picks, reconciled as an independent reading."""

    extract_fields: Extract  # the reader's own extraction
    keys: tuple[str, ...]  # the key fields (the checks use them)
    label_of: Mapping[str, str] = field(default_factory=dict)  # field -> its label's key, where they differ
    handwriting: tuple[str, ...] = ()  # fields that may be written by hand on this document
    name: str = "neural"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        neural = look.tools.neural
        plan = route(page_facts(look), look.fields, self.keys, look.policy, have_neural=neural is not None)
        log.debug("%s: neural step: %s (%s, %d fields)", look.doc_type.value, plan.why,
                  "full read" if plan.full_read else "line crops", len(plan.fields))
        if neural is not None and not plan.empty:
            second = self._second_reading(look, neural, plan)
            for key in plan.fields:
                new = second.get(key)
                others = _label_words(look.doc_type, self.label_of.get(key, key))
                if new is not None and (new.value is None or not plausible(new.value, others)):
                    new = None
                new = None if new is None else look.policy.from_neural(new)
                best = look.policy.reconcile(look.fields.get(key), new, same=same_text, choose=more_spaced,
                                             independent=True)
                if best is not None:
                    look.fields[key] = best
        for key in self.handwriting:
            blank_if_handwritten(look, key)

    def _second_reading(self, look: Look, neural: OcrEngine, plan: Route) -> dict[str, FieldValue]:
        assert look.image is not None
        if plan.full_read:
            return self.extract_fields(neural.read(look.image), look.tools)
        crops = self._line_boxes(look, plan.fields)
        if not crops:
            return {}
        return self.extract_fields(swap_lines(look.ocr, look.image, crops, neural), look.tools)

    def _line_boxes(self, look: Look, keys: Sequence[str]) -> list[Box]:
        """The lines to read again: the line of each field's box, or for a missing field its label's line."""
        lines = visual_lines(look.ocr)
        out: list[Box] = []
        wanted_labels = {self.label_of.get(k, k): k for k in keys}
        labels = load_vocab()["labels"].get(look.doc_type.value, {})
        column = colon_x(lines)
        for line in lines:
            lb = line.box
            if lb is None:
                continue
            hit_box = _box_for(line, lb, look, keys, wanted_labels, labels, column)
            if hit_box is not None and hit_box not in out:
                out.append(hit_box)
        return out


def _box_for(line: Line, lb: Box, look: Look, keys: Sequence[str], wanted_labels: Mapping[str, str],
             labels: Mapping[str, list[str]], column: float | None) -> Box | None:
    width = look.ocr.width
    for k in keys:
        fv = look.fields.get(k)
        if fv is not None and fv.box is not None and _on_line(fv.box, lb):
            # the label and the value, not what follows on the row (a second label and value beside it, the
            # rest of a sentence); read_region adds its own margin
            x0 = min(lb[0], fv.box[0])
            x1 = min(width, fv.box[0] + fv.box[2])
            return (x0, lb[1], x1 - x0, lb[3])
    hit = split_label(line, dict(labels), column_x=column)
    if hit is None or hit.key not in wanted_labels:
        return None
    fv = look.fields.get(wanted_labels[hit.key])
    if fv is not None and fv.value is not None:
        return None  # a value taken from another row: not this line's
    x1 = min(width, max(lb[0] + lb[2] + lb[3], lb[0] + int(LINE_MIN_SHARE * width)))
    return (lb[0], lb[1], x1 - lb[0], lb[3])


def more_spaced(a: FieldValue, b: FieldValue) -> FieldValue:
    """Of two readings of one value that differ in spacing only, the one with more word breaks: PP-OCR writes a
    space only where it sees a clear gap ("THERESIAWULANDARI"), tesseract splits at its word boxes. Readings
    that differ otherwise: the more confident (the policy's default)."""
    if not same_text(a.value, b.value):
        return b if b.confidence > a.confidence else a
    return b if str(b.value).count(" ") > str(a.value).count(" ") else a


def _label_words(doc_type: DocType, own: str) -> frozenset[str]:
    """Words (four letters or more) of the type's labels other than the field's `own`: a value holding one has
    swallowed another row."""
    labels = load_vocab()["labels"].get(doc_type.value, {})
    mine = {w for sp in labels.get(own, []) for w in sp.upper().replace("/", " ").replace(".", " ").split()}
    return frozenset(w for key, spellings in labels.items() if key != own for sp in spellings
                     for w in sp.upper().replace("/", " ").replace(".", " ").split() if len(w) >= 4 and w not in mine)


def plausible(value: object, label_words: frozenset[str]) -> bool:
    """A value that holds none of the label words (a neural line that joined two rows of a card reads
    "JENIS KEL/DESA RT/RW KELAMIN ..." as an address)."""
    tokens = str(value).upper().replace("/", " ").replace(".", " ").replace(":", " ").split()
    return not any(t in label_words for t in tokens)


def _on_line(box: Box, lb: Box) -> bool:
    mid = box[1] + box[3] / 2
    return lb[1] <= mid <= lb[1] + lb[3]


def swap_lines(ocr: OcrPage, image: np.ndarray, crops: Sequence[Box], engine: OcrEngine) -> OcrPage:
    """`ocr` with the words inside each crop replaced by `engine`'s reading of that crop as one line (same line
    and block ids, at the same place in reading order), so the reader's extraction reads the new words."""
    words = list(ocr.words)
    for box in crops:
        new = read_region(engine, image, box)
        inside = {id(w) for w in words if _centre_in(w.box, box)}
        if not inside or not new:
            continue
        at = next(i for i, w in enumerate(words) if id(w) in inside)
        first = next(w for w in words if id(w) in inside)
        kept = [w for w in words if id(w) not in inside]
        at = min(at, len(kept))
        words = kept[:at] + [Word(w.text, w.conf, w.box, line=first.line, block=first.block) for w in new] + kept[at:]
    return OcrPage(words=words, width=ocr.width, height=ocr.height, source=ocr.source)


def _centre_in(b: Box, box: Box) -> bool:
    cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
    return box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]


# ---- handwriting ------------------------------------------------------------------------------------------

def stroke_irregularity(gray: np.ndarray) -> float:
    """How unevenly the ink of a one-line crop sits: the spread of its letters' bottoms around their common
    baseline plus the spread of their heights, each over the median letter height (robust: medians of
    absolute deviations). Printed text sits on one baseline at one height (~0.05-0.15); a hand's letters
    wander and vary (clean renders of the sample generator's hands 0.03-0.07, illegible ones up to 0.4; printed
    lines 0.0-0.005; damage raises both). 0.0 when there are too few letters to say."""
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


def label_box(ocr: OcrPage, box: Box) -> Box | None:
    """The words left of `box` on its line (a form's printed label), as one box."""
    mid = box[1] + box[3] / 2
    return union_box(w for w in ocr.words if w.box[0] + w.box[2] <= box[0] and w.box[1] <= mid <= w.box[1] + w.box[3])


def blank_if_handwritten(look: Look, key: str) -> bool:
    """A field below the review threshold whose pixels look handwritten becomes empty (value None, confidence
    0, its box kept for the review app): the check says FIELD_UNREADABLE instead of weighing a guess."""
    fv = look.fields.get(key)
    if fv is None or fv.value is None or fv.box is None or look.image is None:
        return False
    if not look.policy.needs_review(fv) or not looks_handwritten(look.image, fv.box, label_box(look.ocr, fv.box)):
        return False
    look.fields[key] = replace(fv, value=None, confidence=0.0, raw=None)
    log.debug("%s: %s looks handwritten and is not read surely: left empty", look.doc_type.value, key)
    return True
