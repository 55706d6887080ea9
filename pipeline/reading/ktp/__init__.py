"""KTP-el: rows by fuzzy labels and the card's row order (`fields`), then its second looks in order: the name's
Q/O glyphs, the NIK by template matching (`looks`, `nik_reader`), weak RT/RW digits read again in their box,
and the birth date against the NIK's date part."""

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage, Word
from pipeline.reading.common.glyphs import NameGlyphs
from pipeline.reading.common.reread import RereadBox
from pipeline.reading.ktp.fields import extract_ktp, rt_rw_field
from pipeline.reading.ktp.looks import BirthDateAgainstNik, NikTemplates
from pipeline.reading.protocol import Reader, ReadingTools


def _extract(ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]:
    return extract_ktp(ocr)


def _rt_rw(words: list[Word]) -> FieldValue:
    return rt_rw_field(words, 1.0)


READER = Reader(
    doc_type=DocType.KTP,
    extract_fields=_extract,
    second_looks=(
        NameGlyphs(),
        NikTemplates(),
        RereadBox("rt_rw", _rt_rw, digits=True, whitelist="/"),
        BirthDateAgainstNik(),
    ),
)
