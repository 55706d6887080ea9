"""Each document reader end to end on canned words: its fields, then its second looks with a fake engine that
answers region re-reads with canned words (no tesseract). The registry, and a second look with another engine
as one more data entry (the cascade's shape)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from models.contract import DocType
from pipeline.context import OcrPage, PageInput, Word
from pipeline.nlp import build_nlp
from pipeline.reading import read_page
from pipeline.reading.common.reread import WeakValues
from pipeline.reading.ijazah.fields import name_field
from pipeline.reading.page import second_looks
from pipeline.reading.protocol import PRIMARY, Look, Reader, ReadingTools
from pipeline.reading.registry import READERS, reader_for
from tests.unit.ocr_fakes import NoEngine, fake_page, policy, tools

NIK = "3575024506990001"  # made up: Kota Pasuruan, woman born 05-06-1999


class CannedEngine:
    """Answers each read by its character whitelist (None: a plain read) with one canned word; records calls."""

    name = "canned"

    def __init__(self, answers: dict[str | None, tuple[str, float]]) -> None:
        self.answers, self.calls = answers, []

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        self.calls.append((psm, whitelist))
        text, conf = self.answers.get(whitelist, ("", 0.0))
        words = [Word(text, conf, (12, 12, 12 * len(text), 24))] if text else []
        return OcrPage(words=words, width=image.shape[1], height=image.shape[0])


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def _blank(ocr: OcrPage) -> np.ndarray:
    return np.full((ocr.height, ocr.width), 255, np.uint8)


def _look(doc_type: DocType, ocr: OcrPage, engine_tools: ReadingTools) -> Look:
    reader = reader_for(doc_type)
    assert reader is not None
    return Look(doc_type, reader.extract(ocr, engine_tools), ocr, _blank(ocr), None, None, engine_tools)


def test_every_document_type_has_one_reader_with_named_steps() -> None:
    assert set(READERS) == {t for t in DocType if t != DocType.UNKNOWN}
    assert reader_for(DocType.UNKNOWN) is None
    for doc_type, reader in READERS.items():
        assert reader.doc_type == doc_type
        names = [step.name for step in reader.second_looks]
        assert names and all(isinstance(n, str) and n for n in names)
        assert all(isinstance(step.needs_image, bool) for step in reader.second_looks)


KTP_ROWS: list = [
    [(300, "PROVINSI JAWA TIMUR")],
    [(300, "KOTA PASURUAN")],
    [(40, "NIK"), (240, f": {NIK}")],
    [(40, "Nama"), (240, ": SITI AMINAH")],
    [(40, "Tempat/Tgl Lahir"), (240, ": PASURUAN, 05-06-1949")],
    [(40, "Jenis Kelamin"), (240, ": PEREMPUAN")],
    [(40, "Alamat"), (240, ": JL. MELATI 3")],
    [(70, "RT/RW"), (240, ": 003/019")],
    [(70, "Kel/Desa"), (240, ": KEBONAGUNG")],
]


def test_ktp_reader_rereads_weak_digits_and_the_birth_date_the_nik_contradicts(nlp) -> None:
    """GIVEN a KTP whose RT/RW was read weakly and whose printed birth year (1949) contradicts the NIK (99)
    WHEN its second looks run THEN RT/RW is read again digits only and confirmed, and the birth date read
    again digits only replaces the printed reading because the NIK backs it; the blank pixels hold no NIK
    row, so the OCR's NIK stands."""
    ocr = fake_page(KTP_ROWS, confs={"003/019": 0.55})
    engine = CannedEngine({"0123456789/": ("003/019", 0.96), "0123456789-/.": ("05-06-1999", 0.93)})
    look = _look(DocType.KTP, ocr, tools(nlp, engine))
    assert look.fields["tanggal_lahir"].value == date(1949, 6, 5)
    assert look.fields["rt_rw"].confidence < policy().reread_below
    second_looks(READERS[DocType.KTP], look)
    assert look.fields["rt_rw"].value == "003/019" and look.fields["rt_rw"].confidence == 0.96
    assert look.fields["tanggal_lahir"].value == date(1999, 6, 5)
    assert look.fields["tanggal_lahir"].confidence == 0.93
    assert look.fields["nik"].value == NIK
    assert [w for _, w in engine.calls] == ["0123456789/", "0123456789-/."]


