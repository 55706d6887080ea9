"""Compact per-dossier state of one night's report, to count what changed since the previous night.

One gzip'd TSV per kabupaten/kota at `reports/<date>/snapshot/<kab>.tsv.gz`, one line per dossier:
`desa<TAB>dossier_id<TAB>status<TAB>decision<TAB>flags` (flags: reason codes and `missing:<doc>`,
comma-separated; `-` for none). A report holds at most one kabupaten's previous snapshot in memory.
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


@dataclass(frozen=True)
class Previous:
    status: str
    filled: bool
    flags: frozenset[str]


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
        desa, dossier_id, status, decision, flags = line.split("\t")
        if in_area(desa, scope):
            previous[dossier_id] = Previous(
                status=status,
                filled=decision == "approved" or (status == DossierStatus.COMPLETE and decision == "-"),
                flags=frozenset(flags.split(",")) if flags != "-" else frozenset(),
            )
    return previous


def change_of(row: SummaryRow, previous: Previous | None) -> Change:
    """New: not in the previous snapshot. Newly complete: fills a TPS seat now and did not then.
    Newly flagged: not complete now and carries a reason (or status) it did not carry then."""
    filled = counts_toward_tps(row)
    if previous is None:
        return Change(new=True, newly_complete=filled, newly_flagged=row.status != DossierStatus.COMPLETE)
    flagged = row.status != DossierStatus.COMPLETE and (
        previous.status == DossierStatus.COMPLETE or not row_flags(row) <= previous.flags
    )
    return Change(new=False, newly_complete=filled and not previous.filled, newly_flagged=flagged)


class SnapshotWriter:
    """Collects one kabupaten's lines, compressed as they come."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._gzip = gzip.GzipFile(fileobj=self._buffer, mode="wb", compresslevel=6, mtime=0)

    def add(self, row: SummaryRow, desa: str) -> None:
        """`desa`: the code the row is counted under (placeholders for unknown levels)."""
        decision = str(row.review.decision) if row.review else "-"
        flags = ",".join(sorted(row_flags(row))) or "-"
        line = f"{desa}\t{row.dossier_id}\t{row.status}\t{decision}\t{flags}\n"
        self._gzip.write(line.encode("utf-8"))

    def close(self) -> bytes:
        self._gzip.close()
        return self._buffer.getvalue()
