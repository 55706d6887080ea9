"""Surat keterangan sehat: labels, keywords and running text (`fields`), then its second looks in order: a
conclusion printed with both options decided by the marks, the name's Q/O glyphs, weak blood pressure and name
read again from their rows, the letter's date read again under a coloured stamp, and the neural engine where the cascade routes it
(`cascade`; a name or blood pressure written by hand that neither engine reads surely is left empty)."""

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage
from pipeline.reading.cascade import NeuralLook
from pipeline.reading.common.glyphs import NameGlyphs
from pipeline.reading.common.reread import WeakValues
from pipeline.reading.common.stamps import UnderStamps
from pipeline.reading.common.ticks import PrintedChoice
from pipeline.reading.protocol import Reader, ReadingTools
from pipeline.reading.surat_sehat.fields import extract_surat_sehat, name_field
from pipeline.reading.surat_sehat.vitals import blood_pressure_field


def _extract(ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]:
    return extract_surat_sehat(ocr, tools.nlp)


def _letter_date(ocr: OcrPage, tools: ReadingTools) -> FieldValue | None:
    """The letter's date in a band's words, by the reader's own rule."""
    return extract_surat_sehat(ocr, tools.nlp).get("tanggal_surat")


READER = Reader(
    doc_type=DocType.SURAT_SEHAT,
    extract_fields=_extract,
    second_looks=(
        PrintedChoice("kesimpulan"),
        NameGlyphs(),
        WeakValues({"tekanan_darah": blood_pressure_field, "nama": name_field}),
        UnderStamps("tanggal_surat", _letter_date),
        NeuralLook(_extract, ("nama", "tekanan_darah", "tanggal_surat", "nomor_surat"),
                   handwriting=("nama", "tekanan_darah")),
    ),
)
