"""Canned OCR pages for reader tests: words with boxes laid out like a scanned form, no tesseract; and the
reading tools (engine, spaCy, the rules' confidence policy) the readers take."""

from __future__ import annotations

from config.rules import load_rules
from models.contract import DocType
from pipeline.context import FieldValue, OcrPage, Word
from pipeline.nlp import Nlp
from pipeline.ocr.base import OcrEngine
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.protocol import PRIMARY, ReadingTools
from pipeline.reading.registry import reader_for

CHAR_W, LINE_H, GAP = 12, 24, 40


def fake_page(rows: list[str | list[tuple[int, str]]], *, conf: float = 0.95,
              confs: dict[str, float] | None = None, width: int = 1200) -> OcrPage:
    """An OcrPage from text rows. A row is a string (starting at x=40) or (x, text) segments; each segment
    gets its own OCR block, as tesseract does with a form's label and value columns."""
    words: list[Word] = []
    confs = confs or {}
    for r, row in enumerate(rows):
        segments = [(40, row)] if isinstance(row, str) else row
        y = 30 + r * GAP
        for s, (x0, text) in enumerate(segments):
            x = x0
            for tok in text.split():
                w = CHAR_W * len(tok)
                words.append(Word(text=tok, conf=confs.get(tok, conf), box=(x, y, w, LINE_H), line=r,
                                  block=s * 1000 + r))
                x += w + CHAR_W
    words.sort(key=lambda w: (w.block, w.line, w.box[0]))
    return OcrPage(words=words, width=width, height=30 + len(rows) * GAP + 30)


class NoEngine:
    """An engine that must not be called (a test of what the words alone give)."""

    name = "none"

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        raise AssertionError("OCR called where the test expects no reading")


def policy() -> ConfidencePolicy:
    """The confidence policy of the packaged rules file."""
    return ConfidencePolicy.from_rules(load_rules())


def tools(nlp: Nlp, engine: OcrEngine | None = None) -> ReadingTools:
    """Reading tools around `engine` (default: one that must not be called)."""
    return ReadingTools(engines={PRIMARY: engine or NoEngine()}, nlp=nlp, policy=policy())


def extract(doc_type: DocType, ocr: OcrPage, nlp: Nlp) -> dict[str, FieldValue]:
    """The fields the reader of `doc_type` extracts from `ocr` (no second looks); {} for UNKNOWN."""
    reader = reader_for(doc_type)
    return reader.extract(ocr, tools(nlp)) if reader is not None else {}
