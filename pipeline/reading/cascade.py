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

Handwriting (`pipeline.reading.handwriting`): on the fields a reader names as possibly handwritten, the engine
that has not read a value reads its line too (tesseract where only the neural engine found it, the neural
engine where tesseract was sure of ink that looks handwritten), and the value is kept only when the two engines
agree, or one is sure of ink that does not look handwritten; otherwise it is left empty with its box, so the
check says FIELD_UNREADABLE and the review app shows the crop: never a guess.

Figures that set the thresholds: docs/ocr.md ("Cascade").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from models.contract import DocType
from pipeline.context import Box, FieldValue, OcrPage, Word
from pipeline.normalise import load_vocab
from pipeline.ocr.base import OcrEngine
from pipeline.ocr.regions import read_region
from pipeline.reading.common.lines import Line, centre_in, colon_x, split_label, visual_lines
from pipeline.reading.common.reread import same_text
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.handwriting import (
    agree,
    keep_reading,
    label_box,
    looks_handwritten,
    same_reading,
    unread,
    value_rows,
)
from pipeline.reading.protocol import Extract, Look

log = logging.getLogger(__name__)

# the quality gate
LOW_RES_SCALE = 1.4  # prepared / captured pixels: the capture was upscaled this much (a card under ~220 dpi)
PHOTO_PERSPECTIVE = 0.03  # relative depth change across the page of the capture's perspective: a photo
WEAK_PAGE_CONF = 0.75  # tesseract's mean word confidence under this: the page reads badly
FULL_READ_MISSING = 0.5  # this share of the key fields missing: the neural engine reads the whole page
FULL_READ_UNSURE_CARD = 0.3  # a damaged card with this share of its key fields under review: read whole
LINE_MIN_SHARE = 0.4  # a missing value's line crop reaches this share of the page width right of its label


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
        # a page the neural engine read whole (to type it) has no second neural reading to give: reading it again
        # would count the engine's agreement with itself as two engines agreeing
        fresh = neural is not None and look.ocr.source != "neural"
        plan = route(page_facts(look), look.fields, self.keys, look.policy, have_neural=fresh)
        plan = self._with_handwriting(look, plan, have_neural=fresh)
        log.debug("%s: neural step: %s (%s, %d fields)", look.doc_type.value, plan.why,
                  "full read" if plan.full_read else "line crops", len(plan.fields))
        firsts = {key: look.fields.get(key) for key in self.handwriting}
        seconds: dict[str, FieldValue | None] = {}
        if neural is not None and not plan.empty:
            second = self._second_reading(look, neural, plan)
            for key in plan.fields:
                new = second.get(key)
                others = _label_words(look.doc_type, self.label_of.get(key, key))
                if new is not None and (new.value is None or not plausible(new.value, others)):
                    new = None
                if new is not None and _same_words(look.fields.get(key), new):
                    new = None  # the crop was not read: the first reading's own words, not a second engine
                new = None if new is None else look.policy.from_neural(new)
                seconds[key] = new
                best = look.policy.reconcile(look.fields.get(key), new, same=same_text, choose=more_spaced,
                                             independent=True)
                if best is not None:
                    look.fields[key] = best
        for key in self.handwriting:
            self._settle_handwriting(look, key, firsts.get(key), seconds.get(key))

    def _with_handwriting(self, look: Look, plan: Route, *, have_neural: bool) -> Route:
        """`plan` plus a line crop of each possibly handwritten field that tesseract read surely but whose ink
        looks handwritten: one engine alone is not enough there (`pipeline.reading.handwriting`)."""
        if not have_neural or plan.full_read:
            return plan
        extra = []
        for key in self.handwriting:
            fv = look.fields.get(key)
            if key in plan.fields or fv is None or fv.value is None or fv.box is None:
                continue
            if look.image is not None and looks_handwritten(look.image, fv.box, label_box(look.ocr, fv.box)):
                extra.append(key)
        if not extra:
            return plan
        return Route(fields=(*plan.fields, *extra), why=f"{plan.why}; handwriting to confirm")

    def _settle_handwriting(self, look: Look, key: str, first: FieldValue | None,
                            second: FieldValue | None) -> None:
        """Keep the field's value only when it is not a guess (`handwriting.keep_reading`); a value that one
        engine alone found is first read by the other engine on its line."""
        fv = look.fields.get(key)
        if fv is None or fv.value is None or fv.box is None or look.image is None:
            return
        rows = value_rows(look.ocr, fv.box, fv.value)
        hand = any(looks_handwritten(look.image, row, label_box(look.ocr, row)) for row in rows)
        if keep_reading(fv, agreed=False, handwritten=hand, policy=look.policy):
            return  # one sure reading of ink that looks printed
        if look.tools.neural is None and not hand:
            return  # one engine in this process: ink that looks printed keeps its (weak) reading for review
        first = first if first is not None and first.value is not None else None
        second = second if second is not None and second.value is not None else None
        if look.ocr.source == "neural":  # the page's own reading is the neural engine's: tesseract is the other
            first, second = None, first
        if first is None and second is not None:  # the neural engine alone found it: tesseract reads its line
            first = self._line_reading(look, key, rows, look.tools.engine)
        elif second is None and first is not None and look.tools.neural is not None:
            found = self._line_reading(look, key, rows, look.tools.neural)
            second = None if found is None else look.policy.from_neural(found)
        if agree(first, second):  # two engines read the same: kept, with the confidence of both, on its box
            both = look.policy.reconcile(first, second, same=same_reading, choose=more_spaced, independent=True)
            if both is not None:
                look.fields[key] = replace(both, box=fv.box)
            return
        look.fields[key] = unread(fv, (fv, first, second))
        log.debug("%s: %s may be handwritten and two engines do not read it alike: left empty",
                  look.doc_type.value, key)

    def _line_reading(self, look: Look, key: str, rows: Sequence[Box], engine: OcrEngine) -> FieldValue | None:
        """`key` as the reader extracts it after `engine` read the value's own box, row by row (the label's
        words stay: PP-OCR joins a label to its value across the gap, "NamaSITTIAISYAH"); None when the
        engine reads nothing there or the value found is not in those rows."""
        assert look.image is not None
        page = look.ocr
        for row in rows:
            new = read_region(engine, look.image, row)
            if not new:
                return None
            swapped = swap_words(page, row, new)
            # no words of the first engine in the row: put the new ones after the label
            page = insert_after_label(page, row, new) if swapped is page else swapped
        if page is look.ocr:
            return None
        found = self.extract_fields(page, look.tools).get(key)
        if found is None or found.value is None or found.box is None or not any(centre_in(found.box, r) or
                                                                                 centre_in(r, found.box)
                                                                                 for r in rows):
            return None  # a value from elsewhere on the page is not this engine's reading of the box
        others = _label_words(look.doc_type, self.label_of.get(key, key))
        return found if plausible(found.value, others) else None

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


