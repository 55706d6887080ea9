"""Document type from weighted keyword evidence, with UNKNOWN when the evidence is thin or split."""

from __future__ import annotations

from models.contract import DocType
from pipeline.classify import classify
from tests.unit.ocr_fakes import fake_page
from tests.unit.test_extract import IJAZAH_ROWS, KTP_ROWS, SEHAT_ROWS


def test_each_document_type_wins_on_its_own_page() -> None:
    for rows, expected in ((KTP_ROWS, DocType.KTP), (IJAZAH_ROWS, DocType.IJAZAH),
                           (SEHAT_ROWS, DocType.SURAT_SEHAT)):
        doc_type, scores = classify(fake_page(rows))
        assert doc_type == expected
        assert set(scores) == {"ktp", "ijazah", "surat_sehat"}
        assert scores[expected.value] == max(scores.values())


def test_keywords_match_through_ocr_noise() -> None:
    rows = ["PROVlNSI JAWA TIMUR", "NIK : 3575024506990001", "Kewarganegaraam : WNI", "Berlaku Hinqga : SEUMUR HIDUP",
            "Status Perkawlnan : KAWIN"]
    doc_type, scores = classify(fake_page(rows))
    assert doc_type == DocType.KTP
    assert scores["ktp"] > 0.4


def test_page_without_evidence_is_unknown() -> None:
    doc_type, scores = classify(fake_page(["Daftar belanja", "beras 5 kg", "minyak goreng 2 liter"]))
    assert doc_type == DocType.UNKNOWN
    assert max(scores.values()) < 0.2


def test_mixed_evidence_with_low_margin_is_unknown() -> None:
    """GIVEN a page that names a KTP and an ijazah equally THEN no type is chosen."""
    rows = ["IJAZAH", "NIK", "PROVINSI", "NISN", "KEWARGANEGARAAN", "LULUS", "SEKOLAH", "BERLAKU HINGGA"]
    doc_type, scores = classify(fake_page(rows))
    assert abs(scores["ktp"] - scores["ijazah"]) < 0.1
    assert doc_type == DocType.UNKNOWN


def test_empty_page_is_unknown() -> None:
    assert classify(fake_page([]))[0] == DocType.UNKNOWN


def test_declaration_quoting_ktp_data_is_not_a_ktp() -> None:
    """GIVEN a signed declaration that repeats the NIK, birth data and RT/RW THEN it is not taken for a KTP."""
    rows = ["SURAT PERNYATAAN", "CALON ANGGOTA KPPS PEMILU 2024", "Yang bertanda tangan di bawah ini:",
            "Nama : SITI AMINAH", "NIK : 3575024506990001", "Tempat/Tanggal Lahir : Pasuruan, 5 Juni 1999",
            "Alamat : Jl. Melati RT/RW 003/019, Kebonagung", "dengan ini menyatakan dengan sesungguhnya bahwa saya:",
            "Demikian surat pernyataan ini saya buat.", "METERAI 10000"]
    doc_type, scores = classify(fake_page(rows))
    assert scores["ktp"] > 0  # the KTP evidence is there ...
    assert doc_type == DocType.UNKNOWN  # ... but the declaration's own evidence outweighs it


def test_fuzzy_keyword_compares_grams_of_about_its_length_only() -> None:
    """GIVEN a keyword and grams near it in spelling THEN a gram within 2 characters of its length and a ratio
    >= 0.85 counts with that ratio; a longer gram holding the keyword, or a weak look-alike, does not."""
    from rapidfuzz import fuzz

    from pipeline.classify import Grams, _present

    assert _present("KEWARGANEGARAAN", Grams({"KEWARGANEGARAAM", "NIK"})) == fuzz.ratio("KEWARGANEGARAAN",
                                                                                       "KEWARGANEGARAAM") / 100
    assert _present("KEWARGANEGARAAN", Grams({"KEWARGANEGARAANXYZ"})) == 0.0  # 3 longer: not compared
    assert _present("KEWARGANEGARAAN", Grams({"KEWARGANEGARAANXY"})) > 0.85  # 2 longer: compared
    assert _present("PROVINSI", Grams({"PRAVANSO"})) == 0.0  # ratio 0.625
    assert _present("NIK", Grams({"NIK"})) == 1.0
    assert _present("NIK", Grams({"NLK"})) == 0.0  # too short to match fuzzily
