"""Write a dossier's result to the store: history first, then the latest result, then the review flag.

Write-then-mark: the history object and `result.json` are written before the flag changes, so a crash at any
point leaves either the old or the new state, never a flag without its result. A result identical to the
stored one (ignoring `processed_at`) is not written again, so a job run twice writes its result once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

from models.contract import AreaMatchInfo, DossierResult, DossierStatus, Wilayah
from pipeline import queue_index
from pipeline.errors import ObjectNotFound
from pipeline.regions import Regions, dotted
from pipeline.reports.summary import delete_summary, summary_from_result, write_summary
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)


def content_digest(result: DossierResult) -> str:
    body = result.model_dump(mode="json", exclude={"processed_at"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def area_of(result: DossierResult, runtime) -> keys.AreaCodes:
    """Where the dossier is filed (flags/, summaries/): the registered area's codes when it matched the region
    table confidently, `unknown` otherwise (pipeline.regions.Regions.route)."""
    w = result.wilayah
    if w is None:
        return keys.AreaCodes.unknown()
    route = runtime.regions.route(w.provinsi, w.kabupaten_kota, w.kecamatan, w.desa_kelurahan)
    return keys.AreaCodes.from_route(route, tps=w.tps)


def area_match_info(wilayah: Wilayah | None, regions: Regions) -> AreaMatchInfo | None:
    """The match scores of the registered area, as result.json and the review flag record them."""
    if wilayah is None:
        return None
    route = regions.route(wilayah.provinsi, wilayah.kabupaten_kota, wilayah.kecamatan, wilayah.desa_kelurahan)
    m = route.match
    codes = {"provinsi": m.provinsi_code, "kabupaten_kota": m.kabkota_code, "kecamatan": m.kecamatan_code,
             "desa": m.desa_code}
    return AreaMatchInfo(confident=route.confident, min_score=route.min_score, scores=route.scores,
                         matched={level: dotted(c) for level, c in codes.items() if c})


def publish_result(store: ObjectStore, result: DossierResult, *, runtime) -> bool:
    """Store `result` as the dossier's latest. Returns False when an identical result was already stored."""
    digest = content_digest(result)
    try:
        old = DossierResult.model_validate(store.get_json(keys.result_key(result.dossier_id)))
    except ObjectNotFound:
        old = None
    if old is not None and content_digest(old) == digest:
        log.info("dossier %s: result unchanged, not rewritten", result.dossier_id)
        return False

    now = datetime.now(UTC)
    result.processed_at = now.isoformat(timespec="seconds")
    body = result.model_dump(mode="json")
    store.put_json(keys.result_history_key(result.dossier_id, now.strftime("%Y%m%dT%H%M%S%fZ"), digest[:8]), body)
    store.put_json(keys.result_key(result.dossier_id), body)

    area = area_of(result, runtime)
    if old is not None:
        old_area = area_of(old, runtime)
        if old_area != area or result.status == DossierStatus.COMPLETE:
            _unflag(store, old_area, result.dossier_id)
        if old_area != area:
            delete_summary(store, old_area, result.dossier_id)
    if result.status != DossierStatus.COMPLETE:
        store.put_json(keys.flag_key(area, result.dossier_id), flag_body(result))
    else:
        _unflag(store, area, result.dossier_id)
    _mark_queue(store, area, old_area if old is not None else None, result.dossier_id)
    _write_summary(store, result, area)
    log.info("dossier %s: published status=%s", result.dossier_id, result.status.value)
    return True


def flag_body(result: DossierResult) -> dict:
    """What the review queue lists: ids, status and reasons only (no names, no NIK)."""
    return {
        "dossier_id": result.dossier_id,
        "status": result.status.value,
        "reasons": sorted({c.reason for c in result.checks if c.reason and c.status.value != "pass"}),
        "missing_documents": [d.value for d in result.missing_documents],
        "flagged_at": result.processed_at,
        "result_key": keys.result_key(result.dossier_id),
        "area_match": result.area_match.model_dump(mode="json") if result.area_match else None,
    }


def _mark_queue(store: ObjectStore, area: keys.AreaCodes, old_area: keys.AreaCodes | None, dossier_id: str) -> None:
    """The review queue's index re-reads the flag(s) just written or removed (pipeline/queue_index.py)."""
    queue_index.mark(store, area, dossier_id)
    if old_area is not None and old_area != area:
        queue_index.mark(store, old_area, dossier_id)


def _unflag(store: ObjectStore, area: keys.AreaCodes, dossier_id: str) -> None:
    key = keys.flag_key(area, dossier_id)
    if store.exists(key):
        store.delete(key)


def _write_summary(store: ObjectStore, result: DossierResult, area: keys.AreaCodes) -> None:
    write_summary(store, summary_from_result(result, area))
