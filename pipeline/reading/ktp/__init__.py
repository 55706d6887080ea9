"""KTP-el: rows by fuzzy labels and the card's row order (`fields`), then its second looks in order: the name's
Q/O glyphs, the NIK by template matching (`looks`, `nik_reader`), weak RT/RW digits read again in their box,
the birth date against the NIK's date part, and the neural engine where the cascade routes it (`cascade`)."""

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage, Word
from pipeline.reading.cascade import NeuralLook
from pipeline.reading.common.glyphs import NameGlyphs
from pipeline.reading.common.reread import RereadBox
from pipeline.reading.ktp.fields import extract_ktp, rt_rw_field
from pipeline.reading.ktp.looks import BirthDateAgainstNik, NikTemplates
from pipeline.reading.protocol import Reader, ReadingTools


def _extract(ocr: OcrPage, tools: ReadingTools) -> dict[str, FieldValue]:
    return extract_ktp(ocr)


KEYS = ("nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah", "alamat", "rt_rw",
        "kel_desa", "kecamatan", "agama", "status_perkawinan", "pekerjaan", "kewarganegaraan", "berlaku_hingga",
        "provinsi", "kabupaten_kota")


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
        NeuralLook(_extract, KEYS, label_of={"tempat_lahir": "tempat_tgl_lahir", "tanggal_lahir": "tempat_tgl_lahir"}),
    ),
)