def _same_words(first: FieldValue | None, second: FieldValue) -> bool:
    """`second` is `first` over again (same value, confidence and box): extraction found the first engine's
    words where the second engine read nothing."""
    return first is not None and (first.value, first.confidence, first.box) == (second.value, second.confidence,
                                                                               second.box)


def _on_line(box: Box, lb: Box) -> bool:
    mid = box[1] + box[3] / 2
    return lb[1] <= mid <= lb[1] + lb[3]


def swap_lines(ocr: OcrPage, image: np.ndarray, crops: Sequence[Box], engine: OcrEngine) -> OcrPage:
    """`ocr` with the words inside each crop replaced by `engine`'s reading of that crop as one line (same line
    and block ids, at the same place in reading order), so the reader's extraction reads the new words."""
    for box in crops:
        ocr = swap_words(ocr, box, read_region(engine, image, box))
    return ocr


def swap_words(ocr: OcrPage, box: Box, new: Sequence[Word]) -> OcrPage:
    """`ocr` with its words inside `box` replaced by `new` (unchanged when either is empty)."""
    words = list(ocr.words)
    inside = {id(w) for w in words if centre_in(w.box, box)}
    if not inside or not new:
        return ocr
    at = next(i for i, w in enumerate(words) if id(w) in inside)
    first = next(w for w in words if id(w) in inside)
    kept = [w for w in words if id(w) not in inside]
    at = min(at, len(kept))
    words = kept[:at] + [Word(w.text, w.conf, w.box, line=first.line, block=first.block) for w in new] + kept[at:]
    return OcrPage(words=words, width=ocr.width, height=ocr.height, source=ocr.source)


def insert_after_label(ocr: OcrPage, box: Box, new: Sequence[Word]) -> OcrPage:
    """`ocr` with `new` put after the last word left of `box` on its line (the label), as part of its line."""
    mid = box[1] + box[3] / 2
    left = [i for i, w in enumerate(ocr.words) if w.box[0] + w.box[2] <= box[0] + box[2] / 2
            and w.box[1] <= mid <= w.box[1] + w.box[3]]
    if not left:
        return ocr
    at = max(left, key=lambda i: ocr.words[i].box[0])
    label = ocr.words[at]
    words = list(ocr.words)
    words[at + 1 : at + 1] = [Word(w.text, w.conf, w.box, line=label.line, block=label.block) for w in new]
    return OcrPage(words=words, width=ocr.width, height=ocr.height, source=ocr.source)
