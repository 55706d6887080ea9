"""Context objects passed between stages. Data flows one way:

    intake -> PageInput -> preprocess -> OCR (OcrPage of Words) -> classify -> extract (FieldValue)
           -> DocumentReading -> checks -> DossierResult -> store

No stage reads settings or globals; what it needs arrives in these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from models.contract import DocType

Box = tuple[int, int, int, int]  # x, y, w, h in page pixels


@dataclass(frozen=True)
class Word:
    text: str
    conf: float  # 0..1
    box: Box
    line: int = 0  # words with the same `line` id sit on one text line (reading order)
    block: int = 0


@dataclass
class OcrPage:
    """Words of one page, in reading order, from OCR or from a PDF text layer."""

    words: list[Word]
    width: int
    height: int
    source: Literal["ocr", "neural", "text_layer"] = "ocr"  # "neural": read whole by the neural engine

    def lines(self) -> list[list[Word]]:
        out: dict[tuple[int, int], list[Word]] = {}
        for w in self.words:
            out.setdefault((w.block, w.line), []).append(w)
        return list(out.values())

    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in ln) for ln in self.lines())

    def mean_conf(self) -> float:
        return float(np.mean([w.conf for w in self.words])) if self.words else 0.0


@dataclass
class PageInput:
    """One page as intake delivers it: an image to OCR, and/or the words of a PDF text layer."""

    file: str  # the original file name inside the dossier
    page: int  # 1-based
    sha256: str  # of the original file
    image: np.ndarray | None = None  # BGR uint8
    text_layer: OcrPage | None = None
    kind: Literal["image", "pdf"] = "image"
    dpi: float | None = None


@dataclass
class FieldValue:
    value: Any
    confidence: float  # 0..1, from OCR and validation together
    box: Box | None = None
    raw: str | None = None  # text as read, before normalisation
    # a value left empty because no reading of it was sure (handwriting): the readings there were, for a
    # confirmation by another document (`pipeline.reading.confirm`); never a value of the field by themselves
    candidates: tuple[FieldValue, ...] = ()


@dataclass
class DocumentReading:
    """What one page says: its type (with scores) and its fields."""

    file: str
    page: int
    sha256: str
    type: DocType
    type_scores: dict[str, float] = field(default_factory=dict)
    fields: dict[str, FieldValue] = field(default_factory=dict)
    ocr_conf: float = 0.0
    unreadable: bool = False  # an unrecognised page that looks like a document whose text could not be read
    text_layer: bool = False  # read from the PDF's own text layer, not by OCR

    def value(self, name: str) -> Any:
        f = self.fields.get(name)
        return None if f is None else f.value
