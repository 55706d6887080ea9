"""Region codes as the reports count them: levels, placeholders for what the pipeline could not place.

Codes look like `35` (provinsi), `35.75` (kabupaten/kota), `35.75.02` (kecamatan) and `35.75.02.1005`
(desa/kelurahan). Names come from the one region table, `pipeline.regions.Regions` (`name`, `children_of`).
"""

from __future__ import annotations

import re

from pipeline.regions import UNKNOWN_NAME, UNKNOWN_PART, Regions

__all__ = ["CODE_RE", "LEVELS", "UNKNOWN_NAME", "UNKNOWN_PART", "RegionTable", "default_regions",
           "effective_codes", "in_area", "level_of", "parent_codes"]

LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa", "tps")
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


# The reports read names from the one region table (pipeline/regions.py); these two names are the
# reports' way in to it.
RegionTable = Regions


def default_regions() -> Regions:
    """The region table, loaded once per process."""
    return Regions.load()
