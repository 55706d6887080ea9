"""Compact per-dossier state of one night's report, to tell what changed since the previous night.

One gzip'd TSV per kabupaten/kota at `reports/<date>/snapshot/<kab>.tsv.gz`, one line per dossier:
`desa<TAB>tps<TAB>dossier_id<TAB>status<TAB>decision<TAB>flags` (decision `-` for none; flags: reason
codes and `missing:<doc>`, comma-separated, `-` for none). Snapshots written before the TPS column was
added have five columns; their dossiers are taken to be at the TPS they name tonight. A report holds
at most one kabupaten's previous snapshot in memory.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass

from models.contract import DossierStatus
from pipeline.reports.aggregate import Change, counts_toward_tps
from pipeline.reports.areas import in_area
from pipeline.reports.summary import Store, SummaryRow

REPORTS_PREFIX = "reports/"
SNAPSHOT_RE = re.compile(r"^reports/(\d{4}-\d{2}-\d{2})/snapshot/([\d.]+|unknown)\.tsv\.gz$")


@dataclass(slots=True)
class Previous:
    desa: str
    tps: str | None  # None in a five-column snapshot
    status: str
    decision: str | None
    flags: frozenset[str]

    @property
    def filled(self) -> bool:
        return self.decision == "approved" or (self.status == DossierStatus.COMPLETE and self.decision is None)


def snapshot_key(date_iso: str, kab: str) -> str:
    return f"{REPORTS_PREFIX}{date_iso}/snapshot/{kab}.tsv.gz"


def row_flags(row: SummaryRow) -> frozenset[str]:
    return frozenset(row.reasons) | {f"missing:{doc}" for doc in row.missing}


def latest_snapshots(store: Store, before: str) -> dict[str, str]:
    """For each kabupaten code, the latest snapshot date strictly before `before` (ISO date)."""
    found: dict[str, str] = {}
    for item in store.list(REPORTS_PREFIX):
        match = SNAPSHOT_RE.match(getattr(item, "key", item))
        if match and match.group(1) < before:
            day, kab = match.groups()
            if day > found.get(kab, ""):
                found[kab] = day
    return found


def load_snapshot(store: Store, key: str, scope: str) -> dict[str, Previous]:
    """dossier_id -> previous state, for the dossiers of `scope` only."""
    text = gzip.decompress(store.get_bytes(key)).decode("utf-8")
    previous: dict[str, Previous] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 5:
            desa, dossier_id, status, decision, flags = fields
            tps = None
        else:
            desa, tps, dossier_id, status, decision, flags = fields
        if in_area(desa, scope):
            previous[dossier_id] = Previous(
                desa=desa,
                tps=tps,
                status=status,
                decision=None if decision == "-" else decision,
                flags=frozenset(flags.split(",")) if flags != "-" else frozenset(),
            )
    return previous


def change_of(row: SummaryRow, previous: Previous | None) -> Change:
    """New: not in the previous snapshot. Newly complete: fills a TPS seat now and did not then.
    Newly flagged: not complete now and carries a reason (or status) it did not carry then.
    Status changed: another status than then. Decided: carries a verifier's decision it did not carry
    then (a decision that was dropped, as re-processing drops a request for documents, is not one)."""
    filled = counts_toward_tps(row)
    decision = str(row.review.decision) if row.review else None
    if previous is None:
        return Change(new=True, newly_complete=filled, newly_flagged=row.status != DossierStatus.COMPLETE,
                      decided=decision is not None)
    flagged = row.status != DossierStatus.COMPLETE and (
        previous.status == DossierStatus.COMPLETE or not row_flags(row) <= previous.flags
    )
    return Change(
        new=False,
        newly_complete=filled and not previous.filled,
        newly_flagged=flagged,
        status_changed=str(row.status) != previous.status,
        decided=decision is not None and decision != previous.decision,
        status_before=previous.status,
        decision_before=previous.decision,
    )


class SnapshotWriter:
    """Collects one kabupaten's lines, compressed as they come."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._gzip = gzip.GzipFile(fileobj=self._buffer, mode="wb", compresslevel=6, mtime=0)

    def add(self, row: SummaryRow, desa: str) -> None:
        """`desa`: the code the row is counted under (placeholders for unknown levels)."""
        decision = str(row.review.decision) if row.review else "-"
        flags = ",".join(sorted(row_flags(row))) or "-"
        line = f"{desa}\t{row.tps}\t{row.dossier_id}\t{row.status}\t{decision}\t{flags}\n"
        self._gzip.write(line.encode("utf-8"))

    def close(self) -> bytes:
        self._gzip.close()
        return self._buffer.getvalue()
