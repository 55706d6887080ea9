"""The NIK (Nomor Induk Kependudukan): decode, validate, mask.

Layout, 16 digits: ``PP KK CC DDMMYY SSSS`` = province, kabupaten/kota, kecamatan, birth date (40 added to the
day for women), serial from 0001. The region digits say where the NIK was first issued; they never decide
domicile. A NIK holds only two year digits: the century is the latest one that does not put the birth date
after ``today``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

NIK_RE = re.compile(r"^\d{16}$")
MALE = "LAKI-LAKI"
FEMALE = "PEREMPUAN"

# Problem codes returned by validate_nik (the checks map them to NIK_INVALID / NIK_INCONSISTENT).
NIK_FORMAT = "NIK_FORMAT"
NIK_REGION_UNKNOWN = "NIK_REGION_UNKNOWN"
NIK_DATE_INVALID = "NIK_DATE_INVALID"
NIK_DOB_MISMATCH = "NIK_DOB_MISMATCH"
NIK_SEX_MISMATCH = "NIK_SEX_MISMATCH"


class RegionCodes(Protocol):
    """What validate_nik needs from a region table (pipeline.regions.Regions fits)."""

    def is_valid_kabkota_code(self, code: str) -> bool: ...


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str  # "35"
    kabkota_code: str  # "3575"
    kecamatan_code: str  # "357502"
    birth_date: date
    sex: str  # MALE or FEMALE
    serial: str  # "0001"

    @property
    def is_kota(self) -> bool:
        return int(self.kabkota_code[2:]) >= 71


def _century_date(day: int, month: int, yy: int, today: date) -> date | None:
    """The birth date for two year digits: 20yy unless that lies after `today`, else 19yy."""
    for year in (2000 + yy, 1900 + yy):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d <= today:
            return d
    return None


def decode_nik(nik: str, *, today: date | None = None) -> NikInfo | None:
    """Decode a NIK; None when it is not 16 digits or its date part is not a real date."""
    nik = (nik or "").strip()
    if not NIK_RE.match(nik):
        return None
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = MALE
    if dd > 40:
        dd -= 40
        sex = FEMALE
    if not 1 <= dd <= 31:
        return None
    born = _century_date(dd, mm, yy, today or date.today())
    if born is None:
        return None
    return NikInfo(
        nik=nik,
        province_code=nik[:2],
        kabkota_code=nik[:4],
        kecamatan_code=nik[:6],
        birth_date=born,
        sex=sex,
        serial=nik[12:],
    )


def encode_nik(kecamatan_code: str, birth_date: date, sex: str, serial: int) -> str:
    """Build a NIK from its parts (kecamatan_code as "357502" or "35.75.02"). Used for synthetic samples."""
    kec = kecamatan_code.replace(".", "")
    if not re.fullmatch(r"\d{6}", kec):
        raise ValueError("kecamatan_code must have 6 digits")
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be 1..9999")
    day = birth_date.day + (40 if normalise_sex(sex) == FEMALE else 0)
    return f"{kec}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def normalise_sex(value: str | None) -> str | None:
    """LAKI-LAKI / PEREMPUAN from the spellings found on documents; None when unknown."""
    if not value:
        return None
    v = re.sub(r"[^A-Z]", "", value.upper())
    if v in {"L", "LAKILAKI", "LAKI", "PRIA", "LK"}:
        return MALE
    if v in {"P", "PEREMPUAN", "WANITA", "PR"}:
        return FEMALE
    return None


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def validate_nik(
    nik: str,
    *,
    regions: RegionCodes | None = None,
    printed_dob: date | str | None = None,
    printed_sex: str | None = None,
    today: date | None = None,
) -> list[str]:
    """Problems with a NIK, as codes (empty list = no problem found).

    NIK_FORMAT (not 16 digits, kecamatan 00 or serial 0000), NIK_DATE_INVALID (day/month not a date),
    NIK_REGION_UNKNOWN (kab/kota digits not in `regions`), NIK_DOB_MISMATCH / NIK_SEX_MISMATCH (against
    the printed birth date / sex; the date is compared on day, month and the two year digits only).
    """
    nik = (nik or "").strip()
    if not NIK_RE.match(nik):
        return [NIK_FORMAT]
    problems: list[str] = []
    if nik[4:6] == "00" or nik[12:] == "0000":
        problems.append(NIK_FORMAT)
    if regions is not None and not regions.is_valid_kabkota_code(nik[:4]):
        problems.append(NIK_REGION_UNKNOWN)
    info = decode_nik(nik, today=today)
    if info is None:
        problems.append(NIK_DATE_INVALID)
        return problems
    dob = _as_date(printed_dob)
    if dob is not None and (dob.day, dob.month, dob.year % 100) != (
        info.birth_date.day,
        info.birth_date.month,
        info.birth_date.year % 100,
    ):
        problems.append(NIK_DOB_MISMATCH)
    sex = normalise_sex(printed_sex)
    if sex is not None and sex != info.sex:
        problems.append(NIK_SEX_MISMATCH)
    return problems


def mask_nik(nik: str | None) -> str:
    """A NIK safe for logs: the first 4 and last 4 digits, e.g. "3575********0002"."""
    s = (nik or "").strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]
