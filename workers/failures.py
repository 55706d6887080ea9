"""What happens when a dossier job fails: the failure is written to the store, and after the last attempt
the dossier is flagged for review (reason PROCESSING_FAILED), so no dossier is ever silently lost.

Failure records (`failures/<dossier_id>/<stamp>-<attempt>.json`) may hold the error text; logs only hold
the error type and reason code (an error text may quote personal data).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from models.contract import Wilayah
from pipeline import __version__, queue_index
from pipeline.errors import BerkasError, ObjectNotFound, StorageError, WriteConflict
from pipeline.provenance import code_revision
from pipeline.publish import area_match_info
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

FAILED_REASON = "PROCESSING_FAILED"
FAILED_MESSAGE = (
    "Berkas gagal diproses otomatis setelah beberapa kali percobaan. "
    "Periksa berkas secara manual atau minta operator memproses ulang."
)
_MAX_TEXT = 500


def record_failure(
    store: ObjectStore,
    dossier_id: str,
    *,
    job_id: str,
    error: BaseException | None,
    error_type: str,
    attempt: int,
    final: bool,
    regions: Any = None,
) -> str | None:
    """Write the failure record; when `final`, also the review flag. Returns the record's key.

    Never raises: a callback that raises would replace the job's own error in RQ's records. When the store
    itself is down, the failure stays visible in RQ's failed-job registry (`berkas status`).
    """
    now = datetime.now(UTC)
    code = error.code if isinstance(error, BerkasError) else "UNEXPECTED_ERROR"
    record = {
        "dossier_id": dossier_id,
        "job_id": job_id,
        "attempt": attempt,
        "final": final,
        "error_type": error_type,
        "code": code,
        "detail": (str(error) if error is not None else "")[:_MAX_TEXT],
        "at": now.isoformat(timespec="seconds"),
    }
    try:
        key = keys.failure_key(dossier_id, now, attempt)
        store.put_json(key, record)
        if final:
            area, area_match = _registered_area(store, dossier_id, regions)
            flag = failure_flag(dossier_id, key, code, now)
            flag["area_match"] = area_match
            store.put_json(keys.flag_key(area, dossier_id), flag)
            queue_index.mark(store, area, dossier_id)  # the review queue's index re-reads this flag
    except (StorageError, ValueError) as e:
        log.error("dossier job %s: failure could not be recorded (%s)", job_id, type(e).__name__)
        return None
    log.warning("dossier %s: attempt %d failed (%s, %s)%s", dossier_id, attempt, error_type, code,
                "; flagged for review" if final else "; will retry")
    return key


def failure_flag(dossier_id: str, failure_key: str, code: str, now: datetime) -> dict[str, Any]:
    """A review-queue entry of the same shape as pipeline.publish.flag_body, plus `failed`."""
    return {
        "dossier_id": dossier_id,
        "status": "needs_review",
        "reasons": [FAILED_REASON],
        "message": FAILED_MESSAGE,
        "missing_documents": [],
        "flagged_at": now.isoformat(timespec="seconds"),
        "result_key": keys.result_key(dossier_id),
        "failure_key": failure_key,
        "error": code,
        "failed": True,
        # no requirements were applied (nothing was decided): which code failed is what an objection needs
        "provenance": {"requirements_version": None, "requirements_sha256": None,
                       "pipeline_version": __version__, "code_revision": code_revision()},
    }


def area_of_dossier(store: ObjectStore, dossier_id: str, regions: Any) -> keys.AreaCodes:
    """The registered area's codes, as pipeline.publish computes them; unknown when it cannot be read."""
    return _registered_area(store, dossier_id, regions)[0]


def _registered_area(store: ObjectStore, dossier_id: str, regions: Any) -> tuple[keys.AreaCodes, dict | None]:
    """(area codes, match scores as the flag records them); (unknown, None) when the area cannot be read."""
    if regions is None:
        return keys.AreaCodes.unknown(), None
    try:
        wilayah = Wilayah.model_validate(store.get_json(keys.registration_key(dossier_id))["wilayah"])
    except (ObjectNotFound, StorageError, KeyError, TypeError, ValidationError):
        return keys.AreaCodes.unknown(), None
    route = regions.route(wilayah.provinsi, wilayah.kabupaten_kota, wilayah.kecamatan, wilayah.desa_kelurahan)
    info = area_match_info(wilayah, regions)
    return keys.AreaCodes.from_route(route, tps=wilayah.tps), info.model_dump(mode="json") if info else None


def clear_failure_flag(store: ObjectStore, area: keys.AreaCodes, dossier_id: str, replacement: dict | None) -> bool:
    """After a later success: replace (or delete, when `replacement` is None) a failure flag left at `area`.

    Returns True when a failure flag was found. Flags written by publish are left alone.
    """
    key = keys.flag_key(area, dossier_id)
    try:
        body, etag = store.get_json_etag(key)
    except ObjectNotFound:
        return False
    if not (isinstance(body, dict) and body.get("failed")):
        return False
    try:  # only the failure flag just read: a flag a publish wrote meanwhile stays
        if replacement is None:
            store.delete(key, if_match=etag)
        else:
            store.put_json(key, replacement, if_match=etag)
    except WriteConflict:
        return False
    queue_index.mark(store, area, dossier_id)  # the review queue's index re-reads this flag
    return True
