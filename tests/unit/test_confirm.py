"""Confirmation across documents (pipeline/reading/confirm.py): a field the handwriting rule left empty takes
one of its candidate readings only when another page reads the same field surely and letter for letter alike."""

from __future__ import annotations

from datetime import date

from pipeline.context import DocType, DocumentReading, FieldValue
from pipeline.reading.confirm import Confirmation, confirm_across
from pipeline.reading.handwriting import unread
from tests.unit.ocr_fakes import policy

BOX = (110, 56, 240, 52)


def page(doc_type: DocType, file: str, **fields: FieldValue) -> DocumentReading:
    return DocumentReading(file=file, page=1, sha256="0" * 64, type=doc_type, fields=dict(fields))


def left_empty(*readings: tuple[object, float]) -> FieldValue:
    """What the handwriting rule leaves: no value, the box, and the readings there were."""
    first = FieldValue(readings[0][0], readings[0][1], BOX)
    return unread(first, tuple(FieldValue(v, c, BOX) for v, c in readings))


def test_a_candidate_another_document_reads_surely_alike_is_taken() -> None:
    """GIVEN an ijazah name left empty (tesseract "5ITI AMLNAH", the neural engine "Siti Aminah") and a KTP that
    reads SITI AMINAH surely THEN the ijazah takes the neural candidate, confidently, on its own box."""
    ijazah = page(DocType.IJAZAH, "ijazah.jpg", nama=left_empty(("5ITI AMLNAH", 0.3), ("Siti Aminah", 0.45)))
    ktp = page(DocType.KTP, "ktp.jpg", nama=FieldValue("SITI AMINAH", 0.9))

    assert confirm_across([ijazah, ktp], policy()) == [Confirmation("ijazah.jpg", 1, "nama", "ktp.jpg", 1)]
    nama = ijazah.fields["nama"]
    assert nama.value == "SITI AMINAH" and nama.box == BOX and not policy().needs_review(nama)  # as the KTP spells it
    assert nama.confidence >= 0.9 and not nama.candidates


def test_the_same_letters_take_the_sure_pages_spelling() -> None:
    """A candidate with a stray mark or a lost space ("YOHANE'S", "SETYOWATIKURNIASARI") and the same letters as
    the KTP's sure reading is written as the KTP reads it."""
    sehat = page(DocType.SURAT_SEHAT, "sehat.jpg", nama=left_empty(("AGUSTINUS YOHANE'S SANTOSO", 0.5)))
    ktp = page(DocType.KTP, "ktp.jpg", nama=FieldValue("AGUSTINUS YOHANES SANTOSO", 0.9))
    assert len(confirm_across([sehat, ktp], policy())) == 1
    assert sehat.fields["nama"].value == "AGUSTINUS YOHANES SANTOSO"


def test_a_date_is_confirmed_as_a_date() -> None:
    ijazah = page(DocType.IJAZAH, "ijazah.jpg", tanggal_lahir=left_empty((date(1999, 6, 5), 0.5)))
    sehat = page(DocType.SURAT_SEHAT, "sehat.jpg", tanggal_lahir=FieldValue(date(1999, 6, 5), 0.8))
    assert len(confirm_across([sehat, ijazah], policy())) == 1
    assert ijazah.fields["tanggal_lahir"].value == date(1999, 6, 5)


def test_nothing_is_taken_without_an_exact_sure_reading_elsewhere() -> None:
    """A value that only resembles the other page's, another page that is itself unsure, a candidate too short to
    say anything, or no other page: the field stays empty for a person."""
    cases = [
        (left_empty(("SITI AMINA", 0.7)), FieldValue("SITI AMINAH", 0.95)),  # one letter off
        (left_empty(("SITI AMINAH", 0.7)), FieldValue("SITI AMINAH", 0.4)),  # the KTP is not sure either
        (left_empty(("AB", 0.7)), FieldValue("AB", 0.95)),  # too short
        (left_empty(("SITI AMINAH", 0.7)), None),  # no KTP name read
    ]
    for empty, on_ktp in cases:
        ijazah = page(DocType.IJAZAH, "ijazah.jpg", nama=empty)
        ktp = page(DocType.KTP, "ktp.jpg", **({"nama": on_ktp} if on_ktp else {}))
        assert confirm_across([ijazah, ktp], policy()) == []
        assert ijazah.fields["nama"].value is None and ijazah.fields["nama"].candidates


def test_a_name_is_confirmed_whatever_its_titles_but_never_with_a_digit_in_it() -> None:
    """The health letter writes "HJ. YULI NINGRUM, S.H." where the KTP has YULI NINGRUM: the candidate, titles and
    all, is taken. "YUL1 NINGRUM" would pass the name comparison (it forgives OCR digits) but is no reading of a
    name: not taken."""
    sehat = page(DocType.SURAT_SEHAT, "sehat.jpg", nama=left_empty(("HJ. YULI NINGRUM, S.H.", 0.41)))
    ktp = page(DocType.KTP, "ktp.jpg", nama=FieldValue("YULI NINGRUM", 0.9))
    assert len(confirm_across([sehat, ktp], policy())) == 1
    assert sehat.fields["nama"].value == "HJ. YULI NINGRUM, S.H."

    sehat = page(DocType.SURAT_SEHAT, "sehat.jpg", nama=left_empty(("YUL1 NINGRUM", 0.6)))
    assert confirm_across([sehat, ktp], policy()) == []


def test_only_the_same_field_confirms() -> None:
    """The KTP's place of birth does not confirm the ijazah's name, however alike."""
    ijazah = page(DocType.IJAZAH, "ijazah.jpg", nama=left_empty(("BLITAR", 0.7)))
    ktp = page(DocType.KTP, "ktp.jpg", tempat_lahir=FieldValue("BLITAR", 0.95))
    assert confirm_across([ijazah, ktp], policy()) == []


def test_two_unsure_pages_do_not_confirm_each_other() -> None:
    """Two pages left empty with the same candidate: neither was read surely, so neither is settled."""
    ijazah = page(DocType.IJAZAH, "ijazah.jpg", nama=left_empty(("SITI AMINAH", 0.7)))
    sehat = page(DocType.SURAT_SEHAT, "sehat.jpg", nama=left_empty(("SITI AMINAH", 0.7)))
    assert confirm_across([ijazah, sehat], policy()) == []


def test_unread_keeps_each_distinct_reading_once() -> None:
    fv = FieldValue("SIFI AMINAH", 0.7, BOX, raw="SIFI AMINAH")
    out = unread(fv, (fv, FieldValue("Sifi  Aminah", 0.5), None, FieldValue(None, 0.0), FieldValue("SITI", 0.4)))
    assert out.value is None and out.confidence == 0.0 and out.box == BOX and out.raw is None
    assert [(c.value, c.confidence, c.box) for c in out.candidates] == [("SIFI AMINAH", 0.7, BOX), ("SITI", 0.4, BOX)]
