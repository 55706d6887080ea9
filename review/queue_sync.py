"""Keeping the queue tables (`queue_rows`, `queue_reasons`) in step with the flags in the object store.

The flags stay the pipeline's source of truth, and the workers never open the review database: every writer
of a flag still leaves a pending mark (`pipeline.queue_index.mark`, "this dossier's row may have changed").
Before a queue page is served, `QueueSync.refresh` lists the marks under the account's area, re-reads the
flag (and the registered name) of each marked dossier, writes its row, and deletes the marks it listed
before reading: a mark written meanwhile survives and is applied by the next page. `rebuild` (`berkas
review reindex`) makes every row of an area again from the flags, the decisions coming from the database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from pipeline.errors import ObjectNotFound, StorageError
from pipeline.names import normalise_name
from pipeline.queue_index import QueueRow, row_from_flag
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.db import DecisionRow, QueueReasonRow, QueueRowRow, ReviewDB, latest_decisions

log = logging.getLogger(__name__)

STATUS_ORDER = {"not_eligible": 0, "incomplete": 1, "needs_review": 2, "complete": 3}


def record_decision(s: Session, dossier_id: str, decision: str, decided_for: str | None) -> None:
    """The dossier's queue row (and its reason rows) after a decision on the result processed at
    `decided_for`, in the decision's own transaction: decided while the flag shown is that result's (as
    `table_row` computes it when the row is made from a flag)."""
    s.execute(update(QueueRowRow).where(QueueRowRow.dossier_id == dossier_id).values(
        decision=decision, decided_for=decided_for, decided=QueueRowRow.flagged_at == (decided_for or "")))
    s.execute(update(QueueReasonRow).where(QueueReasonRow.dossier_id == dossier_id).values(
        decided=select(QueueRowRow.decided).where(QueueRowRow.dossier_id == dossier_id).scalar_subquery()))


def table_row(row: QueueRow, name: str, decision: DecisionRow | None) -> dict[str, Any]:
    """The `queue_rows` values of a flag's row, its registered name and the dossier's latest decision."""
    decided_for = decision.result_processed_at if decision else None
    return dict(
        dossier_id=row.dossier_id, kab=row.kab, kec=row.kec, desa=row.desa, tps=row.tps, status=row.status,
        status_order=STATUS_ORDER.get(row.status, 9), reasons=list(row.reasons),
        first_reason=min(row.reasons) if row.reasons else "~", missing=list(row.missing),
        flagged_at=row.flagged_at, name=name, decision=decision.decision if decision else None,
        decided_for=decided_for, decided=decision is not None and decided_for == row.flagged_at)


def put_rows(s: Session, rows: list[dict[str, Any]], *, replace: bool = True) -> None:
    """Write the rows (and their reasons) of these dossiers, replacing what was there."""
    if not rows:
        return
    ids = [r["dossier_id"] for r in rows]
    for chunk in range(0, len(ids), 500) if replace else ():
        s.execute(delete(QueueReasonRow).where(QueueReasonRow.dossier_id.in_(ids[chunk:chunk + 500])))
        s.execute(delete(QueueRowRow).where(QueueRowRow.dossier_id.in_(ids[chunk:chunk + 500])))
    s.execute(insert(QueueRowRow), rows)
    s.execute(insert(QueueReasonRow), [{"dossier_id": r["dossier_id"], "reason": reason, "kab": r["kab"],
                                        "kec": r["kec"], "desa": r["desa"], "tps": r["tps"], "decided": r["decided"]}
                                       for r in rows for reason in sorted(set(r["reasons"]))])


class QueueSync:
    def __init__(self, store: ObjectStore, db: ReviewDB) -> None:
        self.store = store
        self.db = db

    def _name(self, dossier_id: str) -> str:
        try:
            return normalise_name(str(self.store.get_json(keys.registration_key(dossier_id)).get("nama") or ""))
        except (ObjectNotFound, ValueError):
            return ""

    def refresh(self, segments: tuple[str | None, ...] = ()) -> int:
        """Fold the pending marks under `segments` (kab, kec, desa, tps) into the tables; returns how many
        dossiers were looked at again."""
        pending = list(self.store.list(keys.queue_pending_prefix(*segments[:4])))
        if not pending:
            return 0
        marks: dict[str, list[tuple[keys.AreaCodes, str]]] = defaultdict(list)
        for key in pending:
            try:
                area, dossier_id = keys.queue_pending_parse(key)
            except ValueError:
                continue
            marks[dossier_id].append((area, key))
        flags: dict[str, tuple[keys.AreaCodes, dict | None]] = {}
        for dossier_id, seen in marks.items():
            for area in dict.fromkeys(a for a, _k in seen):
                try:
                    body = self.store.get_json(keys.flag_key(area, dossier_id))
                except ObjectNotFound:
                    body = None
                if body is not None or dossier_id not in flags:
                    flags[dossier_id] = (area, body)
        # names come from the store: read before the write transaction, never while holding the database's lock
        names = {d: self._name(d) for d, (_a, b) in flags.items() if b is not None}
        with self.db.write() as s:
            decisions = latest_decisions(s, list(names))
            rows = []
            for dossier_id, (area, body) in flags.items():
                if body is None:  # unflagged (or moved away): the row goes when it still shows that area
                    s.execute(delete(QueueRowRow).where(and_(
                        QueueRowRow.dossier_id == dossier_id, *_same_area(area))))
                    continue
                rows.append(table_row(row_from_flag(area, dossier_id, body, None), names[dossier_id],
                                      decisions.get(dossier_id)))
            put_rows(s, rows)
        for key in pending:
            self.store.delete(key)
        return len(flags)

    def rebuild(self, segments: tuple[str, ...] = ()) -> int:
        """Every row under `segments` (kab, kec) made again from the flags; returns how many rows there are."""
        segments = tuple(segments)[:2]
        pending = list(self.store.list(keys.queue_pending_prefix(*segments)))
        built: list[tuple[QueueRow, str]] = []
        for key in self.store.list(keys.flag_prefix(*segments)):
            try:
                area = keys.area_from_flag_key(key)
                body = self.store.get_json(key)
            except (ValueError, StorageError) as e:
                log.warning("queue: skipping unreadable flag %s: %s", keys.dossier_id_from_key(key), e)
                continue
            dossier_id = body.get("dossier_id") or keys.dossier_id_from_key(key)
            built.append((row_from_flag(area, dossier_id, body, None), self._name(dossier_id)))
        newest: dict[str, tuple[QueueRow, str]] = {}
        for row, name in built:  # a dossier flagged under two areas (a stale flag): the newer one counts
            if row.dossier_id not in newest or newest[row.dossier_id][0].flagged_at < row.flagged_at:
                newest[row.dossier_id] = (row, name)
        built = list(newest.values())
        with self.db.write() as s:
            scope = [c == v for c, v in zip((QueueRowRow.kab, QueueRowRow.kec), segments, strict=False)]
            s.execute(delete(QueueReasonRow).where(QueueReasonRow.dossier_id.in_(
                select(QueueRowRow.dossier_id).where(*scope))))
            s.execute(delete(QueueRowRow).where(*scope))
            for start in range(0, len(built), 2000):
                chunk = built[start:start + 2000]
                decisions = latest_decisions(s, [r.dossier_id for r, _name in chunk])  # this chunk's only
                put_rows(s, [table_row(r, name, decisions.get(r.dossier_id)) for r, name in chunk], replace=False)
        for key in pending:
            self.store.delete(key)
        log.info("queue rebuilt under %s: %d rows", "/".join(segments) or "all", len(built))
        return len(built)


def _same_area(area: keys.AreaCodes) -> list:
    out = []
    for column, value in ((QueueRowRow.kab, area.kab_code), (QueueRowRow.kec, area.kec_code),
                          (QueueRowRow.desa, area.desa_code), (QueueRowRow.tps, area.tps)):
        out.append(column.is_(None) if value is None else column == value)
    return out
