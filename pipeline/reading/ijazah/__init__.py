"""Ijazah (school diploma): labelled rows and keywords in running text (`fields`), then the name's Q/O glyphs
and the weak name read again from its row, then the neural engine where the cascade routes it; a name, place or
date of birth written by hand that neither engine reads surely is left empty (`cascade`)."""

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage
from pipeline.reading.cascade import NeuralLook
from pipeline.reading.common.glyphs import NameGlyphs
from pipeline.reading.common.reread import WeakValues
from pipeline.reading.ijazah.fields import extract_ijazah, name_field
from pipeline.reading.protocol import Reader, ReadingTools


def _extract(ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]:
    return extract_ijazah(ocr, tools.nlp, tools.policy)


READER = Reader(
    doc_type=DocType.IJAZAH,
    extract_fields=_extract,
    second_looks=(
        NameGlyphs(),
        WeakValues({"nama": name_field}),
        NeuralLook(_extract, ("nama", "tempat_lahir", "tanggal_lahir", "nama_sekolah", "nomor_ijazah"),
                   label_of={"tempat_lahir": "tempat_tgl_lahir", "tanggal_lahir": "tempat_tgl_lahir"},
                   handwriting=("nama", "tempat_lahir", "tanggal_lahir")),
    ),
)
