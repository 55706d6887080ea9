"""Which dossiers changed since the previous night: new ones, status changes, verifiers' decisions, and
dossiers that are no longer in the area.

Entries are written as CSV text while the rows stream by (about 100 bytes each); only the first
`MAX_SHOWN` are kept as objects, for the HTML and PDF. Dossier ids are printed with any run of 16
digits masked, as the review app masks a NIK; a summary row holds no name, NIK or birth date.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pipeline.logs import NIK_SHAPE
from pipeline.nik import mask_nik
from pipeline.reports.aggregate import Change
from pipeline.reports.labels import DECISION_LABELS, STATUS_LABELS

MAX_SHOWN = 100
NEW, STATUS, DECIDED, GONE = "baru", "status_berubah", "diputuskan", "tidak_ada_lagi"
KIND_LABELS = {
    NEW: "Baru masuk",
    STATUS: "Status berubah",
    DECIDED: "Diputuskan pemeriksa",
    GONE: "Tidak ada lagi di wilayah ini (dihapus atau pindah wilayah)",
}
CSV_COLUMNS = [
    "kode_desa", "tps", "berkas", "perubahan", "status_sebelumnya", "status_sekarang",
    "keputusan_sebelumnya", "keputusan_sekarang", "pengesampingan",
]


def mask_id(dossier_id: str) -> str:
    """The dossier id with every 16-digit run (a NIK's shape) masked: `3575********0002`."""
    return NIK_SHAPE.sub(lambda m: mask_nik(m[0]), dossier_id)


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status, status) if status else "-"


def decision_label(decision: str | None, override: bool = False) -> str:
    if not decision:
        return "belum diputuskan"
    label = DECISION_LABELS.get(decision, decision)
    return f"{label} (mengesampingkan pemeriksaan)" if override else label


@dataclass(frozen=True, slots=True)
class DossierChange:
    desa: str
    tps: str
    dossier: str  # masked id
    kinds: tuple[str, ...]
    status_before: str | None
    status_now: str | None
    decision_before: str | None
    decision_now: str | None
    override: bool = False

    def kind_text(self) -> str:
        return "; ".join(KIND_LABELS[k] for k in self.kinds)

    def status_text(self) -> str:
        if self.status_now is None:
            return f"{status_label(self.status_before)} (terakhir)"
        if self.status_before is None or self.status_before == self.status_now:
            return status_label(self.status_now)
        return f"{status_label(self.status_before)} -> {status_label(self.status_now)}"

    def decision_text(self) -> str:
        now = decision_label(self.decision_now, self.override)
        if self.decision_before == self.decision_now or NEW in self.kinds:
            return now
        return f"{decision_label(self.decision_before)} -> {now}"


class ChangeLog:
    """Collects the changed dossiers of one report, in the order the rows are read (area by area)."""

    def __init__(self) -> None:
        self._csv = io.StringIO()
        self._writer = csv.writer(self._csv, lineterminator="\n")
        self._writer.writerow(CSV_COLUMNS)
        self.shown: list[DossierChange] = []
        self.total = 0
        self.by_kind = dict.fromkeys(KIND_LABELS, 0)

    def add(self, entry: DossierChange) -> None:
        self.total += 1
        for kind in entry.kinds:
            self.by_kind[kind] += 1
        if len(self.shown) < MAX_SHOWN:
            self.shown.append(entry)
        self._writer.writerow([
            entry.desa, entry.tps, entry.dossier, "+".join(entry.kinds), entry.status_before or "",
            entry.status_now or "", entry.decision_before or "", entry.decision_now or "",
            "ya" if entry.override else "",
        ])

    def add_row(self, desa: str, tps: str, dossier_id: str, status: str, decision: str | None, override: bool,
                change: Change) -> None:
        """Log a row read tonight when `change` says it is new, changed status or got a new decision."""
        kinds = tuple(kind for kind, happened in (
            (NEW, change.new), (STATUS, change.status_changed), (DECIDED, change.decided)) if happened)
        if kinds:
            self.add(DossierChange(desa, tps, mask_id(dossier_id), kinds, change.status_before, status,
                                   change.decision_before, decision, override))

    def add_gone(self, desa: str, tps: str, dossier_id: str, status: str, decision: str | None) -> None:
        """A dossier of the previous night that no row of tonight matched."""
        self.add(DossierChange(desa, tps, mask_id(dossier_id), (GONE,), status, None, decision, decision))

    def csv_bytes(self) -> bytes:
        return self._csv.getvalue().encode("utf-8-sig")
