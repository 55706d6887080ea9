"""The audit trail: one object per action under `audit/<dossier_id>/`, written once, never overwritten.

Written by the review app (verifier actions) and by the pipeline (what it did with verifier corrections on
re-processing, as `by="berkas", role="system"`); read by the review app's dossier page.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

SYSTEM = ("berkas", "system")  # (by, role) of entries the pipeline writes


def append(store: ObjectStore, dossier_id: str, action: str, by: str, role: str, *,
           before: Any = None, after: Any = None, note: str | None = None, **extra: Any) -> str:
    """Write one audit entry and return its key; never replaces an existing entry."""
    now = datetime.now(UTC)
    entry = {"dossier_id": dossier_id, "action": action, "by": by, "role": role,
             "at": now.isoformat(timespec="microseconds"), "before": before, "after": after, "note": note, **extra}
    data = json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode("utf-8")
    for n in range(1000):
        key = keys.audit_key(dossier_id, now, n)
        if store.put_if_absent(key, data, content_type="application/json"):
            log.info("audit %s: %s by %s", dossier_id, action, by)
            return key
    raise RuntimeError(f"audit trail of {dossier_id}: no free key at {now.isoformat()}")


def trail(store: ObjectStore, dossier_id: str) -> list[dict]:
    """Every entry of a dossier, oldest first."""
    return [store.get_json(k) for k in store.list(keys.audit_prefix(dossier_id))]
