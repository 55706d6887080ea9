"""The fixed TPS list: CSV with columns `kode_desa,tps` (see config/tps/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.reports.areas import CODE_RE


def load_tps_list(path: Path) -> dict[str, list[str]]:
    """desa code -> sorted TPS numbers (3 digits). Raises ConfigError (TPS_LIST_INVALID) on bad rows."""
    tps: dict[str, set[str]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if "kode_desa" not in header or "tps" not in header:
            raise ConfigError(f"{path.name}: kolom wajib kode_desa,tps", code="TPS_LIST_INVALID")
        at_desa, at_tps = header.index("kode_desa"), header.index("tps")
        width = max(at_desa, at_tps) + 1
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) < width:
                raise ConfigError(f"{path.name} baris {line}: kolom kurang", code="TPS_LIST_INVALID")
            desa, number = row[at_desa].strip(), row[at_tps].strip()
            if not number.isdigit() or desa.count(".") != 3 or not CODE_RE.match(desa):
                raise ConfigError(f"{path.name} baris {line}: kode desa atau nomor TPS salah", code="TPS_LIST_INVALID")
            tps.setdefault(desa, set()).add(number.zfill(3) if len(number) < 3 else number)
    return {desa: sorted(numbers) for desa, numbers in tps.items()}
