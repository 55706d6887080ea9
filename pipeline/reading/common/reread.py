"""Second looks that read part of a page once more: a weak labelled value from its label's line, or a weak
field from its own box.

The first OCR pass reads the whole page at once; a value written over a form line, in another ink or
slanted, may come out weak or as noise while its typed label reads fine. For such a field (`WeakValues`) the
rest of the label's line (right of the label, where the value sits) is cropped and read once more as one
text line (psm 7), then parsed by the same parser as the first pass, which repairs what fits the field (digit
look-alikes in a blood pressure, stray marks in a name). No character whitelist there: with one, the
tesserocr engine reported confidence 0 for every word and lost the spaces between words
("-SYAIFULMUBAROKHAKIM", "115/70mmHg" at 0.0 where the plain read gave "115/70" at 0.93), so a whitelisted
reading could never be weighed against the first. A field with a box of its own and a closed alphabet
(RT/RW digits: `RereadBox`) is read again inside that box, with the alphabet.

Which fields are read again is the policy's re-read trigger (`ConfidencePolicy.needs_reread`); the two
readings become one by `ConfidencePolicy.reconcile`. Each step names the engine it reads with, so a look
with another engine is one more entry in a reader's list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.context import Box, FieldValue, Word
from pipeline.nlp import Nlp
from pipeline.normalise import fold, load_vocab
from pipeline.ocr.base import OcrEngine
from pipeline.ocr.regions import read_region
from pipeline.reading.common.lines import (
    Line,
    colon_x,
    split_label,
    strip_value,
    union_box,
    until_gap,
    visual_lines,
)
from pipeline.reading.protocol import PRIMARY, Look

REGION_MIN_SHARE = 0.4  # the value region reaches at least this share of the page width right of the label

Parser = Callable[[list[Word], float, Nlp], FieldValue | None]


@dataclass(frozen=True)
class WeakValues:
    """Second look: weak or missing labelled values read again from the rest of their label's line."""

    parsers: Mapping[str, Parser]  # field -> the parser of its value words (the first pass's own)
    engine: str = PRIMARY
    name: str = "weak_values"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        reread_weak_values(look, self.parsers, look.tools.engine_named(self.engine))


def reread_weak_values(look: Look, parsers: Mapping[str, Parser], engine: OcrEngine) -> list[str]:
    """Re-read the weak or missing values of `look.fields` (in place); returns the keys that were read again."""
    assert look.image is not None
    policy, fields, ocr = look.policy, look.fields, look.ocr
    labels: dict[str, list[str]] = load_vocab()["labels"][look.doc_type.value]
    lines = visual_lines(ocr)
    column = colon_x(lines)
    done: list[str] = []
    for line in _candidate_lines(lines):
        hit = split_label(line, labels, column_x=column)
        if hit is None or hit.key not in parsers or hit.key in done:
            continue
        old = fields.get(hit.key)
        if not policy.needs_reread(old):
            continue
        if old is not None and old.box is not None and not _on_line(old.box, line):
            continue  # the first pass took this field from another row (the holder's, not the doctor's)
        region = _value_region(line, hit.label_words, ocr.width)
        if region is None:
            continue
        done.append(hit.key)
        words = read_region(engine, look.image, region)
        new = parsers[hit.key](until_gap(strip_value(words)), min(1.0, hit.score + 0.1), look.tools.nlp) if words else None
        best = policy.reconcile(old, new, same=same_text)
        if best is not None:
            fields[hit.key] = best
    return done


@dataclass(frozen=True)
class RereadBox:
    """Second look: a weak field read again inside its own box, with a closed alphabet, and parsed again."""

    key: str
    parse: Callable[[list[Word]], FieldValue | None]
    digits: bool = False
    whitelist: str | None = None
    engine: str = PRIMARY
    name: str = "reread_box"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        old = look.fields.get(self.key)
        if old is None or old.box is None or not look.policy.needs_reread(old):
            return
        words = read_region(look.tools.engine_named(self.engine), look.image, old.box, digits=self.digits,
                            whitelist=self.whitelist)
        best = look.policy.reconcile(old, self.parse(words) if words else None)
        if best is not None:
            look.fields[self.key] = best


def same_text(a: object, b: object) -> bool:
    """One value twice, whatever the spacing and case."""
    return fold(str(a)).replace(" ", "") == fold(str(b)).replace(" ", "")


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
