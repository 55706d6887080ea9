"""KTP rows: a label claimed twice is settled by the card's row order (pipeline/reading/ktp/fields.py)."""

from __future__ import annotations

from datetime import date

import pytest

from models.contract import DocType
from pipeline.nlp import build_nlp
from tests.unit.ocr_fakes import extract, fake_page

NIK = "3575024506990001"  # made up


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def test_a_garbled_nama_label_that_reads_like_alamat_keeps_the_name_row(nlp) -> None:
    """GIVEN "Nama" read as "lama" (closest label: Alamat) above the real Alamat row
    THEN the name goes to nama by the row order (with inferred trust) and alamat keeps the address."""
    rows = [
        [(300, "KABUPATEN TUBAN")],
        [(40, "NIK"), (240, f": {NIK}")],
        [(40, "lama"), (240, ": MUHAMMAD ARIFIN")],
        [(40, "Tempat/Tgl Lahir"), (240, ": TUBAN, 15-02-1963")],
        [(40, "Jenis Kelamin"), (240, ": LAKI-LAKI")],
        [(40, "Alamat"), (240, ": JL. SUKARNO HATTA NO. 126")],
        [(70, "RT/RW"), (240, ": 007/009")],
    ]
    fields = extract(DocType.KTP, fake_page(rows, confs={"lama": 0.9, "JL.": 0.5}), nlp)
    assert fields["nama"].value == "MUHAMMAD ARIFIN"
    assert fields["nama"].confidence <= 0.6
    assert fields["alamat"].value == "JL. SUKARNO HATTA NO. 126"
    assert fields["tanggal_lahir"].value == date(1963, 2, 15)


def test_a_label_claimed_twice_in_order_keeps_the_better_reading(nlp) -> None:
    """Two lines that both fit the order (nothing between them) are left to the confidence rule."""
    rows = [
        [(40, "NIK"), (240, f": {NIK}")],
        [(40, "Nama"), (240, ": SITI AMINAH")],
        [(40, "Nama"), (240, ": SITI AMNAH")],
        [(40, "Tempat/Tgl Lahir"), (240, ": PASURUAN, 05-06-1999")],
    ]
    fields = extract(DocType.KTP, fake_page(rows, confs={"AMNAH": 0.5}), nlp)
    assert fields["nama"].value == "SITI AMINAH"


def test_a_colon_read_as_a_digit_does_not_drag_the_value_down(nlp) -> None:
    """GIVEN labels and values read as separate columns, the colon of one row read as "2" (weak)
    THEN the value is the vocabulary word alone and keeps its own confidence."""
    rows = [
        [(40, "NIK"), (240, f": {NIK}")],
        [(40, "Nama"), (240, ": SITI AMINAH")],
        [(40, "Agama"), (240, ": ISLAM")],
        [(40, "Kewarganegaraan"), (240, "2 WNI")],
        [(40, "Berlaku Hingga"), (240, ": SEUMUR HIDUP")],
    ]
    fields = extract(DocType.KTP, fake_page(rows, confs={"2": 0.4}), nlp)
    assert fields["kewarganegaraan"].value == "WNI"
    assert fields["kewarganegaraan"].confidence > 0.8


def test_drop_colon_mark_keeps_values_away_from_the_colon_column() -> None:
    from pipeline.context import Word
    from pipeline.reading.ktp.fields import drop_colon_mark

    two = Word("2", 0.4, (236, 10, 10, 24))
    wni = Word("WNI", 0.9, (260, 10, 40, 24))
    assert drop_colon_mark([two, wni], 241.0) == [wni]
    assert drop_colon_mark([two, wni], 400.0) == [two, wni]  # not on the colon column: a real "2"
    assert drop_colon_mark([two], 241.0) == [two]
    assert drop_colon_mark([Word("BLOK", 0.9, (236, 10, 40, 24)), wni], 241.0)[0].text == "BLOK"