def test_ktp_reader_doubts_a_rt_rw_that_two_readings_give_differently(nlp) -> None:
    ocr = fake_page(KTP_ROWS, confs={"003/019": 0.7})
    engine = CannedEngine({"0123456789/": ("008/019", 0.95), "0123456789-/.": ("05-06-1949", 0.9)})
    look = _look(DocType.KTP, ocr, tools(nlp, engine))
    second_looks(READERS[DocType.KTP], look)
    assert look.fields["rt_rw"].value == "008/019"
    assert policy().needs_review(look.fields["rt_rw"])
    # the digits-only re-read confirms the printed 1949: it stays, for `nik_consistent` to flag
    assert look.fields["tanggal_lahir"].value == date(1949, 6, 5)


IJAZAH_ROWS: list = [
    "IJAZAH",
    "SEKOLAH MENENGAH ATAS",
    "menerangkan bahwa:",
    [(40, "Nama"), (400, ": SITI AMNAH")],
    [(40, "tempat dan tanggal lahir"), (400, ": Pasuruan, 5 Juni 1999")],
]


@pytest.mark.parametrize(("first_conf", "want_conf"), [(0.4, 0.95), (0.7, 0.5)])
def test_ijazah_reader_reads_a_weak_name_again_from_its_row(nlp, first_conf, want_conf) -> None:
    """A weak first reading (0.4) is no evidence: the re-read stands. A fair one (0.7) that the re-read
    contradicts makes the name doubtful (capped below the review threshold)."""
    ocr = fake_page(IJAZAH_ROWS, confs={"AMNAH": first_conf, "SITI": first_conf})
    engine = CannedEngine({None: ("SITI AMINAH", 0.95)})
    look = _look(DocType.IJAZAH, ocr, tools(nlp, engine))
    assert look.fields["nama"].value == "SITI AMNAH"
    second_looks(READERS[DocType.IJAZAH], look)
    assert look.fields["nama"].value == "SITI AMINAH"
    assert look.fields["nama"].confidence == want_conf
    assert engine.calls == [(7, None)]  # one line read, no whitelist


def test_a_second_look_with_another_engine_is_one_more_entry(nlp) -> None:
    """The cascade's shape: a reader whose list names another engine reads with that engine only."""
    neural = CannedEngine({None: ("SITI AMINAH", 0.97)})
    engine_tools = ReadingTools(engines={PRIMARY: NoEngine(), "neural": neural}, nlp=nlp, policy=policy())
    reader = Reader(DocType.IJAZAH, READERS[DocType.IJAZAH].extract,
                    (WeakValues({"nama": name_field}, engine="neural"),))
    ocr = fake_page(IJAZAH_ROWS, confs={"AMNAH": 0.3, "SITI": 0.3})
    look = Look(DocType.IJAZAH, reader.extract(ocr, engine_tools), ocr, _blank(ocr), None, None, engine_tools)
    second_looks(reader, look)
    assert look.fields["nama"].value == "SITI AMINAH" and neural.calls == [(7, None)]
    with pytest.raises(KeyError, match="no OCR engine 'other'"):
        engine_tools.engine_named("other")


SEHAT_ROWS: list = [
    "UPT PUSKESMAS PURWOREJO",
    "SURAT KETERANGAN SEHAT",
    "menerangkan bahwa:",
    [(60, "Nama"), (300, ": SITI AMINAH")],
    [(60, "Tekanan Darah"), (300, ": 12/8O")],
    "Dinyatakan SEHAT / TIDAK SEHAT",
    [(700, "Pasuruan, 12 Desember 2023")],
]


def test_surat_sehat_reader_rereads_a_weak_blood_pressure(nlp) -> None:
    ocr = fake_page(SEHAT_ROWS)
    engine = CannedEngine({None: ("120/80", 0.94)})
    look = _look(DocType.SURAT_SEHAT, ocr, tools(nlp, engine))
    assert policy().needs_reread(look.fields.get("tekanan_darah"))
    second_looks(READERS[DocType.SURAT_SEHAT], look)
    assert look.fields["tekanan_darah"].value == "120/80"
    assert not policy().needs_review(look.fields["tekanan_darah"])
    # both conclusions printed and no mark in the (blank) pixels: no value, doubted, never SEHAT
    assert look.fields["kesimpulan"].value is None and policy().needs_review(look.fields["kesimpulan"])


def test_surat_sehat_from_a_text_layer_runs_only_the_looks_that_need_no_pixels(nlp) -> None:
    page = PageInput(file="surat.pdf", page=1, sha256="0" * 64, text_layer=fake_page(SEHAT_ROWS * 3), kind="pdf")
    reading = read_page(page, tools(nlp, NoEngine()))  # the engine would fail the test if any look read
    assert reading.type == DocType.SURAT_SEHAT
    assert reading.fields["kesimpulan"].value is None
    assert reading.value("nama") == "SITI AMINAH"
