"""Region names and codes for reports (Kemendagri 2023 table in `config/wilayah`).

The table is read once per process. Codes look like `35` (provinsi), `35.75` (kabupaten/kota),
`35.75.02` (kecamatan) and `35.75.02.1005` (desa/kelurahan).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from config.settings import CONFIG_DIR

WILAYAH_CSV = CONFIG_DIR / "wilayah" / "wilayah_2023_jawa_timur.csv"
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa", "tps")
UNKNOWN_PART = "?"
UNKNOWN_NAME = "(wilayah tidak dikenal)"
CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def level_of(code: str) -> str:
    """Level name of a region code: provinsi, kabupaten, kecamatan or desa."""
    return LEVELS[code.count(".")]


def in_area(code: str, area: str) -> bool:
    """True when region `code` is `area` or lies below it."""
    return code == area or code.startswith(area + ".")


def effective_codes(kab: str, kec: str, desa: str, province: str) -> str:
    """The desa code a row is counted under. Levels the pipeline could not resolve (`unknown`) get a
    placeholder below their known parent (`35.75.??.????`), so such dossiers are counted, visibly."""
    if not CODE_RE.match(kab) or kab.count(".") != 1:
        kab = f"{province}.??"
    if not kec.startswith(kab + ".") or not CODE_RE.match(kec):
        kec = f"{kab}.??"
    if not desa.startswith(kec + ".") or not CODE_RE.match(desa):
        desa = f"{kec}.????"
    return desa


def parent_codes(desa_code: str) -> tuple[str, str, str]:
    """(provinsi, kabupaten, kecamatan) codes above a desa code."""
    parts = desa_code.split(".")
    return parts[0], ".".join(parts[:2]), ".".join(parts[:3])


def normalise_name(name: str) -> str:
    """Upper case, single spaces, `KAB.` written `KABUPATEN` (as registration.json writes it)."""
    text = " ".join(name.upper().split())
    return re.sub(r"^KAB\.\s*", "KABUPATEN ", text)


@dataclass
class RegionTable:
    """Names by code, and the codes below each code, for one or more provinces."""

    names: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    def add(self, code: str, name: str) -> None:
        self.names[code] = name
        if "." in code:
            self.children.setdefault(code.rsplit(".", 1)[0], []).append(code)

    def name(self, code: str) -> str:
        """The region's name as printed in reports; the code itself when not in the table."""
        if UNKNOWN_PART in code:
            return UNKNOWN_NAME
        return self.names.get(code, code)

    def find_child(self, parent: str, name: str) -> str | None:
        """Code of the child of `parent` whose name matches `name` (or which is `name`)."""
        if name in self.names and name.rsplit(".", 1)[0] == parent:
            return name
        wanted = normalise_name(name)
        for code in self.children.get(parent, []):
            if normalise_name(self.names[code]) == wanted:
                return code
        return None

    def find_province(self, name: str) -> str | None:
        if name in self.names and "." not in name:
            return name
        wanted = normalise_name(name)
        for code, nama in self.names.items():
            if "." not in code and normalise_name(nama) == wanted:
                return code
        return None


def load_regions(path: Path = WILAYAH_CSV) -> RegionTable:
    """Read a `kode,nama` CSV into a RegionTable."""
    table = RegionTable()
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["kode"].strip()
            if CODE_RE.match(code):
                table.add(code, row["nama"].strip())
    return table


@lru_cache(maxsize=1)
def default_regions() -> RegionTable:
    """The Jawa Timur table, loaded once per process."""
    return load_regions()
