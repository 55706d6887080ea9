"""Readers on degraded pages: failures seen on photos, low-DPI scans and text layers, each rebuilt as a small
canned OCR page (no tesseract)."""

from __future__ import annotations

from datetime import date

import pytest

from models.contract import DocType
from pipeline.context import Word
from pipeline.nlp import build_nlp
from pipeline.reading.common.lines import join_spaced, strip_value
from tests.unit.ocr_fakes import extract, fake_page

SEHAT_HEAD: list = [
    "PEMERINTAH KABUPATEN MALANG",
    "PUSKESMAS MAGUAN",
    "SURAT KETERANGAN SEHAT",
    [(300, "Nomor : 440/742/35.07.20/2023")],
    "menerangkan dengan sebenarnya bahwa:",
    [(60, "Nama"), (300, ": ZAHRA MUFIDAH")],
]
IJAZAH_HEAD: list = [
    "IJAZAH",
    "SEKOLAH MENENGAH ATAS",
    "TAHUN PELAJARAN 2006/2007",
    "menerangkan bahwa:",
    [(40, "nama"), (400, ": TEGUH")],
]


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def _w(text: str, x: int) -> Word:
    return Word(text=text, conf=0.9, box=(x, 10, 10, 20))


def test_join_spaced_splits_digits_from_letters() -> None:
    words = [_w(t, 20 * i) for i, t in enumerate("1 2 0 / 8 0 m m H g".split())]
    assert [w.text for w in join_spaced(words)] == ["120/80", "mmHg"]
    assert [w.text for w in join_spaced([_w("A", 0), _w("JALAN", 20)])] == ["A", "JALAN"]


def test_strip_value_drops_dot_leaders_and_joins_spaced_letters() -> None:
    words = [_w(t, 20 * i) for i, t in enumerate(". 1 ... 4 ... 9 ... .. c ... m .....".split())]
    assert [w.text for w in strip_value(words)] == ["149", "cm"]
    plain = [_w("JL.", 0), _w("MAWAR", 40)]
    assert [w.text for w in strip_value(plain)] == ["JL.", "MAWAR"]  # no leaders: nothing joined


def test_sehat_text_layer_with_dot_leaders(nlp) -> None:
    """GIVEN a PDF text layer that spells values letter by letter between dot leaders
    THEN blood pressure and lab values are still read."""
    rows = [*SEHAT_HEAD,
            [(60, "Tekanan Darah"), (300, ": . 1 ... 2 ... 0 .... / . 7 ... 0 ... .. m .... m ..... H .... g .....")],
            [(60, "GDA"), (300, ": .. 1 ... 1 .... 9 ... . m ..... g ... / . d ... L ......")],
            [(60, "Kolesterol Total"), (300, ": .... 1 ... 5 ... 9 .... . m .... g .... / . d ... L ....")],
            [(700, "Ngajum, 11 OKTOBER 2023")]]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["tekanan_darah"].value == "120/70"
    assert fields["gula_darah"].value.startswith("119")
    assert fields["kolesterol"].value.startswith("159")


def test_sehat_vitals_in_a_numbered_table(nlp) -> None:
    """GIVEN vitals in a table: a row number before the label, a rule (|) or a colon read as 1 after it
    THEN each value is read from its row."""
    rows = [*SEHAT_HEAD,
            "No. Pemeriksaan | Hasil",
            "3. Tekanan Darah | 100/70 mmHg",
            "5. GDA 1 116 mg/dL",
            "6. Kolesterol Total | 142 mg/dL",
            [(700, "Pudak, 30-09-2023")]]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["tekanan_darah"].value == "100/70"
    assert fields["gula_darah"].value.startswith("116")
    assert fields["kolesterol"].value.startswith("142")
    assert "nomor_surat" in fields and fields["nomor_surat"].value == "440/742/35.07.20/2023"


def test_sehat_blood_pressure_glued_to_its_unit(nlp) -> None:
    rows = [*SEHAT_HEAD, [(60, "Tekanan Darah"), (300, ": 120/70mmHg")]]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["tekanan_darah"].value == "120/70"


def test_sehat_letter_date_is_not_an_unlabelled_birth_date(nlp) -> None:
    """GIVEN a scrambled page where the birth row lost its label and comes after the signature line
    THEN the letter date is the later one."""
    rows = [*SEHAT_HEAD[:5],
            "NIP. 218875465 Supiyati dr. Kediri, 15/10/2023",
            "Probolinggo, 23-01-1984 :"]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["tanggal_surat"].value == date(2023, 10, 15)


def test_sehat_garbled_birth_label_never_gives_the_letter_date(nlp) -> None:
    """GIVEN a photo where the signature line was cut off and the birth label is garbled ("TempatiTgl. Latu")
    THEN no letter date rather than the birth date."""
    rows = [*SEHAT_HEAD, "TempatiTgl. Latu - Malang, 13/11/2001 |", "Kesimpulan SEHAT"]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert "tanggal_surat" not in fields


