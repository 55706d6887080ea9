"""Write a dossier's result to the store: history first, then the latest result, then the review flag.

Write-then-mark: the history object and `result.json` are written before the flag changes, so a crash at any
point leaves either the old or the new state, never a flag without its result. A result identical to the
stored one (ignoring `processed_at`) is not written again, so a job run twice writes its result once.

Several writers publish one dossier's result: its processing, a verifier's correction, a duplicate re-check
started by another dossier. `result.json` is written by compare-and-swap: `expect` is the etag of the stored
result the new one was built from (None: there was none), and when another writer got there first the
publish raises WriteConflict and writes nothing, so a result built from stale data never replaces a newer one;
the caller builds again from what is stored now (pipeline/process.py). The derived objects (flag, report
summary, queue mark) follow the result: after writing them the publisher looks at `result.json` again, and if
someone published meanwhile it derives them once more from that newer result, so the last derived writes
always match the latest result.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from models.contract import AreaMatchInfo, DossierResult, DossierStatus, Wilayah
from pipeline import observe, queue_index, rules_index
from pipeline.errors import WriteConflict
from pipeline.provenance import flag_provenance
from pipeline.regions import Regions, dotted
from pipeline.reports.summary import delete_summary, summary_from_result, write_summary
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from pipeline.storage.cas import read_json

log = logging.getLogger(__name__)

ANY: object = type("AnyVersion", (), {"__repr__": lambda self: "ANY"})()  # publish whatever is stored now
_DERIVE_ROUNDS = 20


@dataclass(frozen=True)
class Published:
    """What `publish_result` did: `written` (False: identical to the stored result) and the stored result's etag."""

    written: bool
    etag: str | None

    def __bool__(self) -> bool:
        return self.written


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


def read_result(store: ObjectStore, dossier_id: str) -> tuple[DossierResult | None, str | None]:
    """The stored result and its etag; (None, None) when there is none."""
    body, etag = read_json(store, keys.result_key(dossier_id))
    return (DossierResult.model_validate(body) if body is not None else None), etag


def publish_result(store: ObjectStore, result: DossierResult, *, runtime, expect: object = ANY) -> Published:
    """Store `result` as the dossier's latest. `expect`: the etag of the stored result it was built from (None
    when there was none); WriteConflict when the stored result is another one by now. Not written (written
    False) when an identical result is stored."""
    key = keys.result_key(result.dossier_id)
    digest = content_digest(result)
    old, etag = read_result(store, result.dossier_id)
    if expect is not ANY and etag != expect:
        raise WriteConflict(f"results/{result.dossier_id}: published by another writer since it was read")
    if old is not None and content_digest(old) == digest:
        log.info("dossier %s: result unchanged, not rewritten", result.dossier_id)
        return Published(False, etag)

    now = datetime.now(UTC)
    result.processed_at = now.isoformat(timespec="seconds")
    body = result.model_dump(mode="json")
    store.put_json(keys.result_history_key(result.dossier_id, now.strftime("%Y%m%dT%H%M%S%fZ"), digest[:8]), body)
    if etag is None:
        info = store.put_json(key, body, if_none_match=True)
    else:
        info = store.put_json(key, body, if_match=etag)
    _derive(store, runtime, result, info.etag, old)
    log.info("dossier %s: published status=%s", result.dossier_id, result.status.value)
    observe.emit("published", status=result.status.value,
                 reasons=flag_body(result)["reasons"] if result.status != DossierStatus.COMPLETE else [])
    return Published(True, info.etag)


def _derive(store: ObjectStore, runtime, result: DossierResult, etag: str | None, old: DossierResult | None) -> None:
    """Flag, summary and queue marks of `result`; again from the stored result while another publisher overtook."""
    stale = {area_of(old, runtime)} if old is not None else set()
    replaced = old
    for _ in range(_DERIVE_ROUNDS):
        rules_index.mark(store, result, replaced)
        area = area_of(result, runtime)
        for gone in stale - {area}:
            _unflag(store, gone, result.dossier_id)
            delete_summary(store, gone, result.dossier_id)
        if result.status != DossierStatus.COMPLETE:
            store.put_json(keys.flag_key(area, result.dossier_id), flag_body(result))
        else:
            _unflag(store, area, result.dossier_id)
        for marked in {area} | stale:
            queue_index.mark(store, marked, result.dossier_id)
        write_summary(store, summary_from_result(result, area))
        latest, latest_etag = read_result(store, result.dossier_id)
        if latest is None or latest_etag == etag:
            return
        stale.add(area)
        replaced, (result, etag) = result, (latest, latest_etag)
    log.warning("dossier %s: result kept changing while its flag was written", result.dossier_id)


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
        "provenance": flag_provenance(result),
    }


def _unflag(store: ObjectStore, area: keys.AreaCodes, dossier_id: str) -> None:
    key = keys.flag_key(area, dossier_id)
    if store.exists(key):
        store.delete(key)

