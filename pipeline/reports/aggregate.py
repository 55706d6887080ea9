"""Streaming counters: one summary row at a time, per desa and per TPS, rolled up at the end.

Memory grows with the number of areas (desa, TPS), never with the number of dossiers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from models.contract import DossierStatus
from pipeline.reports.areas import effective_codes, in_area, parent_codes
from pipeline.reports.labels import NEEDED_PER_TPS, NOT_ELIGIBLE_REASONS, OTHER, READING_REASONS
from pipeline.reports.summary import ReviewDecision, SummaryRow, parse_time


@dataclass(slots=True)
class Change:
    """How a row differs from the previous night's snapshot (all False for a row with no baseline)."""

    new: bool = False
    newly_complete: bool = False
    newly_flagged: bool = False
    status_changed: bool = False
    decided: bool = False  # carries a verifier's decision it did not carry the previous night
    status_before: str | None = None
    decision_before: str | None = None

    @property
    def listed(self) -> bool:
        """Shown in the list of changed dossiers."""
        return self.new or self.status_changed or self.decided


NO_CHANGE = Change()  # shared, never changed: a row counted without a previous night


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
    overrides: int = 0
    unreviewed: int = 0
    filled: int = 0
    new: int = 0
    newly_complete: int = 0
    newly_flagged: int = 0
    oldest_unreviewed: datetime | None = None
    missing: Counter = field(default_factory=Counter)
    review_reasons: Counter = field(default_factory=Counter)
    not_eligible_reasons: Counter = field(default_factory=Counter)
    reading: Counter = field(default_factory=Counter)  # reading-problem reasons of dossiers not complete
    reading_dossiers: int = 0  # dossiers not complete with at least one reading problem
    reading_only: int = 0  # needs-review dossiers whose every reason is a reading problem

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
        if status != DossierStatus.COMPLETE:
            reading = [r for r in row.reasons if r in READING_REASONS]
            if reading:
                self.reading.update(reading)
                self.reading_dossiers += 1
                self.reading_only += status == DossierStatus.NEEDS_REVIEW and len(reading) == len(row.reasons)
        if row.review is None:
            if status != DossierStatus.COMPLETE:
                self.unreviewed += 1
                received = parse_time(row.received_at)
                if self.oldest_unreviewed is None or received < self.oldest_unreviewed:
                    self.oldest_unreviewed = received
        else:
            setattr(self, str(row.review.decision), getattr(self, str(row.review.decision)) + 1)
            self.overrides += row.review.override and row.review.decision == ReviewDecision.APPROVED
        self.filled += counts_toward_tps(row)
        self.new += change.new
        self.newly_complete += change.newly_complete
        self.newly_flagged += change.newly_flagged

    def merge(self, other: Counts) -> None:
        for name in (
            "received", "complete", "incomplete", "needs_review", "not_eligible", "approved", "rejected",
            "documents_requested", "overrides", "unreviewed", "filled", "new", "newly_complete", "newly_flagged",
            "reading_dossiers", "reading_only",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing.update(other.missing)
        self.review_reasons.update(other.review_reasons)
        self.not_eligible_reasons.update(other.not_eligible_reasons)
        self.reading.update(other.reading)
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
    """TPS seats in an area: TPS counted from the TPS list (or the rows, without one), seats from filled
    candidates."""

    tps: int = 0
    tps_full: int = 0
    tps_short: int = 0
    tps_empty: int = 0  # no applicant at all
    seats_missing: int = 0

    def add_tps(self, filled: int, received: int) -> None:
        self.tps += 1
        self.tps_empty += received == 0
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
        self.tps_empty += other.tps_empty
        self.seats_missing += other.seats_missing


@dataclass(slots=True)
class TpsCount:
    received: int = 0
    complete: int = 0
    approved: int = 0
    filled: int = 0
    filled_before: int = 0  # seats filled at the previous night's report
    changed: int = 0  # dossiers listed as changed since then


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

    @property
    def changed(self) -> bool:
        return self.counts.changed > 0 or self.counts.filled != self.counts.filled_before


def urgency(t: TpsRow) -> tuple:
    """Sort key of short TPS: no applicant at all first, then the largest shortage, then by code."""
    return (t.counts.received > 0, -t.shortage, t.desa, t.tps)


class Aggregator:
    """Feed rows with `add`; call `finish` once with the TPS list to get every level."""

    def __init__(self, province: str = "35") -> None:
        self.province = province
        self.desa: dict[str, Counts] = {}
        self.tps: dict[tuple[str, str], TpsCount] = {}

    def desa_of(self, row: SummaryRow) -> str:
        return effective_codes(row.kab, row.kec, row.desa, self.province)

    def _tps(self, desa: str, tps: str) -> TpsCount:
        count = self.tps.get((desa, tps))
        if count is None:
            count = self.tps[(desa, tps)] = TpsCount()
        return count

    def add(self, row: SummaryRow, change: Change = NO_CHANGE, *, listed: bool = False) -> str:
        """Count one row; returns the desa code it was counted under. `listed`: the row is in tonight's
        list of changed dossiers (counted per TPS)."""
        desa = self.desa_of(row)
        counts = self.desa.get(desa)
        if counts is None:
            counts = self.desa[desa] = Counts()
        counts.add(row, change)
        tps = self._tps(desa, row.tps)
        tps.received += 1
        tps.complete += row.status == DossierStatus.COMPLETE
        tps.approved += bool(row.review and row.review.decision == ReviewDecision.APPROVED)
        tps.filled += counts_toward_tps(row)
        tps.changed += listed
        return desa

    def add_before(self, desa: str, tps: str, filled: bool, *, gone: bool = False) -> None:
        """A dossier as the previous night's snapshot had it: its seat then, and whether it is gone now."""
        count = self._tps(desa, tps)
        count.filled_before += filled
        count.changed += gone

    def finish(self, tps_list: dict[str, list[str]] | None, scope: str) -> Levels:
        """Roll desa counters up to kecamatan, kabupaten and provinsi, restricted to `scope`.

        With a TPS list, every listed TPS in scope appears (also those with no candidate); TPS that
        candidates named but the list lacks are kept and marked `listed=False`. Without one, the TPS
        seen in the rows (or in the previous night's snapshot) are the list.
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
            if (desa, number) not in seen:  # without a list, a TPS known only from last night is no TPS now
                tps_rows.append(TpsRow(desa, number, count, tps_list is None and count.received > 0))
        tps_rows.sort(key=lambda t: (t.desa, t.tps))

        levels = Levels(scope=scope, tps=tps_rows, tps_list_given=tps_list is not None)
        desa_codes = set(self.desa) | {t.desa for t in tps_rows}
        for desa in sorted(desa_codes):
            levels.desa[desa] = AreaReport(desa, self.desa.get(desa, Counts()), Staffing())
        for t in tps_rows:
            if t.listed:
                levels.desa[t.desa].staffing.add_tps(t.counts.filled, t.counts.received)
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
    tps_list_given: bool = False
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
        """Listed TPS short of candidates: those without any applicant first, then worst first, then by code."""
        if self._shortage is None:
            self._shortage = sorted((t for t in self.tps if t.listed and t.shortage > 0), key=urgency)
        return self._shortage

    def unlisted(self) -> list[TpsRow]:
        """TPS that tonight's applicants named but the TPS list lacks (empty without a list)."""
        return [t for t in self.tps if not t.listed and t.counts.received] if self.tps_list_given else []

    def changed_tps(self) -> list[TpsRow]:
        """TPS whose dossiers or filled seats changed since the previous night: seats lost first."""
        changed = [t for t in self.tps if t.changed]
        return sorted(changed, key=lambda t: (t.counts.filled - t.counts.filled_before, t.desa, t.tps))
