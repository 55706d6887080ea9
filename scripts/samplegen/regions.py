"""Jawa Timur region table (Kemendagri 2023) for picking realistic kabupaten/kecamatan/desa."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WILAYAH_CSV = Path(__file__).resolve().parents[2] / "config" / "wilayah" / "wilayah_2023_jawa_timur.csv"
PROVINSI = "JAWA TIMUR"


@dataclass(frozen=True)
class Desa:
    """One desa/kelurahan with its parents; names upper-cased, `KAB. X` written `KABUPATEN X`."""

    kode: str  # 35.75.02.1005
    nama: str
    kecamatan: str
    kabupaten_kota: str

    @property
    def kecamatan_kode6(self) -> str:
        """The six NIK region digits (province, kabupaten/kota, kecamatan)."""
        return self.kode[:8].replace(".", "")

    @property
    def is_kota(self) -> bool:
        return self.kabupaten_kota.startswith("KOTA ")

    @property
    def kab_short(self) -> str:
        """`MALANG` for both `KABUPATEN MALANG` and `KOTA MALANG`."""
        return self.kabupaten_kota.split(" ", 1)[1]


def canonical_kabkota(raw: str) -> str:
    raw = raw.strip().upper()
    if raw.startswith("KAB. "):
        return "KABUPATEN " + raw[5:]
    return raw


@lru_cache(maxsize=1)
def load_desa() -> tuple[Desa, ...]:
    """All desa/kelurahan of Jawa Timur, in file order."""
    names: dict[str, str] = {}
    rows: list[tuple[str, str]] = []
    with WILAYAH_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kode, nama = row["kode"].strip(), row["nama"].strip()
            names[kode] = nama
            if kode.count(".") == 3:
                rows.append((kode, nama))
    out = []
    for kode, nama in rows:
        kec = names.get(kode[:8])
        kab = names.get(kode[:5])
        if kec is None or kab is None:
            continue
        out.append(Desa(kode, nama.upper(), kec.upper(), canonical_kabkota(kab)))
    return tuple(out)


@lru_cache(maxsize=1)
def kabkota_names() -> tuple[str, ...]:
    return tuple(sorted({d.kabupaten_kota for d in load_desa()}))


def pick_desa(rng: np.random.Generator) -> Desa:
    desa = load_desa()
    return desa[int(rng.integers(len(desa)))]


def pick_other_desa(rng: np.random.Generator, not_this: Desa) -> Desa:
    """Another desa, preferably in the same kecamatan (the hard case for a domicile check)."""
    same_kec = [d for d in load_desa() if d.kode[:8] == not_this.kode[:8] and d.nama != not_this.nama]
    if same_kec and rng.random() < 0.7:
        return same_kec[int(rng.integers(len(same_kec)))]
    while True:
        d = pick_desa(rng)
        if d.nama != not_this.nama:
            return d


def birthplace_names() -> tuple[str, ...]:
    """Town names usable as a tempat lahir (kabupaten/kota names without prefix)."""
    return tuple(sorted({k.split(" ", 1)[1] for k in kabkota_names()}))
