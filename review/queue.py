"""The review queue: flagged dossiers inside an account's area, filtered, oldest first, with counts.

Rows come from the queue index (`pipeline.queue_index`: compact per-kecamatan objects kept current by pending
marks), so a page costs a few object reads whatever the size of the area. `build_queue(..., index=False)`
reads every flag object instead (the original way, kept as the reference the tests and the benchmark compare
the index with). Scoping is the same either way: the account's flag prefix (`review.scope.queue_prefix`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

from pipeline.errors import StorageError
from pipeline.queue_index import QueueIndex, QueueRow, read_decision, row_from_flag
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.accounts import Account
from review.claims import Claim, Claims
from review.scope import queue_prefix

log = logging.getLogger(__name__)

STATES = ("terbuka", "diputuskan", "semua")  # open (no decision on the current result), decided, all
# orders of the queue: oldest flag first (the default), newest first, by status, by first reason
SORTS = {"lama": "Ditandai paling lama", "baru": "Ditandai paling baru", "status": "Status", "alasan": "Alasan"}
_STATUS_ORDER = {"not_eligible": 0, "incomplete": 1, "needs_review": 2, "complete": 3}


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
    def from_row(cls, row: QueueRow) -> QueueItem:
        decision = None if row.decision is None else {"decision": row.decision,
                                                      "result_processed_at": row.decided_for}
        return cls(row.dossier_id, row.status, row.reasons, row.missing, row.flagged_at, row.area,
                   decision=decision)


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


def load_rows(store: ObjectStore, prefix: str) -> list[QueueRow]:
    """Every flag under `prefix`, read one by one (the reference path; O(flags) object reads)."""
    decided = {k[len(keys.DECISIONS_PREFIX):-len(".json")] for k in store.list(keys.DECISIONS_PREFIX)}
    items = []
    for key in store.list(prefix):
        try:
            area = keys.area_from_flag_key(key)
            body = store.get_json(key)
        except (ValueError, StorageError) as e:
            log.warning("skipping unreadable flag %s: %s", key, e)
            continue
        dossier_id = body.get("dossier_id") or keys.dossier_id_from_key(key)
        decision = read_decision(store, dossier_id) if dossier_id in decided else None
        items.append(row_from_flag(area, dossier_id, body, decision))
    return items


_ORDER = attrgetter("flagged_at", "dossier_id")  # oldest flag first


def _segments(prefix: str) -> tuple[str, ...]:
    """`flags/35.75/35.75.02/` -> ("35.75", "35.75.02")."""
    return tuple(p for p in prefix[len("flags/"):].split("/") if p)


def _sorted(items: list[QueueRow], sort: str) -> list[QueueRow]:
    items = sorted(items, key=_ORDER)  # ties always oldest first, then by id: a stable page order
    if sort == "baru":
        items.sort(key=attrgetter("flagged_at"), reverse=True)
    elif sort == "status":
        items.sort(key=lambda r: _STATUS_ORDER.get(r.status, 9))
    elif sort == "alasan":
        items.sort(key=lambda r: (min(r.reasons) if r.reasons else "~"))
    return items


Search = Callable[[list[QueueRow]], list[QueueRow]]


def build_queue(store: ObjectStore, claims: Claims, account: Account, flt: QueueFilter,
                *, page: int = 1, page_size: int = 50, index: bool = True,
                search: Search | None = None) -> QueuePage:
    """One page of the account's queue. Area scoping happens here, on the listed prefix.

    `search` narrows the filtered rows and gives them in its own order (best match first); without it the
    rows are in `flt.sort` order."""
    prefix = queue_prefix(account, flt.desa, flt.tps)
    if prefix is None:
        return QueuePage(items=[], total=0, refused=True)
    items = QueueIndex(store).rows(_segments(prefix)) if index else load_rows(store, prefix)
    tps = keys.normalise_tps(flt.tps) if flt.tps else None
    if tps:
        items = [i for i in items if i.tps == tps]
    desa_options = sorted({i.desa for i in items if i.desa})
    if flt.state == "terbuka":
        items = [i for i in items if not i.decided]
    elif flt.state == "diputuskan":
        items = [i for i in items if i.decided]
    by_status = Counter(i.status for i in items)
    by_reason = Counter(r for i in items for r in i.reasons)
    if flt.status:
        items = [i for i in items if i.status == flt.status]
    if flt.reason:
        items = [i for i in items if flt.reason in i.reasons]
    items = search(items) if search is not None else _sorted(items, flt.sort)
    start = (max(page, 1) - 1) * page_size
    shown = [QueueItem.from_row(r) for r in items[start:start + page_size]]
    claimed = claims.claimed_ids()  # claims are shown, never filtered on: read only those of this page
    for item in shown:
        if item.dossier_id in claimed:
            item.claim = claims.get(item.dossier_id)
    return QueuePage(items=shown, total=len(items), by_status=by_status,
                     by_reason=by_reason, desa_options=desa_options)
