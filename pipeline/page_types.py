"""Document types set by hand: a verifier says what a page is ("Tidak dikenal" -> KTP-el), and every later
reading of that page (same bytes, same page number) reads it as that type instead of classifying it.

One small object per page, `corrections/<id>/types/<sha256>-<page>.json`, overwritten when the verifier
changes their mind (the latest wins; the audit trail keeps each change). Field corrections made on the page
under its old type are dropped by `pipeline.corrections` when the new reading has no such field, as for any
type change.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from models.contract import DocType
from pipeline.errors import ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)


def set_type(store: ObjectStore, dossier_id: str, *, sha256: str, page: int, file: str, doc_type: DocType,
             by: str, role: str) -> dict:
    body = {"dossier_id": dossier_id, "sha256": sha256, "page": int(page), "file": file, "type": doc_type.value,
            "by": by, "role": role, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    store.put_json(keys.page_type_key(dossier_id, sha256, page), body)
    log.info("dossier %s: page %s p%d set to %s by %s", dossier_id, sha256[:12], page, doc_type.value, by)
    return body


def load(store: ObjectStore, dossier_id: str) -> dict[tuple[str, int], DocType]:
    """(sha256, page) -> the type a verifier set, for every page of the dossier that has one."""
    prefix = keys.corrections_prefix(dossier_id) + "types/"
    out: dict[tuple[str, int], DocType] = {}
    for key in store.list(prefix):
        try:
            body = store.get_json(key)
            out[(str(body["sha256"]), int(body["page"]))] = DocType(body["type"])
        except (ObjectNotFound, KeyError, ValueError) as e:
            log.warning("dossier %s: unreadable page type %s (%s)", dossier_id, key, type(e).__name__)
    return out
