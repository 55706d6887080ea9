"""Health letters in running text and ijazah rows in two columns, on canned OCR pages (no tesseract)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.nlp import Nlp, build_nlp
from pipeline.reading.ijazah.fields import extract_ijazah
from pipeline.reading.surat_sehat.fields import extract_surat_sehat
from tests.unit.ocr_fakes import fake_page, policy


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return build_nlp()


SENTENCE_LETTER = [
    "PUSKESMAS SUKOREJO",
    "SURAT KETERANGAN SEHAT",
    "Nomor : 440/123/XI/2023",
    "Yang bertanda tangan di bawah ini, dr. Rina Wati, dokter pada Puskesmas Sukorejo, menerangkan",
    "bahwa Sdri. SITI AMINAH, lahir di Pasuruan pada tanggal",
    "12 Maret 1990, alamat Jl. Melati 3, pada tanggal 4 November 2023 telah kami periksa.",
    "Dari hasil pemeriksaan didapatkan tekanan darah 120/80 mmHg, nadi 80 x/menit, gula darah",
    "sewaktu 98 mg/dL dan kolesterol 174 mg/dL. Yang bersangkutan dinyatakan SEHAT.",
    [(700, "Pasuruan, 4 November 2023")],
    [(700, "Dokter yang memeriksa,")],
]


def test_vitals_and_name_in_running_text(nlp: Nlp) -> None:
    f = extract_surat_sehat(fake_page(SENTENCE_LETTER), nlp)
    assert f["tekanan_darah"].value == "120/80"
    assert f["gula_darah"].value.startswith("98")
    assert f["kolesterol"].value.startswith("174")
    assert f["nama"].value == "SITI AMINAH"
    assert f["kesimpulan"].value == "SEHAT"


def test_birth_date_in_a_sentence_is_never_the_letter_date(nlp: Nlp) -> None:
    """GIVEN the signature's date lost (stamp) WHEN the only other dated phrases are the birth and the
    examination THEN the letter date is the examination's, never the birth date."""
    rows = [r for r in SENTENCE_LETTER if not (isinstance(r, list) and "2023" in r[0][1])]
    f = extract_surat_sehat(fake_page(rows), nlp)
    assert f.get("tanggal_surat") is None or f["tanggal_surat"].value != date(1990, 3, 12)


def test_letter_date_by_the_signature(nlp: Nlp) -> None:
    f = extract_surat_sehat(fake_page(SENTENCE_LETTER), nlp)
    assert f["tanggal_surat"].value == date(2023, 11, 4)


TWO_COLUMN_COLONS = [
    "IJAZAH",
    "SEKOLAH MENENGAH ATAS",
    "Satuan Pendidikan SMA NEGERI 2 KEDIRI menerangkan bahwa:",
    [(40, "Nama : BUDI SANTOSO"), (640, "NIS : 14129")],
    [(40, "Tempat Lahir : Kediri"), (640, "NISN : 0051234567")],
    [(40, "Tanggal Lahir : 5 Agustus 1988"), (640, "Tahun Lulus : 2006")],
]

TWO_COLUMN_ABOVE = [
    "IJAZAH",
    "SEKOLAH MENENGAH ATAS",
    "Satuan Pendidikan SMA NEGERI 2 KEDIRI menerangkan bahwa:",
    [(40, "Nama"), (640, "NIS")],
    [(40, "BUDI SANTOSO"), (640, "14129")],
    [(40, "Tempat Lahir"), (640, "NISN")],
    [(40, "Kediri"), (640, "0051234567")],
    [(40, "Tanggal Lahir"), (640, "Tahun Lulus")],
    [(40, "5 Agustus 1988"), (640, "2006")],
]


@pytest.mark.parametrize("rows", [TWO_COLUMN_COLONS, TWO_COLUMN_ABOVE], ids=["colons", "labels_above"])
def test_two_column_ijazah(rows: list, nlp: Nlp) -> None:
    f = extract_ijazah(fake_page(rows), nlp, policy())
    assert f["nama"].value == "BUDI SANTOSO"
    assert f["tempat_lahir"].value == "KEDIRI"
    assert f["tanggal_lahir"].value == date(1988, 8, 5)
    assert f["nisn"].value == "0051234567"
    assert f["nama_sekolah"].value == "SMA NEGERI 2 KEDIRI"


def test_a_label_whose_handwritten_value_was_missed_does_not_swallow_the_next_row(nlp: Nlp) -> None:
    """GIVEN "Nama" with its handwritten value not read, and under it the birth place row with its label garbled
    ("tempat lafuir Sampang", which matches its label less closely than a label inside a row must)
    THEN the row below stays a row of its own: the place is read and the name is not taken from it."""
    rows = ["IJAZAH", "SEKOLAH MENENGAH KEJURUAN", "Nama", "tempat lafuir Sampang", "tanggal lahir 24-01-1981"]
    f = extract_ijazah(fake_page(rows), nlp, policy())
    assert f["tempat_lahir"].value == "SAMPANG"
    assert "nama" not in f or f["nama"].value is None


def test_a_label_is_never_a_name(nlp: Nlp) -> None:
    """The neighbour column's label where the value should be ("Nama NIS", values lost): no name."""
    f = extract_ijazah(fake_page(["IJAZAH", [(40, "Nama"), (640, "NIS")]]), nlp, policy())
    assert "nama" not in f or f["nama"].value != "NIS"


def test_name_in_a_sentence_keeps_its_degree(nlp: Nlp) -> None:
    rows = [r.replace("SITI AMINAH,", "SITI AMINAH, S.Pd.,") if isinstance(r, str) else r for r in SENTENCE_LETTER]
    f = extract_surat_sehat(fake_page(rows), nlp)
    assert f["nama"].value == "SITI AMINAH, S.PD."


def test_a_garbled_cue_right_after_bahwa_still_introduces_a_one_word_name(nlp: Nlp) -> None:
    """"Sdr." read as "Sir." right after "bahwa", and a holder with a single name (common in Indonesia)."""
    rows = [r.replace("Sdri. SITI AMINAH,", "Sir. TRI,") if isinstance(r, str) else r for r in SENTENCE_LETTER]
    assert extract_surat_sehat(fake_page(rows), nlp)["nama"].value == "TRI"


def test_a_doctor_title_elsewhere_is_no_name_cue(nlp: Nlp) -> None:
    """The doctor's "dr." looks like "Sdr." but is only a cue right after "bahwa"."""
    rows = [r.replace("bahwa Sdri. SITI AMINAH,", "bahwa yang bersangkutan,") if isinstance(r, str) else r
            for r in SENTENCE_LETTER]
    assert "nama" not in extract_surat_sehat(fake_page(rows), nlp)


def test_school_named_before_the_statement(nlp: Nlp) -> None:
    rows = ["SURAT TANDA TAMAT BELAJAR", "SEKOLAH MENENGAH KEJURUAN",
            "Kepala Smk Negeri 3 Sumenep menerangkan bahwa:", "nama : AINUL MAULANA"]
    f = extract_ijazah(fake_page(rows), nlp, policy())
    assert f["nama_sekolah"].value == "SMK NEGERI 3 SUMENEP"
    assert f["nama"].value == "AINUL MAULANA"
