"""The fixed TPS list: CSV with columns `kode_desa,tps` (see config/tps/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.reports.areas import CODE_RE
from pipeline.storage.keys import normalise_tps


def load_tps_list(path: Path) -> dict[str, list[str]]:
    """desa code -> sorted TPS numbers (3 digits). Raises ConfigError (TPS_LIST_INVALID) on bad rows."""
    tps: dict[str, set[str]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"kode_desa", "tps"} <= set(reader.fieldnames):
            raise ConfigError(f"{path.name}: kolom wajib kode_desa,tps", code="TPS_LIST_INVALID")
        for line, row in enumerate(reader, start=2):
            desa, number = (row["kode_desa"] or "").strip(), (row["tps"] or "").strip()
            if not CODE_RE.match(desa) or desa.count(".") != 3 or not number.isdigit():
                raise ConfigError(f"{path.name} baris {line}: kode desa atau nomor TPS salah", code="TPS_LIST_INVALID")
            tps.setdefault(desa, set()).add(normalise_tps(number))
    return {desa: sorted(numbers) for desa, numbers in tps.items()}
