"""Verifier corrections that survive re-processing.

A correction made in the review app is written twice: into the result (the field's value, confidence 1.0
and `DocumentResult.corrected[field]`) and as a record of its own, `corrections/<id>/<stamp>-<n>.json`,
naming the page it was made on by file name, sha256 and page number. When the dossier is processed again
from its scans (a new upload re-queues it), `apply_corrections` puts every recorded correction back onto
the new reading of the same page, so a verifier's reading is never silently replaced by the machine's:

- the page is read again (same sha256 and page number; a renamed file with the same bytes counts) and the
  field belongs to its document type: the value is set again, with its provenance (`corrected[field]`:
  who, when, and what the reading said this time);
- the file is still there but could not be read this time: the correction is kept, not applied (a later
  run applies it);
- the page is gone (the file was replaced or removed), or the page is now read as another document type
  that has no such field: the correction is dropped, once: a tombstone `corrections/<id>/dropped/<name>`
  (put_if_absent) and an audit entry `correction_dropped` with the reason code.

Records are written once and never changed, so the review app and a worker never overwrite each other.
When several corrections name the same page and field, the latest wins. The review app publishes the
corrected result with `publish_correction`: the correction is put on the result stored now and published only
over that same result (compare-and-swap); when a processing run or a duplicate re-check publishes meanwhile,
the correction is put again on the newer result, so neither the correction nor the newer reading is lost.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.contract import FIELDS_BY_TYPE, DocumentResult, DossierResult, FieldCorrection, FileError
from pipeline import audit
from pipeline.errors import WriteConflict
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

PAGE_GONE = "PAGE_GONE"
DOCUMENT_TYPE_CHANGED = "DOCUMENT_TYPE_CHANGED"


def record(store: ObjectStore, dossier_id: str, doc: DocumentResult, field_name: str, value: Any, *,
           by: str, role: str, before: Any) -> tuple[str, FieldCorrection]:
    """Write one correction record; returns its key and the provenance to put on the document."""
    now = datetime.now(UTC)
    body = {"dossier_id": dossier_id, "file": doc.file, "sha256": doc.sha256, "page": doc.page,
            "document_type": doc.type.value, "field": field_name, "value": value, "before": before,
            "by": by, "role": role, "at": now.isoformat(timespec="seconds")}
    for n in range(1000):
        key = keys.correction_key(dossier_id, now, n)
        if store.put_if_absent(key, _json(body), content_type="application/json"):
            return key, FieldCorrection(by=by, role=role, at=body["at"], read_value=before, correction=key)
    raise RuntimeError(f"corrections of {dossier_id}: no free key at {now.isoformat()}")


def load(store: ObjectStore, dossier_id: str) -> list[tuple[str, dict]]:
    """The dossier's live correction records (not dropped), oldest first."""
    live, dropped = [], set()
    prefix = keys.corrections_prefix(dossier_id)
    for key in store.list(prefix):
        rest = key[len(prefix):]
        if rest.startswith("dropped/"):
            dropped.add(prefix + rest[len("dropped/"):])
        elif "/" not in rest:
            live.append(key)
    return [(k, store.get_json(k)) for k in live if k not in dropped]


