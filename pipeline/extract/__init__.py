"""Field extraction: one reader per document type, all built from labels, keywords and line geometry.

    extract(doc_type, ocr, ctx) -> {field name: FieldValue}

`ctx` is the process's spaCy pipeline (`pipeline.nlp.build_nlp()`); field names are the contract's
(`models.contract.FIELDS_BY_TYPE`) plus `gula_darah` / `kolesterol` on health letters.
"""

from __future__ import annotations

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage
from pipeline.extract.ijazah import extract_ijazah
from pipeline.extract.ktp import extract_ktp
from pipeline.extract.surat_sehat import extract_surat_sehat
from pipeline.nlp import Nlp

__all__ = ["extract"]


def extract(doc_type: DocType, ocr: OcrPage, ctx: Nlp) -> dict[str, FieldValue]:
    """The fields of one page of a known type; {} for UNKNOWN or an empty page."""
    if not ocr.words:
        return {}
    if doc_type == DocType.KTP:
        return extract_ktp(ocr)
    if doc_type == DocType.IJAZAH:
        return extract_ijazah(ocr, ctx)
    if doc_type == DocType.SURAT_SEHAT:
        return extract_surat_sehat(ocr, ctx)
    return {}
