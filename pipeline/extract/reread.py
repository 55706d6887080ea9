"""A second look at weak labelled values of a form (surat keterangan sehat, ijazah).

The first OCR pass reads the whole page at once; a value written over a form line, in another ink or
slanted, may come out weak or as noise while its typed label reads fine. For such a field the rest of the
label's line (right of the label, where the value sits) is cropped and read once more as one text line
(psm 7), then parsed by the same reader as the first pass, which repairs what fits the field (digit
look-alikes in a blood pressure, stray marks in a name). No character whitelist: with one, the tesserocr
engine reported confidence 0 for every word and lost the spaces between words ("-SYAIFULMUBAROKHAKIM",
"115/70mmHg" at 0.0 where the plain read gave "115/70" at 0.93), so a whitelisted reading could never be
weighed against the first. The better reading is kept:

* the same value twice: the better of the two confidences (two readings agree);
* only the second reading has a value, or the first was too weak to count (< `WEAK`): the second, with
  its own confidence;
* two different values both read with some confidence: the more confident one, capped at `UNSURE`
  (below the rules' review threshold), since the page says two things.

A value already read with `REREAD_BELOW` confidence or more is never read again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from models.contract import DocType
from pipeline.context import Box, FieldValue, OcrPage, Word
from pipeline.extract.ktp import until_gap
from pipeline.extract.lines import Line, colon_x, split_label, strip_value, union_box, visual_lines
from pipeline.nlp import Nlp
from pipeline.normalise import fold, load_vocab
from pipeline.ocr.base import OcrEngine
from pipeline.ocr.regions import read_region

REREAD_BELOW = 0.8
WEAK = 0.5  # a first reading below this is no evidence against the second
UNSURE = 0.5
NAME_CHARS: str | None = None  # alphabets per field; see the module docstring for why there are none
BP_CHARS: str | None = None
REGION_MIN_SHARE = 0.4  # the value region reaches at least this share of the page width right of the label

Parser = Callable[[list[Word], float, Nlp], FieldValue | None]


def reread_weak_values(doc_type: DocType, fields: dict[str, FieldValue], ocr: OcrPage, image: np.ndarray,
                       engine: OcrEngine, nlp: Nlp) -> list[str]:
    """Re-read the weak or missing values of `fields` (in place); returns the keys that were read again."""
    readers = _readers(doc_type)
    if not readers:
        return []
    labels: dict[str, list[str]] = load_vocab()["labels"][doc_type.value]
    lines = visual_lines(ocr)
    column = colon_x(lines)
    done: list[str] = []
    for line in _candidate_lines(lines):
        hit = split_label(line, labels, column_x=column)
        if hit is None or hit.key not in readers or hit.key in done:
            continue
        old = fields.get(hit.key)
        if old is not None and old.value is not None and old.confidence >= REREAD_BELOW:
            continue
        if old is not None and old.box is not None and not _on_line(old.box, line):
            continue  # the first pass took this field from another row (the holder's, not the doctor's)
        parse, whitelist = readers[hit.key]
        region = _value_region(line, hit.label_words, ocr.width)
        if region is None:
            continue
        done.append(hit.key)
        words = read_region(engine, image, region, whitelist=whitelist)
        new = parse(until_gap(strip_value(words)), min(1.0, hit.score + 0.1), nlp) if words else None
        best = better(old, new)
        if best is not None:
            fields[hit.key] = best
    return done


def better(old: FieldValue | None, new: FieldValue | None) -> FieldValue | None:
    """The reading to keep of two readings of one value; see the module docstring."""
    if new is None or new.value is None:
        return old
    if old is None or old.value is None:
        return new
    if _same(old.value, new.value):
        return max(old, new, key=lambda fv: fv.confidence)
    if old.confidence < WEAK or new.confidence < WEAK:
        return max(old, new, key=lambda fv: fv.confidence)  # a weak reading is no evidence against the other
    best = max(old, new, key=lambda fv: fv.confidence)
    return replace(best, confidence=min(best.confidence, UNSURE))


def _same(a: object, b: object) -> bool:
    return fold(str(a)).replace(" ", "") == fold(str(b)).replace(" ", "")


def _readers(doc_type: DocType) -> dict[str, tuple[Parser, str | None]]:
    # imported here: the readers import this module's siblings, not the other way round
    from pipeline.extract import ijazah, surat_sehat

    if doc_type == DocType.SURAT_SEHAT:
        return {"tekanan_darah": (surat_sehat.blood_pressure_field, BP_CHARS),
                "nama": (surat_sehat.name_field, NAME_CHARS)}
    if doc_type == DocType.IJAZAH:
        return {"nama": (ijazah.name_field, NAME_CHARS)}
    return {}


def _candidate_lines(lines: list[Line]) -> list[Line]:
    """Rows after the statement ("menerangkan ...") first: the holder's rows, not the doctor's or the
    letterhead's."""
    start = next((i for i, ln in enumerate(lines) if "MENERANGKAN" in fold(ln.text)), 0)
    return lines[start:] + lines[:start]


def _on_line(box: Box, line: Line) -> bool:
    lb = line.box
    if lb is None:
        return False
    mid = box[1] + box[3] / 2
    return lb[1] <= mid <= lb[1] + lb[3]


def _value_region(line: Line, label_words: list[Word], width: int) -> Box | None:
    """Right of the label (colon included: the parsers drop it) to the end of the line's text, and at least
    `REGION_MIN_SHARE` of the page width further (a value lost by the first pass left no words)."""
    label = union_box(label_words)
    lb = line.box
    if label is None or lb is None:
        return None
    x0 = label[0] + label[2] + 2
    x1 = min(width, max(lb[0] + lb[2] + lb[3], x0 + int(REGION_MIN_SHARE * width)))
    if x1 - x0 < lb[3]:
        return None
    return (x0, lb[1], x1 - x0, lb[3])
