"""One page from pixels (or a PDF text layer) to a typed reading:

    words (text layer, or prepare -> OCR) -> classify -> the type's reader: extract -> second looks
    -> boxes to page pixels

`read_page` is the only entry point; the engines, the spaCy pipeline and the confidence policy come from the
process's runtime (`ReadingTools`).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from models.contract import DocType
from pipeline.context import DocumentReading, FieldValue, PageInput
from pipeline.reading.acquire import Source, classify_words, looks_unreadable, page_words
from pipeline.reading.protocol import DocumentReader, Look, ReadingTools
from pipeline.reading.registry import reader_for

log = logging.getLogger(__name__)


def read_page(page: PageInput, tools: ReadingTools, *, doc_type: DocType | None = None) -> DocumentReading:
    """Type, type scores and fields of one page. Raises OcrFailed when the page has neither text nor image.

    `doc_type`: a type set by hand (pipeline.page_types): the page is read as that type whatever the
    classifier says (its scores are kept)."""
    src = page_words(page, tools.engine)
    src, classified, scores = classify_words(page, src, tools.engine, tools.neural)
    doc_type = doc_type or classified
    reader = reader_for(doc_type)
    fields = reader.extract(src.ocr, tools) if reader is not None else {}
    if src.ocr.source == "neural":  # typed from the neural engine's reading (acquire's last retry)
        fields = {k: tools.policy.from_neural(fv) for k, fv in fields.items()}
    if reader is not None:
        second_looks(reader, Look(doc_type, fields, src.ocr, src.image, page.image, src.transform, tools))
    log.debug("%s p%d: type=%s fields=%d", page.file, page.page, doc_type.value, len(fields))
    return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=doc_type,
                           type_scores=scores, fields=to_page_pixels(fields, src),
                           ocr_conf=round(src.ocr.mean_conf(), 4), text_layer=src.image is None,
                           unreadable=doc_type == DocType.UNKNOWN and looks_unreadable(src))


def second_looks(reader: DocumentReader, look: Look) -> None:
    """The reader's second looks in order; a step that needs pixels is skipped on a text layer."""
    for step in reader.second_looks:
        if step.needs_image and look.image is None:
            continue
        step.run(look)


def to_page_pixels(fields: dict[str, FieldValue], src: Source) -> dict[str, FieldValue]:
    """Field boxes moved from the prepared image's pixels to the original page's."""
    to_page = src.to_page
    if to_page is None:
        return fields
    return {k: fv if fv.box is None else replace(fv, box=to_page(fv.box)) for k, fv in fields.items()}
