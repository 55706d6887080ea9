"""Duplicate-NIK index on the object store: which dossiers hold the same NIK.

Keys (built by pipeline.storage.keys; the NIK itself never appears in a key, a value or a log):

    index/nik/<hmac_sha256(secret, nik)>/<dossier_id>     one empty-ish marker per (NIK, dossier)
    index/dossier-nik/<dossier_id>.json                   {"hashes": [...]}: what the dossier holds now

Everything goes through the store API, so the index works the same embedded (local folder) and distributed
(S3, many workers). Call `update()` before `others()`: when two dossiers with one NIK are processed at the
same time, each writes its marker first, so at least the later one sees the other.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pipeline.errors import ObjectNotFound
from pipeline.storage.keys import (
    dossier_id_from_key,
    dossier_nik_key,
    nik_hmac,
    nik_index_key,
    nik_index_prefix,
)

log = logging.getLogger(__name__)
_NIK_RE = re.compile(r"^\d{16}$")
MARKER = b"1"


class DuplicateIndex:
    def __init__(self, store: Any, secret: bytes) -> None:
        if not secret:
            raise ValueError("the duplicate index needs a non-empty secret")
        self.store = store
        self.secret = secret

    def _hashes(self, niks: set[str] | list[str]) -> set[str]:
        return {nik_hmac(n, self.secret) for n in niks if _NIK_RE.match(str(n))}

    def _held(self, dossier_id: str) -> set[str]:
        try:
            data = self.store.get_json(dossier_nik_key(dossier_id))
        except ObjectNotFound:
            return set()
        return set(data.get("hashes", [])) if isinstance(data, dict) else set()

    def _record(self, dossier_id: str, hashes: set[str]) -> None:
        self.store.put_json(dossier_nik_key(dossier_id), {"hashes": sorted(hashes)})

    def update(self, dossier_id: str, niks: set[str]) -> None:
        """Make the index say that `dossier_id` holds exactly `niks` (stale entries of earlier runs go).

        Order keeps the record a superset of the markers at every step, so a crash leaves nothing orphaned:
        record old+new, write new markers, delete stale markers, record new.
        """
        new = self._hashes(niks)
        old = self._held(dossier_id)
        if old != new:
            self._record(dossier_id, old | new)
        for h in sorted(new):
            key = nik_index_key(h, dossier_id)
            if not self.store.exists(key):
                self.store.put_bytes(key, MARKER)
        for h in sorted(old - new):
            self.store.delete(nik_index_key(h, dossier_id))
        if old != new or not new:
            self._record(dossier_id, new)
        log.debug("dup index: dossier %s holds %d NIK(s), dropped %d", dossier_id, len(new), len(old - new))

    def remove(self, dossier_id: str) -> None:
        """Forget a dossier entirely."""
        self.update(dossier_id, set())
        self.store.delete(dossier_nik_key(dossier_id))

    def holders(self, nik: str) -> list[str]:
        """Every dossier id holding `nik` (sorted)."""
        hashes = self._hashes([nik])
        if not hashes:
            return []
        (h,) = hashes
        return sorted(dossier_id_from_key(k) for k in self.store.list(nik_index_prefix(h)))

    def others(self, dossier_id: str, niks: set[str]) -> list[str]:
        """Other dossier ids sharing any of `niks` (sorted, without `dossier_id`)."""
        return sorted({d for n in niks for d in self.holders(n) if d != dossier_id})

    def others_of(self, dossier_id: str) -> list[str]:
        """Other dossier ids sharing a NIK this dossier holds now (per its record), without knowing the NIKs."""
        found: set[str] = set()
        for h in self._held(dossier_id):
            found.update(dossier_id_from_key(k) for k in self.store.list(nik_index_prefix(h)))
        found.discard(dossier_id)
        return sorted(found)

    def duplicates(self, dossier_id: str, niks: set[str]) -> dict[str, list[str]]:
        """NIK -> other dossier ids, the `duplicates` argument of pipeline.checks.run_checks."""
        out = {}
        for n in niks:
            found = [d for d in self.holders(n) if d != dossier_id]
            if found:
                out[n] = found
        return out
