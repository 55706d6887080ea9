"""The review queue: flagged dossiers inside an account's area, filtered, oldest first, with counts."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from pipeline.errors import ObjectNotFound, StorageError
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.accounts import Account
from review.claims import Claim, Claims
from review.scope import queue_prefix

log = logging.getLogger(__name__)

STATES = ("terbuka", "diputuskan", "semua")  # open (no decision on the current result), decided, all


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


@dataclass
class QueueFilter:
    status: str | None = None
    reason: str | None = None
    desa: str | None = None
    tps: str | None = None
    state: str = "terbuka"


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    by_status: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    desa_options: list[str] = field(default_factory=list)
    refused: bool = False


def read_decision(store: ObjectStore, dossier_id: str) -> dict | None:
    try:
        return store.get_json(keys.decision_key(dossier_id))
    except ObjectNotFound:
        return None


def load_items(store: ObjectStore, claims: Claims, prefix: str) -> list[QueueItem]:
    items = []
    for key in store.list(prefix):
        try:
            area = keys.area_from_flag_key(key)
            body = store.get_json(key)
        except (ValueError, StorageError) as e:
            log.warning("skipping unreadable flag %s: %s", key, e)
            continue
        items.append(QueueItem(
            dossier_id=body.get("dossier_id") or keys.dossier_id_from_key(key),
            status=body.get("status", ""), reasons=list(body.get("reasons") or []),
            missing=list(body.get("missing_documents") or []), flagged_at=body.get("flagged_at") or "",
            area=area,
        ))
    claimed = claims.claimed_ids()
    decided = {k[len(keys.DECISIONS_PREFIX):-len(".json")] for k in store.list(keys.DECISIONS_PREFIX)}
    for item in items:
        if item.dossier_id in claimed:
            item.claim = claims.get(item.dossier_id)
        if item.dossier_id in decided:
            item.decision = read_decision(store, item.dossier_id)
    return items


def build_queue(store: ObjectStore, claims: Claims, account: Account, flt: QueueFilter,
                *, page: int = 1, page_size: int = 50) -> QueuePage:
    """One page of the account's queue. Area scoping happens here, on the listed prefix."""
    prefix = queue_prefix(account, flt.desa, flt.tps)
    if prefix is None:
        return QueuePage(items=[], total=0, refused=True)
    items = load_items(store, claims, prefix)
    tps = keys.normalise_tps(flt.tps) if flt.tps else None
    if tps:
        items = [i for i in items if i.area.tps == tps]
    desa_options = sorted({i.area.desa_code for i in items if i.area.desa_code})
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
    items.sort(key=lambda i: (i.flagged_at, i.dossier_id))
    start = (max(page, 1) - 1) * page_size
    return QueuePage(items=items[start:start + page_size], total=len(items), by_status=by_status,
                     by_reason=by_reason, desa_options=desa_options)
