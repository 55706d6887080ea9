"""Which results were decided under which requirements file: an index kept beside the results.

    rules-index/versions.json                  every requirements file seen: sha256 prefix -> version, full sha256
    rules-index/<sha256[:16]>/<dossier_id>     one empty marker per result, under the file it was decided with

Publishing a result (pipeline/publish.py) writes its marker and removes the one of the result it replaces, so
the markers under a digest are the results decided with that file. After the requirements file changes,
`stale(store, current)` lists the older digests and their dossiers without reading any result:
`berkas status` counts them, `berkas requeue --stale-rules` re-checks them. Results published before results
carried their provenance have no marker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.storage.base import ObjectStore
from pipeline.storage.cas import UNCHANGED, update_json

log = logging.getLogger(__name__)

PREFIX = "rules-index/"
CATALOGUE = PREFIX + "versions.json"
SHORT = 16
_catalogued: set[tuple[int, str]] = set()  # (store id, digest) written to the catalogue by this process


def short(sha256: str) -> str:
    return sha256[:SHORT]


def marker_key(sha256: str, dossier_id: str) -> str:
    return f"{PREFIX}{short(sha256)}/{dossier_id}"


def _sha_of(result: Any) -> tuple[str, str] | None:
    p = getattr(result, "provenance", None) if result is not None else None
    return (p.requirements.sha256, p.requirements.version) if p is not None else None


def _catalogue(store: ObjectStore, sha256: str, version: str) -> None:
    if (id(store), sha256) in _catalogued:
        return

    def add(current: Any) -> Any:
        body = current if isinstance(current, dict) else {}
        if short(sha256) in body:
            return UNCHANGED
        body[short(sha256)] = {"version": version, "sha256": sha256,
                               "first_seen": datetime.now(UTC).isoformat(timespec="seconds")}
        return body

    update_json(store, CATALOGUE, add)
    _catalogued.add((id(store), sha256))


def mark(store: ObjectStore, result: Any, old: Any) -> None:
    """Index `result` (just published) under its requirements digest; drop the marker of `old` it replaced."""
    new = _sha_of(result)
    before = _sha_of(old)
    if new is not None:
        _catalogue(store, *new)
        store.put_bytes(marker_key(new[0], result.dossier_id), b"")
    if before is not None and (new is None or before[0] != new[0]):
        key = marker_key(before[0], result.dossier_id)
        if store.exists(key):
            store.delete(key)


@dataclass(frozen=True)
class StaleGroup:
    version: str
    sha256: str
    dossier_ids: list[str]


def versions(store: ObjectStore) -> dict[str, dict]:
    from pipeline.storage.cas import read_json

    body, _ = read_json(store, CATALOGUE)
    return body if isinstance(body, dict) else {}


def dossiers_under(store: ObjectStore, sha256: str) -> Iterator[str]:
    prefix = f"{PREFIX}{short(sha256)}/"
    for key in store.list(prefix):
        yield key[len(prefix):]


def stale(store: ObjectStore, current_sha256: str) -> list[StaleGroup]:
    """The results decided under another requirements file than `current_sha256`, per file (oldest first)."""
    groups = []
    entries = sorted(versions(store).items(), key=lambda kv: str(kv[1].get("first_seen", "")))
    for key, entry in entries:
        if key == short(current_sha256):
            continue
        ids = sorted(dossiers_under(store, entry.get("sha256", key)))
        if ids:
            groups.append(StaleGroup(version=str(entry.get("version", "?")), sha256=str(entry.get("sha256", key)),
                                     dossier_ids=ids))
    return groups
