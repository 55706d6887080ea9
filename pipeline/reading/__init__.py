"""Reading a page: words, type, fields, second looks. See `page.read_page` (the entry point), `protocol`
(what a document reader is), `registry` (one reader per type: `ktp/`, `ijazah/`, `surat_sehat/`), `common/`
(layout helpers shared by the readers) and `confidence` (the one confidence policy)."""

from pipeline.reading.page import read_page
from pipeline.reading.protocol import ReadingTools

__all__ = ["ReadingTools", "read_page"]
