"""Streaming counters: one summary row at a time, per desa and per TPS, rolled up at the end.

Memory grows with the number of areas (desa, TPS), never with the number of dossiers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from models.contract import DossierStatus
from pipeline.reports.areas import effective_codes, in_area, parent_codes
from pipeline.reports.labels import NEEDED_PER_TPS, NOT_ELIGIBLE_REASONS, OTHER
from pipeline.reports.summary import ReviewDecision, SummaryRow, parse_time


@dataclass(frozen=True)
class Change:
    """How a row differs from the previous night's snapshot."""

    new: bool = False
    newly_complete: bool = False
    newly_flagged: bool = False


def counts_toward_tps(row: SummaryRow) -> bool:
    """A candidate fills a TPS seat when approved, or complete and not otherwise decided."""
    decision = row.review.decision if row.review else None
    if decision == ReviewDecision.APPROVED:
        return True
    return row.status == DossierStatus.COMPLETE and decision is None


@dataclass
class Counts:
    received: int = 0
    complete: int = 0
    incomplete: int = 0
    needs_review: int = 0
    not_eligible: int = 0
    approved: int = 0
    rejected: int = 0
    documents_requested: int = 0
    unreviewed: int = 0
    filled: int = 0
    new: int = 0
    newly_complete: int = 0
    newly_flagged: int = 0
    oldest_unreviewed: datetime | None = None
    missing: Counter = field(default_factory=Counter)
    review_reasons: Counter = field(default_factory=Counter)
    not_eligible_reasons: Counter = field(default_factory=Counter)

    def add(self, row: SummaryRow, change: Change) -> None:
        self.received += 1
        status = row.status
        if status == DossierStatus.COMPLETE:
            self.complete += 1
        elif status == DossierStatus.INCOMPLETE:
            self.incomplete += 1
            self.missing.update(row.missing)
            if "REGISTRATION_INVALID" in row.reasons:
                self.missing["registration"] += 1
        elif status == DossierStatus.NEEDS_REVIEW:
            self.needs_review += 1
            self.review_reasons.update(row.reasons or [OTHER])
        elif status == DossierStatus.NOT_ELIGIBLE:
            self.not_eligible += 1
            hard = [r for r in row.reasons if r in NOT_ELIGIBLE_REASONS]
            self.not_eligible_reasons.update(hard or [OTHER])
        if row.review is None:
            if status != DossierStatus.COMPLETE:
                self.unreviewed += 1
                received = parse_time(row.received_at)
                if self.oldest_unreviewed is None or received < self.oldest_unreviewed:
                    self.oldest_unreviewed = received
        else:
            setattr(self, str(row.review.decision), getattr(self, str(row.review.decision)) + 1)
        self.filled += counts_toward_tps(row)
        self.new += change.new
        self.newly_complete += change.newly_complete
        self.newly_flagged += change.newly_flagged

    def merge(self, other: Counts) -> None:
        for name in (
            "received", "complete", "incomplete", "needs_review", "not_eligible", "approved", "rejected",
            "documents_requested", "unreviewed", "filled", "new", "newly_complete", "newly_flagged",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing.update(other.missing)
        self.review_reasons.update(other.review_reasons)
        self.not_eligible_reasons.update(other.not_eligible_reasons)
        if other.oldest_unreviewed and (
            self.oldest_unreviewed is None or other.oldest_unreviewed < self.oldest_unreviewed
        ):
            self.oldest_unreviewed = other.oldest_unreviewed

    def oldest_age_days(self, as_of: datetime) -> float | None:
        if self.oldest_unreviewed is None:
            return None
        # a report dated before a dossier arrived (a re-run for an earlier day) shows age 0, never negative
        return round(max(0.0, (as_of - self.oldest_unreviewed).total_seconds() / 86400), 1)


@dataclass
class Staffing:
    """TPS seats in an area: TPS counted from the TPS list, seats from filled candidates."""

    tps: int = 0
    tps_full: int = 0
    tps_short: int = 0
    seats_missing: int = 0

    def add_tps(self, filled: int) -> None:
        self.tps += 1
        short = max(0, NEEDED_PER_TPS - filled)
        if short:
            self.tps_short += 1
            self.seats_missing += short
        else:
            self.tps_full += 1

    def merge(self, other: Staffing) -> None:
        self.tps += other.tps
        self.tps_full += other.tps_full
        self.tps_short += other.tps_short
        self.seats_missing += other.seats_missing


@dataclass(slots=True)
class TpsCount:
    received: int = 0
    complete: int = 0
    approved: int = 0
    filled: int = 0


@dataclass
class AreaReport:
    code: str
    counts: Counts
    staffing: Staffing


@dataclass(slots=True)
class TpsRow:
    desa: str
    tps: str
    counts: TpsCount
    listed: bool
    shortage: int = field(init=False)

    def __post_init__(self) -> None:
        self.shortage = max(0, NEEDED_PER_TPS - self.counts.filled)


class Aggregator:
    """Feed rows with `add`; call `finish` once with the TPS list to get every level."""

    def __init__(self, province: str = "35") -> None:
        self.province = province
        self.desa: dict[str, Counts] = {}
        self.tps: dict[tuple[str, str], TpsCount] = {}

    def desa_of(self, row: SummaryRow) -> str:
        return effective_codes(row.kab, row.kec, row.desa, self.province)

    def add(self, row: SummaryRow, change: Change = Change()) -> None:
        desa = self.desa_of(row)
        counts = self.desa.get(desa)
        if counts is None:
            counts = self.desa[desa] = Counts()
        counts.add(row, change)
        tps = self.tps.get((desa, row.tps))
        if tps is None:
            tps = self.tps[(desa, row.tps)] = TpsCount()
        tps.received += 1
        tps.complete += row.status == DossierStatus.COMPLETE
        tps.approved += bool(row.review and row.review.decision == ReviewDecision.APPROVED)
        tps.filled += counts_toward_tps(row)

    def finish(self, tps_list: dict[str, list[str]] | None, scope: str) -> Levels:
        """Roll desa counters up to kecamatan, kabupaten and provinsi, restricted to `scope`.

        With a TPS list, every listed TPS in scope appears (also those with no candidate); TPS that
        candidates named but the list lacks are kept and marked `listed=False`. Without one, the TPS
        seen in the rows are the list.
        """
        tps_rows: list[TpsRow] = []
        seen: set[tuple[str, str]] = set()
        if tps_list is not None:
            for desa, numbers in tps_list.items():
                if not in_area(desa, scope):
                    continue
                for number in numbers:
                    seen.add((desa, number))
                    tps_rows.append(TpsRow(desa, number, self.tps.get((desa, number), TpsCount()), True))
        for (desa, number), count in self.tps.items():
            if (desa, number) not in seen:
                tps_rows.append(TpsRow(desa, number, count, tps_list is None))
        tps_rows.sort(key=lambda t: (t.desa, t.tps))

        levels = Levels(scope=scope, tps=tps_rows)
        desa_codes = set(self.desa) | {t.desa for t in tps_rows}
        for desa in sorted(desa_codes):
            counts = self.desa.get(desa, Counts())
            staffing = Staffing()
            levels.desa[desa] = AreaReport(desa, counts, staffing)
        for t in tps_rows:
            if t.listed:
                levels.desa[t.desa].staffing.add_tps(t.counts.filled)
        for desa, report in levels.desa.items():
            prov, kab, kec = parent_codes(desa)
            for table, code in ((levels.kecamatan, kec), (levels.kabupaten, kab), (levels.provinsi, prov)):
                parent = table.get(code)
                if parent is None:
                    parent = table[code] = AreaReport(code, Counts(), Staffing())
                parent.counts.merge(report.counts)
                parent.staffing.merge(report.staffing)
        return levels


@dataclass
class Levels:
    scope: str
    tps: list[TpsRow]
    provinsi: dict[str, AreaReport] = field(default_factory=dict)
    kabupaten: dict[str, AreaReport] = field(default_factory=dict)
    kecamatan: dict[str, AreaReport] = field(default_factory=dict)
    desa: dict[str, AreaReport] = field(default_factory=dict)
    _shortage: list[TpsRow] | None = field(default=None, repr=False)

    def table(self, level: str) -> dict[str, AreaReport]:
        return getattr(self, level)

    def total(self) -> AreaReport:
        """The scope area itself (summed from its desa when the scope is below a province)."""
        for level in ("provinsi", "kabupaten", "kecamatan", "desa"):
            if self.scope in self.table(level):
                return self.table(level)[self.scope]
        return AreaReport(self.scope, Counts(), Staffing())

    def shortage_list(self) -> list[TpsRow]:
        """Listed TPS short of candidates, worst first (then by code)."""
        if self._shortage is None:
            short = [t for t in self.tps if t.listed and t.shortage > 0]
            self._shortage = sorted(short, key=lambda t: (-t.shortage, t.desa, t.tps))
        return self._shortage
