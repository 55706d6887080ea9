"""Indonesian date wording shared by the document builders."""

from __future__ import annotations

from datetime import date

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]


def tanggal_kata(d: date, upper: bool = False) -> str:
    """'5 Juni 1999' (or upper-case)."""
    s = f"{d.day} {BULAN[d.month - 1]} {d.year}"
    return s.upper() if upper else s


def title_case(s: str) -> str:
    return " ".join(w.capitalize() for w in s.split())
