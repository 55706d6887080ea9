"""What a document reader is, and what its second looks may use.

A `DocumentReader` names its document type, extracts the fields of a page's words, and lists its second
looks in the order they run. A second look is a step that reads part of the page again, or weighs the pixels,
and reconciles what it finds with the first reading through the confidence policy. Steps are data: a new look
(e.g. "re-read weak field X with another engine") is one more entry in a reader's list, with its parameters.

    page reading (pipeline.reading.page) -> reader.extract(ocr, tools) -> for step in reader.second_looks:
        step.run(look)   (skipped when the page has no image and the step needs one)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage
from pipeline.nlp import Nlp
from pipeline.ocr.base import OcrEngine
from pipeline.reading.confidence import ConfidencePolicy

PRIMARY = "primary"  # the engine that read the page first (tesseract); others are named by their role
NEURAL = "neural"  # the neural engine (PP-OCR), when the process loaded it (BERKAS_OCR_NEURAL)


@dataclass(frozen=True)
class ReadingTools:
    """What reading a page uses, loaded once per process: OCR engines by name (`PRIMARY` always), the spaCy
    pipeline and the confidence policy."""

    engines: Mapping[str, OcrEngine]
    nlp: Nlp
    policy: ConfidencePolicy

    def __post_init__(self) -> None:
        if PRIMARY not in self.engines:
            raise ValueError(f"reading tools need a {PRIMARY!r} engine, got {sorted(self.engines)}")

    @property
    def engine(self) -> OcrEngine:
        return self.engines[PRIMARY]

    @property
    def neural(self) -> OcrEngine | None:
        """The neural engine, or None when this process runs without it (BERKAS_OCR_NEURAL=off)."""
        return self.engines.get(NEURAL)

    def engine_named(self, name: str) -> OcrEngine:
        try:
            return self.engines[name]
        except KeyError:
            raise KeyError(f"no OCR engine {name!r} loaded (have {sorted(self.engines)})") from None


@dataclass
class Look:
    """A page's first reading, as a second look sees it. Steps change `fields` in place."""

    doc_type: DocType
    fields: dict[str, FieldValue]
    ocr: OcrPage  # the words the fields were extracted from
    image: np.ndarray | None  # the prepared image those words were read from; None for a PDF text layer
    page_image: np.ndarray | None  # the page as decoded (colour when it has colour)
    transform: np.ndarray | None  # 3x3, page pixels -> prepared image pixels (None: not known)
    tools: ReadingTools

    @property
    def policy(self) -> ConfidencePolicy:
        return self.tools.policy


class SecondLook(Protocol):
    """One step of a reader's second looks."""

    @property
    def name(self) -> str: ...

    @property
    def needs_image(self) -> bool:
        """True: skipped on a page read from its text layer (there are no prepared pixels to look at)."""
        ...

    def run(self, look: Look) -> None: ...


Extract = Callable[[OcrPage, ReadingTools], dict[str, FieldValue]]


class DocumentReader(Protocol):
    """One document type: its fields from a page's words, then its second looks in order."""

    @property
    def doc_type(self) -> DocType: ...

    def extract(self, ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]: ...

    @property
    def second_looks(self) -> Sequence[SecondLook]: ...


@dataclass(frozen=True)
class Reader:
    """The plain `DocumentReader`: a type, an extraction function and a tuple of steps."""

    doc_type: DocType
    extract_fields: Extract
    second_looks: tuple[SecondLook, ...] = ()

    def extract(self, ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]:
        """The fields of one page; {} for a page without words."""
        return self.extract_fields(ocr, tools) if ocr.words else {}