@dataclass
class Applied:
    """What `apply_corrections` did (keys of correction records), for the audit trail and the log."""

    applied: list[dict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def apply_corrections(store: ObjectStore, dossier_id: str, documents: list[DocumentResult],
                      errors: list[FileError]) -> Applied:
    """Put the recorded corrections onto a new reading (`documents` are changed in place)."""
    out = Applied()
    records = load(store, dossier_id)
    if not records:
        return out
    by_sha: dict[tuple[Any, Any], DocumentResult] = {(d.sha256, d.page): d for d in documents if d.sha256}
    by_name = {(d.file, d.page): d for d in documents}
    unreadable = {e.file for e in errors}
    for key, c in records:
        doc = by_sha.get((c.get("sha256"), c.get("page"))) if c.get("sha256") else by_name.get((c["file"], c["page"]))
        if doc is None:
            if c.get("file") in unreadable:
                out.kept.append(key)
            else:
                _drop(store, dossier_id, key, c, PAGE_GONE)
                out.dropped.append(key)
            continue
        name = c["field"]
        if name not in FIELDS_BY_TYPE.get(doc.type, ()):
            _drop(store, dossier_id, key, c, DOCUMENT_TYPE_CHANGED, now_type=doc.type.value)
            out.dropped.append(key)
            continue
        earlier = doc.corrected.get(name)
        read_value = earlier.read_value if earlier is not None else doc.fields.get(name)
        doc.fields[name] = c["value"]
        doc.confidence[name] = 1.0
        doc.corrected[name] = FieldCorrection(by=c["by"], role=c.get("role"), at=c["at"], read_value=read_value,
                                              correction=key)
        out.applied.append({"correction": key, "file": doc.file, "page": doc.page, "field": name,
                            "changed": read_value != c["value"]})
    log.info("dossier %s: %d verifier corrections re-applied, %d kept for an unreadable file, %d dropped",
             dossier_id, len(out.applied), len(out.kept), len(out.dropped))
    return out


def audit_reapplied(store: ObjectStore, dossier_id: str, applied: Applied, result: DossierResult) -> None:
    """One audit entry per processing run that put corrections back (which ones; values are in the records)."""
    if applied.applied or applied.kept:
        audit.append(store, dossier_id, "corrections_reapplied", *audit.SYSTEM, after=applied.applied,
                     kept=applied.kept, status=result.status.value, result_processed_at=result.processed_at)


def publish_correction(store: ObjectStore, runtime: Any, dossier_id: str, *, doc: DocumentResult, field_name: str,
                       value: Any, provenance: FieldCorrection, recheck: Any, attempts: int = 20) -> DossierResult:
    """Put a recorded correction on the stored result and publish it through `recheck(store, runtime, dossier_id,
    registration, documents, errors, registration_error, expect=etag)` (process.evaluate_and_publish), again on the
    newer result while other writers publish first. `doc` names the page (sha256 or file, and page number). When
    the page is gone from the stored result, the stored result is returned unchanged (the record stays; the next
    processing run drops it, audited)."""
    from pipeline.process import DossierContext, load_registration
    from pipeline.publish import read_result

    for _attempt in range(attempts):
        stored, etag = read_result(store, dossier_id)
        if stored is None:
            raise WriteConflict(f"results/{dossier_id}: gone while a correction was published")
        documents = [d.model_copy(deep=True) for d in stored.documents]
        target = next((d for d in documents if d.page == doc.page and (
            d.sha256 == doc.sha256 if doc.sha256 else d.file == doc.file)), None)
        if target is None or field_name not in FIELDS_BY_TYPE.get(target.type, ()):
            log.info("dossier %s: corrected page no longer in the result; kept for the next run", dossier_id)
            return stored
        earlier = target.corrected.get(field_name)
        read_value = earlier.read_value if earlier is not None else target.fields.get(field_name)
        target.fields[field_name] = value
        target.confidence[field_name] = 1.0
        target.corrected[field_name] = provenance.model_copy(update={"read_value": read_value})
        ctx = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
        load_registration(ctx)
        errors = [e for e in stored.errors if e.file != "registration.json"]
        try:
            return recheck(store, runtime, dossier_id, ctx.registration, documents, errors, ctx.registration_error,
                           expect=etag)
        except WriteConflict:
            log.info("dossier %s: result changed while a correction was published; putting it on the newer one",
                     dossier_id)
    raise WriteConflict(f"results/{dossier_id}: still changing after {attempts} attempts to publish a correction")


def _drop(store: ObjectStore, dossier_id: str, key: str, c: dict, reason: str, **extra: Any) -> None:
    """Tombstone + audit entry, once per correction however often the dossier is processed."""
    tomb = {"correction": key, "reason": reason, "at": datetime.now(UTC).isoformat(timespec="seconds"), **extra}
    if store.put_if_absent(keys.correction_dropped_key(key), _json(tomb), content_type="application/json"):
        audit.append(store, dossier_id, "correction_dropped", *audit.SYSTEM, reason=reason, correction=key,
                     before={"value": c.get("value"), "by": c.get("by")}, field=c.get("field"), file=c.get("file"),
                     page=c.get("page"), sha256=c.get("sha256"), **extra)
        log.info("dossier %s: a correction of %s dropped (%s)", dossier_id, c.get("field"), reason)


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode("utf-8")


__all__ = ["Applied", "apply_corrections", "audit_reapplied", "load", "publish_correction", "record", "PAGE_GONE",
           "DOCUMENT_TYPE_CHANGED"]
