"""CSV files, one per level, with stable Indonesian column names (UTF-8 with BOM for spreadsheets)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pipeline.reports.aggregate import AreaReport, TpsRow
from pipeline.reports.areas import RegionTable, parent_codes
from pipeline.reports.labels import (
    MISSING_DOCS,
    NEEDED_PER_TPS,
    NOT_ELIGIBLE_REASONS,
    OTHER,
    READING_REASONS,
    REVIEW_REASONS,
)

READING_ORDER = [r for r in REVIEW_REASONS if r in READING_REASONS]

AREA_COLUMNS = (
    ["kode", "nama", "kode_induk", "nama_kabupaten", "nama_kecamatan", "diterima", "lengkap", "belum_lengkap"]
    + [f"belum_lengkap_{doc}" for doc in MISSING_DOCS]
    + ["perlu_periksa"]
    + [f"perlu_periksa_{reason}" for reason in (*REVIEW_REASONS, OTHER)]
    + ["tidak_memenuhi_syarat"]
    + [f"tms_{reason}" for reason in (*NOT_ELIGIBLE_REASONS, OTHER)]
    + ["masalah_bacaan", "hanya_masalah_bacaan"]
    + [f"bacaan_{reason}" for reason in READING_ORDER]
    + ["disetujui", "disetujui_mengesampingkan", "ditolak", "diminta_melengkapi", "belum_diperiksa",
       "umur_tertua_belum_diperiksa_hari"]
    + ["calon_memenuhi", "jumlah_tps", "tps_tanpa_pendaftar", "tps_terpenuhi", "tps_kurang", "kekurangan_anggota"]
    + ["baru_masuk", "baru_lengkap", "baru_ditandai"]
)
TPS_COLUMNS = [
    "kode_kabupaten", "nama_kabupaten", "kode_kecamatan", "nama_kecamatan", "kode_desa", "nama_desa", "tps",
    "diterima", "lengkap", "disetujui", "calon_memenuhi", "dibutuhkan", "kekurangan", "dalam_daftar_tps",
    "calon_memenuhi_sebelumnya", "berkas_berubah",
]


def area_record(report: AreaReport, regions: RegionTable, as_of: datetime) -> dict[str, object]:
    c, s = report.counts, report.staffing
    age = c.oldest_age_days(as_of)
    parts = report.code.split(".")
    record: dict[str, object] = {
        "kode": report.code,
        "nama": regions.name(report.code),
        "kode_induk": report.code.rsplit(".", 1)[0] if "." in report.code else "",
        "nama_kabupaten": regions.name(".".join(parts[:2])) if len(parts) > 2 else "",
        "nama_kecamatan": regions.name(".".join(parts[:3])) if len(parts) > 3 else "",
        "diterima": c.received,
        "lengkap": c.complete,
        "belum_lengkap": c.incomplete,
        "perlu_periksa": c.needs_review,
        "tidak_memenuhi_syarat": c.not_eligible,
        "masalah_bacaan": c.reading_dossiers,
        "hanya_masalah_bacaan": c.reading_only,
        "disetujui": c.approved,
        "disetujui_mengesampingkan": c.overrides,
        "ditolak": c.rejected,
        "diminta_melengkapi": c.documents_requested,
        "belum_diperiksa": c.unreviewed,
        "umur_tertua_belum_diperiksa_hari": "" if age is None else age,
        "calon_memenuhi": c.filled,
        "jumlah_tps": s.tps,
        "tps_tanpa_pendaftar": s.tps_empty,
        "tps_terpenuhi": s.tps_full,
        "tps_kurang": s.tps_short,
        "kekurangan_anggota": s.seats_missing,
        "baru_masuk": c.new,
        "baru_lengkap": c.newly_complete,
        "baru_ditandai": c.newly_flagged,
    }
    for doc in MISSING_DOCS:
        record[f"belum_lengkap_{doc}"] = c.missing.get(doc, 0)
    known = set(REVIEW_REASONS)
    for reason in REVIEW_REASONS:
        record[f"perlu_periksa_{reason}"] = c.review_reasons.get(reason, 0)
    record[f"perlu_periksa_{OTHER}"] = sum(n for r, n in c.review_reasons.items() if r not in known)
    for reason in (*NOT_ELIGIBLE_REASONS, OTHER):
        record[f"tms_{reason}"] = c.not_eligible_reasons.get(reason, 0)
    for reason in READING_ORDER:
        record[f"bacaan_{reason}"] = c.reading.get(reason, 0)
    return record


def tps_records(rows: list[TpsRow], regions: RegionTable) -> list[tuple]:
    """Rows in TPS_COLUMNS order; names looked up once per desa."""
    names: dict[str, tuple[str, str, str, str, str, str]] = {}
    out = []
    for row in rows:
        area = names.get(row.desa)
        if area is None:
            _, kab, kec = parent_codes(row.desa)
            area = names[row.desa] = (
                kab, regions.name(kab), kec, regions.name(kec), row.desa, regions.name(row.desa)
            )
        c = row.counts
        out.append((*area, row.tps, c.received, c.complete, c.approved, c.filled, NEEDED_PER_TPS,
                    row.shortage, "ya" if row.listed else "tidak", c.filled_before, c.changed))
    return out


def _write(columns: list[str], records: list) -> bytes:
    """CSV bytes; records are dicts keyed by column, or sequences in column order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([r[c] for c in columns] if isinstance(r, dict) else r for r in records)
    return out.getvalue().encode("utf-8-sig")


def area_csv(reports: dict[str, AreaReport], regions: RegionTable, as_of: datetime) -> bytes:
    records = [area_record(reports[code], regions, as_of) for code in sorted(reports)]
    return _write(AREA_COLUMNS, records)


def tps_csv(rows: list[TpsRow], regions: RegionTable) -> bytes:
    return _write(TPS_COLUMNS, tps_records(rows, regions))
