"""The KPU's list of TPS per desa/kelurahan: a CSV with columns `kode_desa,tps` (docs/reports.md, config/tps/).

Where the list came from and how recent it is are stated beside it, in `<name>.meta.yaml` (`sumber`,
`tanggal`), or given when the report is built; the report prints them, or says they were not given.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.filehash import sha256_file
from pipeline.reports.areas import CODE_RE, RegionTable

META_SUFFIX = ".meta.yaml"
MAX_UNKNOWN_SHOWN = 5


@dataclass(frozen=True)
class TpsList:
    """desa code -> sorted TPS numbers (3 digits), with where the list came from."""

    tps: dict[str, list[str]]
    file_name: str
    sha256: str
    source: str | None = None
    date: str | None = None
    lines: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", sum(len(numbers) for numbers in self.tps.values()))

    def describe(self) -> str:
        """One sentence for the report header: file, source and date (or that they were not given)."""
        source = self.source or "sumber tidak dinyatakan"
        date = f"per {self.date}" if self.date else "tanggal tidak dinyatakan"
        return (f"Daftar TPS: {self.file_name} ({source}; {date}; {self.lines} TPS di {len(self.tps)} "
                f"desa/kelurahan; sha256 {self.sha256[:12]}).")


NO_LIST_NOTE = ("Daftar TPS tidak diberikan: yang dihitung hanya TPS yang disebut pendaftar. "
                "TPS tanpa pendaftar sama sekali tidak dapat ditampilkan.")


def _error(path: Path, line: int | None, what: str) -> ConfigError:
    where = f"{path.name} baris {line}" if line else path.name
    return ConfigError(f"{where}: {what}", code="TPS_LIST_INVALID")


def _tps_number(text: str) -> str | None:
    """`3`, `03` and `003` are TPS 003; anything but digits is no TPS number."""
    if not text.isdigit() or int(text) == 0:
        return None
    return text.zfill(3)


def read_meta(path: Path) -> tuple[str | None, str | None]:
    """(sumber, tanggal) from `<name>.meta.yaml` beside the list; (None, None) when there is none."""
    meta_path = path.with_name(path.stem + META_SUFFIX)
    if not meta_path.exists():
        return None, None
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise _error(meta_path, None, f"bukan YAML yang sah ({e})") from e
    if not isinstance(meta, dict) or set(meta) - {"sumber", "tanggal", "catatan"}:
        raise _error(meta_path, None, "hanya kunci sumber, tanggal dan catatan yang dikenal")
    source, date = meta.get("sumber"), meta.get("tanggal")
    if isinstance(date, dt.date):
        date = date.isoformat()
    return (str(source) if source else None), (str(date) if date else None)


def load_tps_list(path: Path, *, source: str | None = None, date: str | None = None) -> TpsList:
    """Read and check the list. `source`/`date` override the `.meta.yaml` beside it.

    Raises ConfigError (TPS_LIST_INVALID) on a missing column, a bad desa code or TPS number, a TPS
    listed twice, or a list without any TPS: a wrong list would hide the TPS it leaves out.
    """
    tps: dict[str, dict[str, int]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:  # read line by line: a province has ~120,000
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "kode_desa" not in header or "tps" not in header:
            raise _error(path, 1, "kolom wajib kode_desa dan tps")
        at_desa, at_tps = header.index("kode_desa"), header.index("tps")
        width = max(at_desa, at_tps) + 1
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                raise _error(path, line, "kolom kurang")
            desa, number = row[at_desa].strip(), _tps_number(row[at_tps].strip())
            if desa.count(".") != 3 or not CODE_RE.match(desa):
                raise _error(path, line, f"kode desa {desa!r} bukan kode desa/kelurahan (contoh 35.75.02.1005)")
            if number is None:
                raise _error(path, line, f"nomor TPS {row[at_tps].strip()!r} bukan angka")
            seen = tps.setdefault(desa, {})
            if number in seen:
                raise _error(path, line, f"TPS {number} desa {desa} sudah tercantum di baris {seen[number]}")
            seen[number] = line
    if not tps:
        raise _error(path, None, "tidak memuat satu TPS pun")
    meta_source, meta_date = read_meta(path)
    if date:
        try:
            dt.date.fromisoformat(date)
        except ValueError as e:
            raise _error(path, None, f"tanggal daftar {date!r} bukan YYYY-MM-DD") from e
    return TpsList(
        tps={desa: sorted(numbers) for desa, numbers in tps.items()},
        file_name=path.name,
        sha256=sha256_file(path),
        source=source or meta_source,
        date=date or meta_date,
    )


def check_codes(tps_list: TpsList, regions: RegionTable) -> None:
    """Every desa code of the list must be in the region table (a mistyped code hides a real desa's TPS)."""
    unknown = sorted(code for code in tps_list.tps if code not in regions.names)
    if unknown:
        shown = ", ".join(unknown[:MAX_UNKNOWN_SHOWN]) + (" ..." if len(unknown) > MAX_UNKNOWN_SHOWN else "")
        raise ConfigError(
            f"{tps_list.file_name}: {len(unknown)} kode desa tidak ada di tabel wilayah: {shown}",
            code="TPS_LIST_INVALID",
        )
