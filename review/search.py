"""Finding a dossier in the queue by the candidate's name (fuzzy) or NIK (exact, through the keyed NIK index).

The queue index holds ids and codes only, never names, so a name search reads the registration of each
dossier in the searched view once and keeps its normalised name in memory (`NameCache`); a NIK search asks
the duplicate-NIK index (`pipeline.dupindex`: keyed hashes, never the NIK itself) which dossiers hold it.
Both searches are POSTed by the page: a name or NIK never appears in a URL or a log line.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

from rapidfuzz import fuzz

from pipeline.dupindex import DuplicateIndex
from pipeline.errors import ObjectNotFound
from pipeline.names import normalise_name
from pipeline.queue_index import QueueRow
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

MIN_NAME_SCORE = 75  # rapidfuzz WRatio of the normalised names: "siti rahayu" finds "SITI RAHAYI"
NIK_RE = re.compile(r"^\d{16}$")


class NameCache:
    """dossier id -> normalised registered name, read from registration.json once (bounded, per process)."""

    def __init__(self, store: ObjectStore, size: int = 250_000) -> None:
        self.store = store
        self.size = size
        self._names: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def name(self, dossier_id: str) -> str:
        with self._lock:
            if dossier_id in self._names:
                return self._names[dossier_id]
        try:
            name = normalise_name(str(self.store.get_json(keys.registration_key(dossier_id)).get("nama") or ""))
        except (ObjectNotFound, ValueError):
            name = ""
        with self._lock:
            self._names[dossier_id] = name
            while len(self._names) > self.size:
                self._names.popitem(last=False)
        return name


def by_name(names: NameCache, query: str):
    """A queue search: rows whose registered name matches `query` closely enough, best first."""
    wanted = normalise_name(query)

    def search(rows: list[QueueRow]) -> list[QueueRow]:
        if not wanted:
            return []
        scored = []
        for r in rows:
            score = fuzz.WRatio(wanted, names.name(r.dossier_id))
            if score >= MIN_NAME_SCORE:
                scored.append((-score, r.flagged_at, r.dossier_id, r))
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored]

    return search


def by_nik(store: ObjectStore, secret: bytes, nik: str):
    """A queue search: rows of the dossiers that hold exactly this NIK (registration or KTP)."""
    digits = re.sub(r"[\s.\-]", "", nik or "")
    if not NIK_RE.match(digits):
        raise ValueError("NIK harus 16 angka.")
    holders = set(DuplicateIndex(store, secret).holders(digits))

    def search(rows: list[QueueRow]) -> list[QueueRow]:
        return sorted((r for r in rows if r.dossier_id in holders), key=lambda r: (r.flagged_at, r.dossier_id))

    return search
