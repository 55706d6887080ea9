"""The review queue: flagged dossiers inside an account's area, filtered, sorted, counted and paged by the
review database (`queue_rows`, kept in step with the flags by `review.queue_sync`).

Scoping is a WHERE on the area codes of the account (and of the desa / TPS asked for); an ADMIN sees every
row, dossiers of an unresolved area included. A search (review.search) narrows the rows by name or NIK.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.accounts import Account
from review.claims import Claim, Claims
from review.db import QueueReasonRow, QueueRowRow, ReviewDB
from review.queue_sync import QueueSync
from review.scope import scope_codes
from review.search import NameSearch, NikSearch

log = logging.getLogger(__name__)

STATES = ("terbuka", "diputuskan", "semua")  # open (no decision on the current result), decided, all
# orders of the queue: oldest flag first (the default), newest first, by status, by first reason
SORTS = {"lama": "Ditandai paling lama", "baru": "Ditandai paling baru", "status": "Status", "alasan": "Alasan"}
_ORDER: dict[str, tuple[Any, ...]] = {
    "lama": (QueueRowRow.flagged_at, QueueRowRow.dossier_id),
    "baru": (QueueRowRow.flagged_at.desc(), QueueRowRow.dossier_id),
    "status": (QueueRowRow.status_order, QueueRowRow.flagged_at, QueueRowRow.dossier_id),
    "alasan": (QueueRowRow.first_reason, QueueRowRow.flagged_at, QueueRowRow.dossier_id),
}

Search = NameSearch | NikSearch


@dataclass
class QueueItem:
    dossier_id: str
    status: str
    reasons: list[str]
    missing: list[str]
    flagged_at: str
    area: keys.AreaCodes
    claim: Claim | None = None
    decision: dict | None = None

    @property
    def decided(self) -> bool:
        """A decision counts for the result it was made on; a newer result reopens the dossier."""
        return self.decision is not None and self.decision.get("result_processed_at") == self.flagged_at

    @classmethod
    def from_row(cls, row: QueueRowRow) -> QueueItem:
        decision = None if row.decision is None else {"decision": row.decision,
                                                      "result_processed_at": row.decided_for}
        return cls(row.dossier_id, row.status, list(row.reasons or []), list(row.missing or []), row.flagged_at,
                   keys.AreaCodes(row.kab, row.kec, row.desa, row.tps), decision=decision)


@dataclass
class QueueFilter:
    status: str | None = None
    reason: str | None = None
    desa: str | None = None
    tps: str | None = None
    state: str = "terbuka"
    sort: str = "lama"


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    by_status: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    desa_options: list[str] = field(default_factory=list)
    refused: bool = False


def _scope(codes: tuple[str | None, ...], table: Any = QueueRowRow) -> list[ColumnElement[bool]]:
    columns = (table.kab, table.kec, table.desa, table.tps)
    return [c == v for c, v in zip(columns, codes, strict=False) if v is not None]


def build_queue(store: ObjectStore, db: ReviewDB, claims: Claims, account: Account, flt: QueueFilter,
                *, page: int = 1, page_size: int = 50, search: Search | None = None,
                refresh: bool = True) -> QueuePage:
    """One page of the account's queue: pending flag changes folded in first, then queries."""
    codes = scope_codes(account, flt.desa, flt.tps)
    if codes is None:
        return QueuePage(items=[], total=0, refused=True)
    if refresh:
        QueueSync(store, db).refresh(tuple(codes[:4]))
    where, reason_where = _scope(codes), _scope(codes, QueueReasonRow)
    tps = keys.normalise_tps(flt.tps) if flt.tps else None
    if tps and len(codes) < 4:  # a TPS asked for without a desa, above the kecamatan
        where.append(QueueRowRow.tps == tps)
        reason_where.append(QueueReasonRow.tps == tps)
    with db.read() as s:
        desa_options = [d for d in s.scalars(select(QueueRowRow.desa).where(*where).distinct()) if d]
        if flt.state in ("terbuka", "diputuskan"):
            where.append(QueueRowRow.decided.is_(flt.state == "diputuskan"))
            reason_where.append(QueueReasonRow.decided.is_(flt.state == "diputuskan"))
        by_status = Counter(dict(s.execute(select(QueueRowRow.status, func.count()).where(*where)
                                           .group_by(QueueRowRow.status)).all()))
        by_reason = Counter(dict(s.execute(select(QueueReasonRow.reason, func.count()).where(*reason_where)
                                           .group_by(QueueReasonRow.reason)).all()))
        if flt.status:
            where.append(QueueRowRow.status == flt.status)
        if flt.reason:
            where.append(QueueRowRow.dossier_id.in_(
                select(QueueReasonRow.dossier_id).where(QueueReasonRow.reason == flt.reason)))
        start = (max(page, 1) - 1) * page_size
        if search is None:
            total = s.scalar(select(func.count()).select_from(QueueRowRow).where(*where)) or 0
            rows = list(s.scalars(select(QueueRowRow).where(*where).order_by(*_ORDER.get(flt.sort, _ORDER["lama"]))
                                  .offset(start).limit(page_size)))
        elif isinstance(search, NikSearch):
            where.append(QueueRowRow.dossier_id.in_(search.holders or {""}))
            total = s.scalar(select(func.count()).select_from(QueueRowRow).where(*where)) or 0
            rows = list(s.scalars(select(QueueRowRow).where(*where).order_by(*_ORDER["lama"])
                                  .offset(start).limit(page_size)))
        else:
            found = search.rank(list(s.execute(
                select(QueueRowRow.dossier_id, QueueRowRow.name, QueueRowRow.flagged_at)
                .where(*where, search.candidates(db.dialect, QueueRowRow.name)))))
            total = len(found)
            wanted = found[start:start + page_size]
            by_id = {r.dossier_id: r for r in s.scalars(select(QueueRowRow).where(QueueRowRow.dossier_id.in_(wanted)))}
            rows = [by_id[i] for i in wanted if i in by_id]
        shown = [QueueItem.from_row(r) for r in rows]
    held = claims.active([i.dossier_id for i in shown])  # claims are shown, never filtered on
    for item in shown:
        item.claim = held.get(item.dossier_id)
    return QueuePage(items=shown, total=total, by_status=by_status, by_reason=by_reason,
                     desa_options=sorted(desa_options))


__all__ = ["QueueFilter", "QueueItem", "QueuePage", "SORTS", "STATES", "Search", "build_queue", "scope_codes"]
