"""Dates, digit repair, vocabularies and names as pipeline/normalise.py reads them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalise import (
    DIGIT_LOOKALIKES,
    clean_name,
    clean_text,
    digits_only,
    find_dates,
    fold,
    month_number,
    parse_date,
    repair_digits,
    snap,
)

MONTHS_ID = ["JANUARI", "FEBRUARI", "MARET", "APRIL", "MEI", "JUNI", "JULI", "AGUSTUS", "SEPTEMBER",
             "OKTOBER", "NOVEMBER", "DESEMBER"]
ABBR_ID = ["JAN", "FEB", "MAR", "APR", "MEI", "JUN", "JUL", "AGT", "SEP", "OKT", "NOP", "DES"]

dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2039, 12, 31))


def _formats(d: date) -> list[str]:
    m = MONTHS_ID[d.month - 1]
    return [
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}-{d.month}-{d.year % 100:02d}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day} {m.title()} {d.year}",
        f"{d.day:02d} {m} {d.year}",
        f"{d.day} {ABBR_ID[d.month - 1].title()} {d.year}",
        f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"KOTA PASURUAN, {d.day} {m.lower()} {d.year}",
    ]


@given(dates)
def test_every_common_form_parses_back(d: date) -> None:
    for text in _formats(d):
        assert parse_date(text) == d, text


@given(dates, st.data())
def test_ocr_noise_in_date_digits_is_repaired(d: date, data: st.DataObject) -> None:
    """GIVEN a printed date WHEN OCR swaps digits for look-alike letters THEN the date still parses."""
    text = f"{d.day:02d}-{d.month:02d}-{d.year}"
    reverse = {"0": "O", "1": "l", "5": "S", "8": "B"}
    noisy = "".join(reverse[ch] if ch in reverse and data.draw(st.booleans()) else ch for ch in text)
    # keep at least one real digit in each part, as a date never prints as letters only
    parts = noisy.split("-")
    if all(any(ch.isdigit() for ch in p) for p in parts):
        assert parse_date(noisy) == d


@pytest.mark.parametrize(("text", "expected"), [
    ("5 Juni 1999", date(1999, 6, 5)),
    ("05 JUNI 1999", date(1999, 6, 5)),
    ("17 Agustus 2001", date(2001, 8, 17)),
    ("1 Agt 2000", date(2000, 8, 1)),
    ("30 Nopember 1988", date(1988, 11, 30)),
    ("12 Pebruari 1990", date(1990, 2, 12)),
    ("5-6-99", date(1999, 6, 5)),
    ("12-12-23", date(2023, 12, 12)),
    ("O5 JUNl 1999", date(1999, 6, 5)),
    ("MALANG,19-08-2002", date(2002, 8, 19)),
    ("5Juni1999", date(1999, 6, 5)),
    ("12 DESEMBRE 2023", date(2023, 12, 12)),
])
def test_known_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["SEUMUR HIDUP", "31-02-2000", "", None, "RT 003 RW 019", "99-99-9999"])
def test_non_dates_are_none(text: str | None) -> None:
    assert parse_date(text) is None


def test_find_dates_reports_span_of_each_date() -> None:
    text = "lahir 05-06-1999, surat 12 Desember 2023"
    found = find_dates(text)
    assert [f.value for f in found] == [date(1999, 6, 5), date(2023, 12, 12)]
    assert text[found[1].start:found[1].end] == "12 Desember 2023"


def test_month_names_need_letters() -> None:
    assert month_number("Agustus") == (8, 1.0)
    assert month_number("PASURUAN") is None
    assert month_number("12") is None


@given(st.text(alphabet="0123456789", min_size=1, max_size=20), st.data())
def test_digit_repair_undoes_lookalikes(digits: str, data: st.DataObject) -> None:
    """GIVEN digits WHEN OCR swaps some for look-alike characters THEN repair returns the digits."""
    lookalikes: dict[str, list[str]] = {}
    for ch, d in DIGIT_LOOKALIKES.items():
        lookalikes.setdefault(d, []).append(ch)
    noisy = "".join(
        data.draw(st.sampled_from(lookalikes[d])) if d in lookalikes and data.draw(st.booleans()) else d
        for d in digits
    )
    assert repair_digits(noisy) == digits
    assert digits_only(noisy.replace("", " ")) == digits


@pytest.mark.parametrize(("text", "vocab", "expected"), [
    ("KATHOLIK", "agama", "KATOLIK"),
    ("BUDHA", "agama", "BUDDHA"),
    ("lSLAM", "agama", "ISLAM"),
    ("KRISTEM", "agama", "KRISTEN"),
    ("KEPERCAYAAN TERHADAP TUHAN YME", "agama", "KEPERCAYAAN TERHADAP TUHAN YME"),
    ("BELUM KAWlN", "status_perkawinan", "BELUM KAWIN"),
    ("CERAI MATl", "status_perkawinan", "CERAI MATI"),
    ("LAKI LAKI", "jenis_kelamin", "LAKI-LAKI"),
    ("PEREMPUAM", "jenis_kelamin", "PEREMPUAN"),
    ("0", "golongan_darah", "O"),
    ("-", "golongan_darah", "-"),
    ("AB", "golongan_darah", "AB"),
    ("WNl", "kewarganegaraan", "WNI"),
    ("PAKET C", "jenjang", "PAKET_C"),
    ("TIDAK SEHAT", "kesimpulan", "TIDAK SEHAT"),
])
def test_vocabulary_snaps(text: str, vocab: str, expected: str) -> None:
    value, score = snap(text, vocab)
    assert value == expected
    assert 0.7 <= score <= 1.0


def test_snap_scores_exact_above_fuzzy_and_rejects_garbage() -> None:
    assert snap("ISLAM", "agama")[1] > snap("lSLAN", "agama")[1]
    value, score = snap("XQZW", "agama")
    assert value is None and score < 0.7
    assert snap("Q", "golongan_darah") == (None, 0.0)


def test_names_are_upper_cased_and_keep_titles() -> None:
    assert clean_name(" : dr. Siti Aminah, S.Pd ") == "DR. SITI AMINAH, S.PD"
    assert clean_name("MUHAMMAD ALl") == "MUHAMMAD ALI"
    assert clean_name("FATIMATUZ KHOTIMAH 2") == "FATIMATUZ KHOTIMAH"
    assert clean_name("NATALIA RAHMAWATI.") == "NATALIA RAHMAWATI"  # a speck after a whole word
    assert clean_name("AINUN. FITRIYAH. HASANAH") == "AINUN FITRIYAH HASANAH"
    assert clean_name("MOH. SAHRI, S.H.") == "MOH. SAHRI, S.H."  # abbreviations keep their dots
    assert clean_text("(JL. SUDIRMAN NO. 91") == "JL. SUDIRMAN NO. 91"


def test_a_bracket_inside_a_date_lowers_its_trust() -> None:
    """"01/1)/2023" is 01/10/2023 with a digit misread (under a stamp): a date, but not one to trust;
    brackets around a date are punctuation and change nothing."""
    (inside,) = find_dates("Papar, 01/1)/2023")
    (around,) = find_dates("(05-06-1999)")
    assert inside.score <= 0.5
    assert around.score == 1.0 and around.value == date(1999, 6, 5)


def test_a_single_letter_is_no_name() -> None:
    """A table rule read as "L" or "I" is not a name; a one-word name of three letters is."""
    from pipeline.normalise import looks_like_name

    assert not looks_like_name("L") and not looks_like_name("I.")
    assert looks_like_name("TRI")


def test_a_number_beside_a_name_is_dropped_but_a_misread_letter_is_kept() -> None:
    from pipeline.normalise import clean_name

    assert clean_name("DEWI KURNIASARI 5O83O") == "DEWI KURNIASARI"
    assert clean_name("SANT0SO") == "SANTOSO"  # one digit among capitals: a misread O


def test_a_day_split_by_a_space_is_not_read_as_a_short_year() -> None:
    """"1 4-10-2023" (14-10-2023 with a space in the day, under a stamp) is not 01-04-2010: the date that ends
    in the four-digit year is taken, with trust below the review threshold since its day may be 14."""
    (found,) = find_dates("Padangan, 1 4-10-2023")
    assert found.value == date(2023, 10, 4) and found.score <= 0.5
    (clean,) = find_dates("Padangan, 14-10-2023")
    assert clean.value == date(2023, 10, 14) and clean.score == 1.0
    (short,) = find_dates("lahir 5-6-99")
    assert short.value == date(1999, 6, 5) and short.score == 1.0


def test_a_garbled_colon_before_a_name_is_dropped() -> None:
    """"2.0.1 MOH. SAHRI": the row's colon read as digits and dots would pass for "2.O.I" once capital-fixed."""
    from pipeline.normalise import clean_name

    assert clean_name("2.0.1 MOH. SAHRI") == "MOH. SAHRI"
    assert clean_name("M. 0N0 SUPRIADI") == "M. ONO SUPRIADI"  # a misread letter inside the name stays


def test_dates_with_runaway_digit_runs_are_no_dates():
    # a smudge read as a long digit run must not crash the reader (it once raised OverflowError)
    from pipeline.normalise import find_dates

    found = find_dates("lahir 2001-99999999999999999999-05, 99999999999999999999-06-1999 dan 05-06-1999")
    assert [d.value.isoformat() for d in found] == ["1999-06-05"]


def test_fold_drops_accents_ocr_puts_on_plain_letters() -> None:
    """The documents print plain Latin capitals: an accent is a misread ("TÜBAN", "BARÓN"), so folded values
    compare and read as the plain letters; apostrophes and other marks stay."""
    assert fold("tüban  baròn") == "TUBAN BARON"
    assert fold("MA'RUF") == "MA'RUF"
    assert clean_text(": KEBONAGÚNG") == "KEBONAGUNG"