def test_province_name_printed_below_its_label(nlp) -> None:
    """GIVEN a card whose header prints "PROVINSI" on one line and the name on the next
    THEN provinsi is the next line, and the kabupaten line after it is still kabupaten_kota."""
    rows = [
        [(300, "PROVINSI")],
        [(300, "JAWA TIMUR")],
        [(280, "KABUPATEN MOJOKERTO")],
        [(40, "NIK"), (240, f": {NIK}")],
        [(40, "Nama"), (240, ": PRASETYO SAPUTRA")],
    ]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields["provinsi"].value == "JAWA TIMUR"
    assert fields["kabupaten_kota"].value == "KABUPATEN MOJOKERTO"
    assert fields["nama"].value == "PRASETYO SAPUTRA"


def test_a_lone_province_label_does_not_take_the_kabupaten_line(nlp) -> None:
    rows = [
        [(300, "PROVINSI")],
        [(280, "KOTA SURABAYA")],
        [(40, "NIK"), (240, f": {NIK}")],
    ]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert "provinsi" not in fields
    assert fields["kabupaten_kota"].value == "KOTA SURABAYA"


def test_rows_without_labels_keep_their_slots_past_a_garbled_nik(nlp) -> None:
    """GIVEN a faint card whose labels OCR lost and whose NIK came out with lower-case letters
    THEN the NIK row still takes its slot, so the name row below it is the name (with inferred trust)."""
    rows = [
        [(300, "PROVINSI JAWA TIMUR")],
        [(300, "KABUPATEN PROBOLINGGO")],
        [(300, ": 35143)bb2104-81282")],
        [(40, "ja"), (300, "1 SUMARNI KURNIASARI")],
        [(300, ": PROBOLINGGO, 22-10-1968")],
    ]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields["nama"].value == "SUMARNI KURNIASARI"
    assert fields["nama"].confidence <= 0.6
    assert fields["tanggal_lahir"].value == date(1968, 10, 22)


def test_a_colon_read_as_i_on_the_colon_column_is_not_part_of_the_name(nlp) -> None:
    """"Nama : AINUL MAULANA" read as "Nama I. AINUL MAULANA": the I sits where the other rows' colons do.
    A Balinese "I KETUT" starts after the colon, so it keeps its I."""
    rows = [
        [(40, "NIK"), (240, f": {NIK}")],
        [(40, "Nama"), (240, "I. AINUL MAULANA")],
        [(40, "Tempat/Tgl Lahir"), (240, ": PASURUAN, 05-06-1999")],
        [(40, "Jenis Kelamin"), (240, ": PEREMPUAN")],
    ]
    assert extract(DocType.KTP, fake_page(rows), nlp)["nama"].value == "AINUL MAULANA"
    rows[1] = [(40, "Nama"), (240, ": I KETUT SUDARSANA")]
    assert extract(DocType.KTP, fake_page(rows), nlp)["nama"].value == "I KETUT SUDARSANA"


def test_a_row_placed_by_order_whose_value_names_it_keeps_its_reading_confidence(nlp) -> None:
    """Labels lost, rows placed by order: "WNI" or "BELUM KAWIN" is its row's own vocabulary, so the slot is
    certain and only the reading's confidence counts; a name placed by order stays doubtful."""
    values = ["PROVINSI JAWA TIMUR", f": {NIK}", ": SITI AMINAH", ": PASURUAN, 05-06-1999", ": PEREMPUAN",
              ": JL. MELATI 3", ": 001/002", ": KEBONAGUNG", ": PURWOREJO", ": ISLAM", ": BELUM KAWIN",
              ": PELAJAR/MAHASISWA", ": WNI", ": SEUMUR HIDUP"]
    fields = extract(DocType.KTP, fake_page([[(240, v)] for v in values], conf=0.9), nlp)
    assert fields["kewarganegaraan"].value == "WNI" and fields["kewarganegaraan"].confidence >= 0.8
    assert fields["status_perkawinan"].value == "BELUM KAWIN" and fields["status_perkawinan"].confidence >= 0.8
    assert fields["nama"].value == "SITI AMINAH" and fields["nama"].confidence <= 0.6
