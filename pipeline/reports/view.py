"""What the HTML page and the PDF both show, computed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.reports.aggregate import AreaReport, Levels, TpsRow
from pipeline.reports.areas import LEVELS, RegionTable, level_of
from pipeline.reports.charts import Chart
from pipeline.reports.labels import (
    DECISION_LABELS,
    LEVEL_LABELS,
    MISSING_LABELS,
    NEEDED_PER_TPS,
    REASON_LABELS,
)

MAX_SHORT_ROWS = 100


@dataclass
class ReportView:
    date: str
    scope: str
    scope_name: str
    scope_level: str
    as_of: datetime
    baseline: str | None
    total: AreaReport
    child_level: str
    children: list[tuple[str, AreaReport]]
    shortage: list[TpsRow]
    shortage_total: int
    regions: RegionTable
    charts: list[Chart] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Laporan Kelengkapan Berkas Calon KPPS - {LEVEL_LABELS[self.scope_level]} {self.scope_name}"

    def key_figures(self) -> list[tuple[str, str]]:
        c, s = self.total.counts, self.total.staffing
        age = c.oldest_age_days(self.as_of)
        since = f"sejak {self.baseline}" if self.baseline else "(belum ada laporan sebelumnya)"
        return [
            ("Berkas diterima", str(c.received)),
            ("Lengkap", str(c.complete)),
            ("Belum lengkap", str(c.incomplete)),
            ("Perlu diperiksa", str(c.needs_review)),
            ("Tidak memenuhi syarat", str(c.not_eligible)),
            (DECISION_LABELS["approved"], str(c.approved)),
            (DECISION_LABELS["rejected"], str(c.rejected)),
            (DECISION_LABELS["documents_requested"], str(c.documents_requested)),
            ("Belum diperiksa", str(c.unreviewed)),
            ("Umur berkas tertua belum diperiksa (hari)", "-" if age is None else f"{age:.1f}"),
            (f"Calon memenuhi (lengkap atau disetujui; {NEEDED_PER_TPS} per TPS)", str(c.filled)),
            ("Jumlah TPS", str(s.tps)),
            ("TPS terpenuhi", str(s.tps_full)),
            ("TPS kurang calon", str(s.tps_short)),
            ("Kekurangan anggota KPPS", str(s.seats_missing)),
            (f"Berkas baru {since}", str(c.new)),
            (f"Baru lengkap {since}", str(c.newly_complete)),
            (f"Baru ditandai {since}", str(c.newly_flagged)),
        ]

    def reason_rows(self) -> list[tuple[str, str, int]]:
        """(group, label, count), largest first within each group."""
        c = self.total.counts
        rows: list[tuple[str, str, int]] = []
        for group, counter, labels in (
            ("Belum lengkap", c.missing, MISSING_LABELS),
            ("Perlu diperiksa", c.review_reasons, REASON_LABELS),
            ("Tidak memenuhi syarat", c.not_eligible_reasons, REASON_LABELS),
        ):
            for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append((group, f"{labels.get(key, key)} ({key})", n))
        return rows

    def child_rows(self) -> list[list[str]]:
        rows = []
        for name, a in self.children:
            c, s = a.counts, a.staffing
            age = c.oldest_age_days(self.as_of)
            rows.append([
                a.code, name, str(c.received), str(c.complete), str(c.incomplete), str(c.needs_review),
                str(c.not_eligible), str(c.unreviewed), "-" if age is None else f"{age:.1f}",
                str(s.tps), str(s.tps_short), str(s.seats_missing),
            ])
        return rows

    def shortage_rows(self) -> list[list[str]]:
        r = self.regions
        return [
            [r.name(t.desa), r.name(t.desa.rsplit(".", 1)[0]), t.tps, str(t.counts.received),
             str(t.counts.filled), str(t.shortage)]
            for t in self.shortage[:MAX_SHORT_ROWS]
        ]


CHILD_HEADER = [
    "Kode", "Nama", "Diterima", "Lengkap", "Belum lengkap", "Perlu diperiksa", "TMS", "Belum diperiksa",
    "Umur tertua (hari)", "TPS", "TPS kurang", "Kurang anggota",
]
SHORT_HEADER = ["Desa/Kelurahan", "Kecamatan", "TPS", "Diterima", "Memenuhi", "Kurang"]


def child_level_of(scope: str) -> str:
    level = level_of(scope)
    return LEVELS[min(LEVELS.index(level) + 1, LEVELS.index("desa"))]


def make_view(levels: Levels, regions: RegionTable, *, date: str, as_of: datetime, baseline: str | None) -> ReportView:
    scope = levels.scope
    child_level = child_level_of(scope)
    table = levels.table(child_level)
    children = [(regions.name(code), table[code]) for code in sorted(table) if code.startswith(scope)]
    shortage = levels.shortage_list()
    return ReportView(
        date=date, scope=scope, scope_name=regions.name(scope), scope_level=level_of(scope), as_of=as_of,
        baseline=baseline, total=levels.total(), child_level=child_level, children=children,
        shortage=shortage, shortage_total=len(shortage), regions=regions,
    )
