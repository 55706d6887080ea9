"""What the HTML page and the PDF both show, computed once: header lines, tables as rows of text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipeline.reports.aggregate import AreaReport, Levels, TpsRow
from pipeline.reports.areas import LEVELS, UNKNOWN_NAME, RegionTable, level_of, parent_codes
from pipeline.reports.changes import KIND_LABELS, MAX_SHOWN, ChangeLog, DossierChange
from pipeline.reports.charts import Chart
from pipeline.reports.labels import (
    CANDIDATE,
    DECISION_LABELS,
    LEVEL_LABELS,
    MISSING_LABELS,
    NEEDED_PER_TPS,
    READING,
    reason_table,
)
from pipeline.reports.summary import UNKNOWN
from pipeline.reports.tps import NO_LIST_NOTE, TpsList

MAX_SHORT_ROWS = 100
MAX_TPS_CHANGES = 100
WIB = timezone(timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class ReportContext:
    """What a report was made from, besides the rows: printed in its header."""

    date: str
    as_of: datetime
    baselines: list[str]
    tps_list: TpsList | None
    rules_version: str
    changes: ChangeLog | None
    not_compared: list[str] = field(default_factory=list)  # kabupaten/kota codes


@dataclass
class Table:
    """A table as text: `text_cols` leading columns are names (left-aligned), the rest figures."""

    header: list[str]
    rows: list[list[str]]
    text_cols: int = 1


@dataclass
class Section:
    """One heading of the report with its notes, tables and charts, in the order both formats show them."""

    title: str
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)  # (sub-heading or "", table)
    charts: list[Chart] = field(default_factory=list)
    new_page: bool = False  # starts a new page in print


@dataclass
class ReportView:
    scope: str
    scope_name: str
    scope_level: str
    context: ReportContext
    total: AreaReport
    child_level: str
    children: list[tuple[str, AreaReport]]
    shortage: list[TpsRow]
    changed_tps: list[TpsRow]
    unlisted: list[TpsRow]
    tps_list_given: bool
    regions: RegionTable
    charts: dict[str, Chart] = field(default_factory=dict)  # "status", "staffing", "reasons"

    @property
    def title(self) -> str:
        return f"Laporan Kelengkapan Berkas Calon KPPS - {LEVEL_LABELS[self.scope_level]} {self.scope_name}"

    @property
    def as_of(self) -> datetime:
        return self.context.as_of

    @property
    def date(self) -> str:
        return self.context.date

    @property
    def shortage_total(self) -> int:
        return len(self.shortage)

    @property
    def with_kabupaten(self) -> bool:
        """Province-wide tables name the kabupaten/kota of each desa (desa names repeat across Jawa Timur)."""
        return self.scope_level == "provinsi"

    def header_lines(self) -> list[str]:
        c = self.context
        since = self.since()
        lines = [
            f"Tanggal laporan: {c.date}. Data per {c.as_of.astimezone(WIB).strftime('%Y-%m-%d %H:%M')} WIB. "
            f"Kode wilayah: {self.scope}.",
            f"Dihitung menurut persyaratan versi {c.rules_version}.",
            c.tps_list.describe() if c.tps_list else NO_LIST_NOTE,
            f"Perubahan dihitung {since}." if c.baselines else
            "Belum ada laporan sebelumnya untuk wilayah ini: perubahan belum dapat ditampilkan.",
        ]
        return lines

    def since(self) -> str:
        dates = self.context.baselines
        if not dates:
            return "(belum ada laporan sebelumnya)"
        if len(dates) == 1:
            return f"sejak laporan {dates[0]}"
        return f"sejak laporan terakhir tiap kabupaten/kota ({dates[0]} s.d. {dates[-1]})"

    def key_figures(self) -> list[tuple[str, str]]:
        c, s = self.total.counts, self.total.staffing
        age = c.oldest_age_days(self.as_of)
        figures = [
            ("Berkas diterima", str(c.received)),
            ("Lengkap", str(c.complete)),
            ("Belum lengkap", str(c.incomplete)),
            ("Perlu diperiksa", str(c.needs_review)),
            ("Tidak memenuhi syarat", str(c.not_eligible)),
            (DECISION_LABELS["approved"], str(c.approved)),
            ("Disetujui dengan mengesampingkan pemeriksaan gagal/perlu diperiksa (termasuk di atas)", str(c.overrides)),
            (DECISION_LABELS["rejected"], str(c.rejected)),
            (DECISION_LABELS["documents_requested"], str(c.documents_requested)),
            ("Belum diperiksa", str(c.unreviewed)),
            ("Umur berkas tertua belum diperiksa (hari)", "-" if age is None else f"{age:.1f}"),
            ("Berkas dengan masalah pembacaan (bukan kesalahan calon)", str(c.reading_dossiers)),
            (f"Calon memenuhi (lengkap atau disetujui; {NEEDED_PER_TPS} per TPS)", str(c.filled)),
        ]
        if self.tps_list_given:
            unlisted_rows = sum(t.counts.received for t in self.unlisted)
            figures += [
                ("Jumlah TPS (menurut daftar TPS)", str(s.tps)),
                ("TPS tanpa pendaftar sama sekali", str(s.tps_empty)),
                ("TPS kurang calon (termasuk yang tanpa pendaftar)", str(s.tps_short)),
                ("TPS terpenuhi", str(s.tps_full)),
                ("Kekurangan anggota KPPS", str(s.seats_missing)),
                (f"Berkas dengan TPS yang tidak ada di daftar ({len(self.unlisted)} TPS)", str(unlisted_rows)),
            ]
        else:
            figures += [
                ("Jumlah TPS yang punya pendaftar (tanpa daftar TPS)", str(s.tps)),
                ("TPS tanpa pendaftar sama sekali", "tidak diketahui: daftar TPS tidak diberikan"),
                ("TPS kurang calon (hanya yang punya pendaftar)", str(s.tps_short)),
                ("TPS terpenuhi", str(s.tps_full)),
                ("Kekurangan anggota KPPS (hanya TPS yang punya pendaftar)", str(s.seats_missing)),
            ]
        since = self.since()
        figures += [
            (f"Berkas baru {since}", str(c.new)),
            (f"Baru lengkap {since}", str(c.newly_complete)),
            (f"Baru ditandai {since}", str(c.newly_flagged)),
        ]
        return figures

    def sections(self) -> list[Section]:
        """The report top to bottom: the most urgent first."""
        level = LEVEL_LABELS[self.child_level]
        charts = [self.charts[k] for k in ("status", "staffing") if k in self.charts]
        return [
            Section("Ringkasan", tables=[("", Table(["Keterangan", "Jumlah"], [list(f) for f in self.key_figures()]))]),
            self._shortage_section(),
            self._changes_section(),
            Section(reason_table().sections[CANDIDATE].label, [self.candidate_note()],
                    [("", self.candidate_table())], [self.charts["reasons"]] if "reasons" in self.charts else [],
                    new_page=True),
            Section(reason_table().sections[READING].label, [self.reading_note()], [("", self.reading_table())]),
            Section(f"Rincian per {level}", [], [("", self.child_table())], charts, new_page=True),
        ]

    def _shortage_section(self) -> Section:
        notes = [] if self.tps_list_given else [NO_LIST_NOTE]
        if self.shortage_total > MAX_SHORT_ROWS:
            notes.append(f"Ditampilkan {MAX_SHORT_ROWS} TPS pertama; daftar lengkap ada di tps_kurang.csv.")
        title = f"TPS kurang calon KPPS: {self.shortage_total} TPS (TPS tanpa pendaftar lebih dahulu)"
        return Section(title, notes, [("", self.shortage_table())])

    def _changes_section(self) -> Section:
        title = f"Perubahan {self.since()}"
        log = self.context.changes
        if log is None:
            return Section(title, ["Belum ada laporan sebelumnya untuk wilayah ini: perubahan belum dapat "
                                   "ditampilkan. Laporan malam berikutnya akan memuatnya."], new_page=True)
        notes = ["Berkas disebut dengan nomor berkasnya saja, tanpa nama, NIK atau tanggal lahir."]
        if self.context.not_compared:
            names = ", ".join(UNKNOWN_NAME if code == UNKNOWN else self.regions.name(code)
                              for code in self.context.not_compared)
            notes.append(f"Belum ada laporan sebelumnya untuk {names}: berkasnya tidak dibandingkan.")
        if len(self.changed_tps) > MAX_TPS_CHANGES:
            notes.append(f"Ditampilkan {MAX_TPS_CHANGES} TPS pertama; semuanya ada di tps_berubah.csv.")
        if log.total > MAX_SHOWN:
            notes.append(f"Ditampilkan {MAX_SHOWN} dari {log.total} berkas; semuanya ada di perubahan_berkas.csv.")
        return Section(title, notes, [
            ("", Table(["Perubahan", "Berkas"], [list(f) for f in self.change_counts()])),
            (f"TPS yang berubah: {len(self.changed_tps)} TPS (yang kehilangan calon memenuhi lebih dahulu)",
             self.tps_changes_table()),
            (f"Berkas yang berubah: {log.total}", self.dossier_changes_table()),
        ], new_page=True)

    # ---- tables ----------------------------------------------------------------------------------

    def _area_cells(self, desa: str) -> list[str]:
        """Kabupaten/kota (province-wide only), kecamatan and desa names of a desa code."""
        _, kab, kec = parent_codes(desa)
        r = self.regions
        cells = [r.name(kec), r.name(desa)]
        return [r.name(kab), *cells] if self.with_kabupaten else cells

    def _area_header(self) -> list[str]:
        header = [LEVEL_LABELS["kecamatan"], LEVEL_LABELS["desa"]]
        return [LEVEL_LABELS["kabupaten"], *header] if self.with_kabupaten else header

    def shortage_table(self) -> Table:
        area = self._area_header()
        rows = [
            [*self._area_cells(t.desa), t.tps, str(t.counts.received), str(t.counts.filled), str(t.shortage)]
            for t in self.shortage[:MAX_SHORT_ROWS]
        ]
        return Table([*area, "TPS", "Pendaftar", "Memenuhi", "Kurang"], rows, text_cols=len(area) + 1)

    def tps_changes_table(self) -> Table:
        area = self._area_header()
        rows = [
            [*self._area_cells(t.desa), t.tps, str(t.counts.changed),
             f"{t.counts.filled_before} -> {t.counts.filled}", str(t.shortage)]
            for t in self.changed_tps[:MAX_TPS_CHANGES]
        ]
        return Table([*area, "TPS", "Berkas berubah", "Memenuhi (sebelumnya -> sekarang)", "Kurang sekarang"],
                     rows, text_cols=len(area) + 1)

    def dossier_changes_table(self) -> Table:
        area = self._area_header()
        shown: list[DossierChange] = self.context.changes.shown if self.context.changes else []
        rows = [
            [*self._area_cells(d.desa), d.tps, d.dossier, d.kind_text(), d.status_text(), d.decision_text()]
            for d in shown
        ]
        header = [*area, "TPS", "Berkas", "Perubahan", "Status", "Keputusan"]
        return Table(header, rows, text_cols=len(header))

    def change_counts(self) -> list[tuple[str, str]]:
        log = self.context.changes
        if log is None:
            return []
        return [(KIND_LABELS[kind], str(n)) for kind, n in log.by_kind.items()]

    def candidate_table(self) -> Table:
        """Candidate problems (missing documents, requirements, what to weigh), largest first per group."""
        c, table = self.total.counts, reason_table()
        rows: list[list[str]] = []
        for doc, n in sorted(c.missing.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append(["Belum lengkap", MISSING_LABELS.get(doc, doc), str(n)])
        weigh = {k: n for k, n in c.review_reasons.items() if table.section_of(k) == CANDIDATE}
        for group, counter in (("Perlu diperiksa", weigh), ("Tidak memenuhi syarat", c.not_eligible_reasons)):
            for code, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append([group, table.label(code), str(n)])
        return Table(["Kelompok", "Masalah", "Berkas"], rows, text_cols=2)

    def reading_table(self) -> Table:
        c, table = self.total.counts, reason_table()
        rows = [[table.label(code), str(n)] for code, n in sorted(c.reading.items(), key=lambda kv: (-kv[1], kv[0]))]
        return Table(["Masalah pembacaan", "Berkas"], rows)

    def reading_note(self) -> str:
        c = self.total.counts
        return (f"{reason_table().sections[READING].note} {c.reading_dossiers} berkas memuat masalah pembacaan; "
                f"{c.reading_only} di antaranya perlu diperiksa hanya karena itu.")

    def candidate_note(self) -> str:
        return reason_table().sections[CANDIDATE].note

    def child_table(self) -> Table:
        rows = []
        for name, a in self.children:
            c, s = a.counts, a.staffing
            age = c.oldest_age_days(self.as_of)
            rows.append([
                a.code, name, str(c.received), str(c.complete), str(c.incomplete), str(c.needs_review),
                str(c.not_eligible), str(c.unreviewed), "-" if age is None else f"{age:.1f}",
                str(s.tps), str(s.tps_empty) if self.tps_list_given else "-", str(s.tps_short),
                str(s.seats_missing),
            ])
        return Table(CHILD_HEADER, rows, text_cols=2)


CHILD_HEADER = [
    "Kode", "Nama", "Diterima", "Lengkap", "Belum lengkap", "Perlu diperiksa", "TMS", "Belum diperiksa",
    "Umur tertua (hari)", "TPS", "TPS tanpa pendaftar", "TPS kurang", "Kurang anggota",
]


def child_level_of(scope: str) -> str:
    level = level_of(scope)
    return LEVELS[min(LEVELS.index(level) + 1, LEVELS.index("desa"))]


def make_view(levels: Levels, regions: RegionTable, context: ReportContext) -> ReportView:
    scope = levels.scope
    child_level = child_level_of(scope)
    table = levels.table(child_level)
    children = [(regions.name(code), table[code]) for code in sorted(table) if code.startswith(scope)]
    return ReportView(
        scope=scope, scope_name=regions.name(scope), scope_level=level_of(scope), context=context,
        total=levels.total(), child_level=child_level, children=children, shortage=levels.shortage_list(),
        changed_tps=levels.changed_tps() if context.changes is not None else [],
        unlisted=levels.unlisted() if levels.tps_list_given else [], tps_list_given=levels.tps_list_given,
        regions=regions,
    )