def test_ijazah_serial_with_letters_for_digits(nlp) -> None:
    """GIVEN serials read with O/S for 0/5 THEN they are repaired, and trusted less than clean ones."""
    clean = extract(DocType.IJAZAH, fake_page([*IJAZAH_HEAD, "DN-05 MK/10 1162987"]), nlp)["nomor_ijazah"]
    slip = extract(DocType.IJAZAH, fake_page([*IJAZAH_HEAD, "DN-OS MK/10 1162987"]), nlp)["nomor_ijazah"]
    assert clean.value == slip.value == "DN-05 MK/10 1162987"
    assert slip.confidence < clean.confidence
    rows = [*IJAZAH_HEAD, "MA.18/29.06/PP.O1.1/151/2002"]
    assert extract(DocType.IJAZAH, fake_page(rows), nlp)["nomor_ijazah"].value == "MA.18/29.06/PP.01.1/151/2002"
    labelled = [*IJAZAH_HEAD, [(40, "Nomor Ijazah"), (400, ": DN-0S Dd/14 7780693")]]
    assert extract(DocType.IJAZAH, fake_page(labelled), nlp)["nomor_ijazah"].value == "DN-05 DD/14 7780693"


def test_ijazah_school_read_twice(nlp) -> None:
    """GIVEN the school in the row and in the graduation sentence THEN agreement restores a lost space;
    disagreement keeps a value but with a confidence below review."""
    agree = [*IJAZAH_HEAD, [(40, "Nama Sekolah"), (400, ": MA NEGERI 3NGAWI")],
             "MA NEGERI 3 NGAWI Tahun Pelajaran 2006/2007."]
    fv = extract(DocType.IJAZAH, fake_page(agree), nlp)["nama_sekolah"]
    assert fv.value == "MA NEGERI 3 NGAWI" and fv.confidence > 0.8
    differ = [*IJAZAH_HEAD, [(40, "Nama Sekolah"), (400, ": MA NEGERI 2 IOMBANG")],
              "MA NEGERI 2 JOMBANG Tahun Pelajaran 2001/2002."]
    assert extract(DocType.IJAZAH, fake_page(differ), nlp)["nama_sekolah"].confidence <= 0.5


def test_ijazah_primary_school_named_in_the_sentence(nlp) -> None:
    rows = ["IJAZAH", "SEKOLAH DASAR", "menerangkan bahwa:", "ZAHRA MUFIDAH",
            "SD MUHAMMADIYAH SURABAYA Tahun Pelajaran 2013/2014."]
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    assert fields["nama_sekolah"].value == "SD MUHAMMADIYAH SURABAYA"
    assert fields["jenjang"].value == "SD"


def test_ijazah_birth_row_with_a_colon_inside_the_date(nlp) -> None:
    """GIVEN "lahir “Madiun, 11:-Agustus 1988" (no colon after the label, one inside the date)
    THEN the place is MADIUN, not the tail of the date."""
    rows = [*IJAZAH_HEAD, "tempat dan tanggal lahir “Madiun, 11:-Agustus 1988: 406"]
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    assert fields["tempat_lahir"].value == "MADIUN"
    assert fields["tanggal_lahir"].value == date(1988, 8, 11)


def test_ijazah_place_without_a_colon_read_as_1(nlp) -> None:
    rows = [*IJAZAH_HEAD[:4], "nama TEGUH", "tempat dan tanggal lahir 1 Pacitan, 5 Juni 1999"]
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    assert fields["tempat_lahir"].value == "PACITAN"
    assert fields["tanggal_lahir"].value == date(1999, 6, 5)


def test_ijazah_paket_c_by_its_equivalence(nlp) -> None:
    rows = ["IJAZAH", "PROGRAM PAKFT C SETARA SMA/MA", *IJAZAH_HEAD[2:]]
    assert extract(DocType.IJAZAH, fake_page(rows), nlp)["jenjang"].value == "PAKET_C"


KTP_LOW_DPI: list = [
    [(300, "PROVINSI JAWA TIMUR")],
    [(300, "KOTA MALANG")],
    [(40, "NIK"), (240, ": 3573014607022556")],
    [(40, "Nama"), (240, ": MUSRIFAH NISA")],
    [(40, "Tempat/Tgl Lahir"), (240, ": MALANG, 06-07-2002")],
    [(40, "Jenis Kelamin"), (240, ": PEREMPUAN"), (560, "Gol. Darah : A")],
    [(40, "Alamat"), (240, ": DSN. KARANGANYAR")],
    [(70, "RT/RW"), (240, "1013/008")],
    [(70, "Kel/Desa"), (240, ": PURWANTORO")],
    [(70, "Kecamatan"), (240, ": BLIMBING")],
    [(40, "Agama"), (240, ": ISLAM")],
    [(40, "Status Perkawinan"), (240, ": BELUM KAWIN")],
    [(840, "26-05-2022")],  # the issue date beside the photo, between two rows
    [(240, "WIRASWASTA")],  # the Pekerjaan label lost
    [(40, "Kewarganegaraan"), (240, ": WNI")],
]


def test_ktp_colon_read_as_1_glued_to_rt_rw(nlp) -> None:
    fv = extract(DocType.KTP, fake_page(KTP_LOW_DPI), nlp)["rt_rw"]
    assert fv.value == "013/008"
    assert fv.confidence < 0.95 * 0.95  # repaired: below a clean reading


def test_ktp_issue_date_column_is_not_a_row(nlp) -> None:
    """GIVEN the issue date on its own line between rows, and the next row's label lost
    THEN the unlabelled value still lands in Pekerjaan (its slot is not taken by the date)."""
    fields = extract(DocType.KTP, fake_page(KTP_LOW_DPI), nlp)
    assert fields["pekerjaan"].value == "WIRASWASTA"
    assert fields["pekerjaan"].confidence <= 0.6
    assert fields["kewarganegaraan"].value == "WNI"
