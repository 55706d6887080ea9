from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.nik import (
    FEMALE,
    MALE,
    NIK_DATE_INVALID,
    NIK_DOB_MISMATCH,
    NIK_FORMAT,
    NIK_REGION_UNKNOWN,
    NIK_SEX_MISMATCH,
    decode_nik,
    encode_nik,
    mask_nik,
    validate_nik,
)

TODAY = date(2024, 2, 14)


class FakeRegions:
    def __init__(self, codes: set[str]) -> None:
        self.codes = codes

    def is_valid_kabkota_code(self, code: str) -> bool:
        return code in self.codes


def test_domain_example_woman_kota_pasuruan():
    info = decode_nik("3575024506990001", today=TODAY)
    assert info is not None
    assert (info.province_code, info.kabkota_code, info.kecamatan_code) == ("35", "3575", "357502")
    assert info.birth_date == date(1999, 6, 5)
    assert info.sex == FEMALE
    assert info.serial == "0001"
    assert info.is_kota


def test_man_born_2006_and_kabupaten():
    info = decode_nik("3507021402060007", today=TODAY)
    assert info is not None
    assert info.birth_date == date(2006, 2, 14)
    assert info.sex == MALE
    assert not info.is_kota


@pytest.mark.parametrize(
    "nik",
    ["", "357502450699000", "35750245069900011", "3575O24506990001", "3575 02450699001"],
)
def test_not_sixteen_digits(nik):
    assert decode_nik(nik, today=TODAY) is None
    assert validate_nik(nik, today=TODAY) == [NIK_FORMAT]


@pytest.mark.parametrize(
    "date_part",
    ["310299", "710299", "720199", "000199", "400199", "011399", "010099", "290201"],
)
def test_invalid_dates(date_part):
    """31-02, women's 31-02 (71), day 72, day 0, day 40, month 13, month 0, 29-02 in a non-leap year."""
    nik = "357502" + date_part + "0001"
    assert decode_nik(nik, today=TODAY) is None
    assert NIK_DATE_INVALID in validate_nik(nik, today=TODAY)


def test_leap_day_birthdays():
    assert decode_nik("3575022902000001", today=TODAY).birth_date == date(2000, 2, 29)
    assert decode_nik("3575026902040001", today=TODAY).birth_date == date(2004, 2, 29)


def test_century_follows_today():
    assert decode_nik("3575020101250001", today=TODAY).birth_date == date(1925, 1, 1)
    assert decode_nik("3575020101240001", today=TODAY).birth_date == date(2024, 1, 1)


@settings(deadline=None)  # no timing asserts: the machine is shared
@given(
    born=st.dates(min_value=date(1925, 1, 1), max_value=TODAY),
    sex=st.sampled_from([MALE, FEMALE]),
    serial=st.integers(1, 9999),
    kec=st.from_regex(r"\d{4}(0[1-9]|[1-9]\d)", fullmatch=True),
)
def test_round_trip(born, sex, serial, kec):
    nik = encode_nik(kec, born, sex, serial)
    info = decode_nik(nik, today=TODAY)
    assert info is not None
    assert info.birth_date == born
    assert info.sex == sex
    assert info.serial == f"{serial:04d}"
    assert info.kecamatan_code == kec
    assert validate_nik(nik, printed_dob=born, printed_sex=sex, today=TODAY) == []


@settings(deadline=None)  # no timing asserts: the machine is shared
@given(born=st.dates(min_value=date(1925, 1, 1), max_value=TODAY))
def test_women_day_plus_40(born):
    nik = encode_nik("357502", born, "PEREMPUAN", 1)
    assert int(nik[6:8]) == born.day + 40
    assert 41 <= int(nik[6:8]) <= 71


@settings(deadline=None)  # no timing asserts: the machine is shared
@given(day=st.integers(32, 40) | st.integers(72, 99), month=st.integers(1, 12), yy=st.integers(0, 99))
def test_days_outside_both_ranges_never_decode(day, month, yy):
    nik = f"357502{day:02d}{month:02d}{yy:02d}0001"
    assert decode_nik(nik, today=TODAY) is None


def test_region_unknown():
    regions = FakeRegions({"3575", "3507"})
    assert validate_nik("3575024506990001", regions=regions, today=TODAY) == []
    assert validate_nik("3599024506990001", regions=regions, today=TODAY) == [NIK_REGION_UNKNOWN]


def test_zero_kecamatan_or_serial_is_format_problem():
    assert validate_nik("3575004506990001", today=TODAY) == [NIK_FORMAT]
    assert validate_nik("3575024506990000", today=TODAY) == [NIK_FORMAT]


def test_printed_dob_and_sex_mismatch():
    nik = "3575024506990001"
    assert validate_nik(nik, printed_dob="1999-06-05", printed_sex="PEREMPUAN", today=TODAY) == []
    assert validate_nik(nik, printed_dob=date(1999, 6, 6), today=TODAY) == [NIK_DOB_MISMATCH]
    assert validate_nik(nik, printed_sex="LAKI-LAKI", today=TODAY) == [NIK_SEX_MISMATCH]
    # the century is not encoded, so only day, month and two year digits are compared
    assert validate_nik(nik, printed_dob="1899-06-05", printed_sex="P", today=TODAY) == []


def test_mask():
    assert mask_nik("3575024506990002") == "3575********0002"
    assert mask_nik("1234") == "****"
    assert mask_nik(None) == ""
