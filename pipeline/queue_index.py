"""The review queue's change marks, written by every process that writes a flag.

The review app keeps its queue as rows of its database (`review/queue_sync.py`, `review/queue.py`); the
pipeline's processes never open that database. Instead, every writer of a flag calls `mark(store, area,
dossier_id)` AFTER its write: a tiny object `queue-index/pending/<kab>/<kec>/<desa>~<tps>~<dossier_id>~<token>`
meaning "this dossier's queue row may have changed" (a dossier that moved is marked under the old area and
the new). The app folds the marks under an account's area into its tables before it serves a queue page, and
`berkas review reindex` rebuilds the tables from the flags at any time. The flags stay the source of truth.

`QueueRow` is what a flag contributes to the queue (ids and codes only, no names).
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

from pipeline.storage import keys
from pipeline.storage.base import ObjectStore


def mark(store: ObjectStore, area: keys.AreaCodes, dossier_id: str) -> None:
    """Tell the review queue that `dossier_id`'s row under `area` may have changed. Call it after writing the
    flag (for a dossier that moved: once for the old area, once for the new)."""
    token = keys.utc_stamp().replace("T", "").replace("Z", "") + secrets.token_hex(4)
    store.put_bytes(keys.queue_pending_key(area, dossier_id, token), b"")


class QueueRow(NamedTuple):
    """One queue row as a flag gives it: what the queue filters, counts, orders and shows."""

    dossier_id: str
    kab: str | None
    kec: str | None
    desa: str | None
    tps: str | None
    status: str
    reasons: list[str]
    missing: list[str]
    flagged_at: str
    decision: str | None = None  # MS / TMS / DOCS_REQUESTED: the latest decision, if any
    decided_for: str | None = None  # the `processed_at` of the result that decision was made on

    @property
    def area(self) -> keys.AreaCodes:
        return keys.AreaCodes(self.kab, self.kec, self.desa, self.tps)

    @property
    def decided(self) -> bool:
        """A decision counts for the result it was made on; a newer result reopens the dossier."""
        return self.decision is not None and self.decided_for == self.flagged_at


def row_from_flag(area: keys.AreaCodes, dossier_id: str, body: dict, decision: dict | None) -> QueueRow:
    """The row of a flag object (and the dossier's latest decision, as the app shows it, if any)."""
    return QueueRow(body.get("dossier_id") or dossier_id, area.kab_code, area.kec_code, area.desa_code, area.tps,
                    body.get("status", ""), list(body.get("reasons") or []),
                    list(body.get("missing_documents") or []), body.get("flagged_at") or "",
                    decision.get("decision") if decision else None,
                    decision.get("result_processed_at") if decision else None)


__all__ = ["QueueRow", "mark", "row_from_flag"]
