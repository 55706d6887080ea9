"""Words the review app shows instead of codes: check, field and reason names, statuses, WIB times, dates.

Field names and check names come from the verifier message catalogue (config/messages.yaml, `labels`),
reason names from the report's reason table (config/report_reasons.yaml), so the app and the nightly report
say the same thing. Nothing here decides; it only translates for display.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.checks.messages import load_catalogue
from pipeline.reports.labels import reason_table

WIB = ZoneInfo("Asia/Jakarta")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DECISION_NAMES = {"MS": "Memenuhi Syarat (MS)", "TMS": "Tidak Memenuhi Syarat (TMS)",
                  "DOCS_REQUESTED": "Dokumen diminta"}
ROLE_NAMES = {"PPS": "PPS", "PPK": "PPK", "KPU_KAB": "KPU Kabupaten/Kota", "ADMIN": "Admin", "system": "sistem",
              "SYSTEM": "sistem"}
CHECK_STATUS = {"pass": "lolos", "fail": "gagal", "review": "perlu diperiksa"}
FILE_ERRORS = {
    "PAGE_UNREADABLE": "halaman tidak terbaca", "FILE_TRUNCATED": "file terpotong", "FILE_ENCRYPTED": "file terkunci sandi",
    "FILE_UNSUPPORTED": "jenis file tidak didukung", "FILE_TOO_LARGE": "file terlalu besar", "FILE_EMPTY": "file kosong",
    "FILE_CORRUPT": "file rusak", "ORIGINAL_MISSING": "salinan file hilang", "ORIGINAL_DAMAGED": "salinan file rusak",
}


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    return load_catalogue().labels


def field_name(name: str | None) -> str:
    """'tanggal_lahir' -> 'tanggal lahir' (the catalogue's word; an unlisted id loses its underscores)."""
    if not name:
        return ""
    return str(_labels().get("fields", {}).get(name) or name.replace("_", " "))


def check_name(check_id: str | None) -> str:
    """'identity_ktp_ijazah_nama' -> 'Nama di KTP-el dan ijazah'."""
    if not check_id:
        return ""
    return str(_labels().get("checks", {}).get(check_id) or check_id.replace("_", " ").capitalize())


def reason_name(code: str | None) -> str:
    """'LOW_CONFIDENCE' -> 'Hasil baca kurang yakin' (the report's label); '' for none."""
    if not code:
        return ""
    label = reason_table().label(code)
    return label if label != code else code.replace("_", " ").capitalize()


def file_error(code: str | None) -> str:
    if not code:
        return ""
    return FILE_ERRORS.get(code) or reason_name(code)


def wib(value: Any, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """An ISO time (UTC or with offset) or datetime as Jakarta time: '12-12-2023 15:00 WIB'; '-' for none."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        if not _ISO_TIME.match(value):
            return value
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(WIB).strftime(fmt) + " WIB"


def tanggal(value: Any) -> str:
    """An ISO date as '19-08-2002'; other values unchanged; '-' for none."""
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return wib(value)
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    text = str(value)
    if _ISO_DATE.match(text):
        return f"{text[8:10]}-{text[5:7]}-{text[:4]}"
    if _ISO_TIME.match(text):
        return wib(text)
    return text


def shown(value: Any) -> str:
    """A value for display: dates in Indonesian order, nothing as '-', never 'None'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return tanggal(value)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


FILTERS = {"field_name": field_name, "check_name": check_name, "reason_name": reason_name, "wib": wib,
           "tanggal": tanggal, "shown": shown, "percent": percent, "file_error": file_error}


NOTES = {
    "registration.json": "data pendaftaran", "reference date": "tanggal acuan", "dossier_id": "berkas lain dengan NIK sama",
    "registered area code": "kode wilayah pendaftaran", "KTP address code": "kode wilayah alamat KTP-el",
}


def evidence_note(note: str | None) -> str:
    """An evidence note in Bahasa: the pipeline's English notes translated, a name-score note as words."""
    if not note:
        return ""
    if note.startswith("name score"):
        return "kemiripan nama"
    return NOTES.get(note, note)


FILTERS["evidence_note"] = evidence_note


@lru_cache(maxsize=1)
def _regions():
    from pipeline.regions import Regions

    return Regions.load()


_LEVEL = {2: "Provinsi", 5: "", 8: "Kec.", 13: "Desa/Kel."}


def area_name(code: str | None) -> str:
    """An account's area code as a name: '35.75.02.1005' -> 'Desa/Kel. KEBONAGUNG'; the code when unknown."""
    if not code:
        return ""
    name = _regions().name_of(code)
    if not name:
        return code
    prefix = _LEVEL.get(len(code), "")
    return f"{prefix} {name}".strip()


FILTERS["area_name"] = area_name
