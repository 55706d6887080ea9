"""The document readers, by type. A new document type is one folder beside `ktp/` (its `READER`) and one
entry here."""

from __future__ import annotations

from models.contract import DocType
from pipeline.reading import ijazah, ktp, surat_sehat
from pipeline.reading.protocol import DocumentReader

READERS: dict[DocType, DocumentReader] = {r.doc_type: r for r in (ktp.READER, ijazah.READER, surat_sehat.READER)}


def reader_for(doc_type: DocType) -> DocumentReader | None:
    """The reader of `doc_type`; None for UNKNOWN (no fields are read from an unrecognised page)."""
    return READERS.get(doc_type)
