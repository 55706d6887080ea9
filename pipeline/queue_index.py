"""The review queue's index: one compact object of queue rows per kecamatan, derived from flags/ and decisions/.

Why: the queue lists, counts and filters every flag of an area on each request. Reading each flag object
costs about a quarter millisecond locally and a round trip on S3, so a KPU Kab/Kota with tens of thousands of
flags cannot be served that way. The flags and decisions stay the source of truth; this index is a cache that
`rebuild` makes again from them at any time (`berkas review reindex`).

How it stays current with nothing but put_if_absent (no compare-and-swap in the store interface):

- every writer of a flag or a decision calls `mark(store, area, dossier_id)` AFTER its write: a tiny object
  `queue-index/pending/<kab>/<kec>/<desa>~<tps>~<dossier_id>~<unique token>` meaning "this row may have changed";
- a reader (`QueueIndex.rows`) loads the newest shard version of each kecamatan in its scope, lists the marks
  under its scope, re-reads the flag and decision of each marked dossier and applies them: the page it serves
  is as current as the store;
- it then folds those marks into a new shard version, written with put_if_absent as `<seq + 1>`. When another
  process wrote that version first, it gives up (the marks stay and are applied again, idempotently, by the
  next reader). The winner deletes only the marks it listed BEFORE reading the flags, so a mark written in
  the meantime survives: its flag write happened before the mark, and someone will read it again.

A kabupaten (or the whole store, for ADMIN) is bootstrapped once by listing its flag keys: every kecamatan
that has flags gets a shard, then `queue-index/built/<kab>.json` records that later kecamatan arrive through
marks. A writer that changes flags without `mark` breaks the promise; `rebuild` repairs it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, cast

from pipeline.errors import ObjectNotFound, StorageError
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

FORMAT = 1
KEEP_VERSIONS = 2  # the newest two shard versions stay; a reader that listed an older one lists again


def mark(store: ObjectStore, area: keys.AreaCodes, dossier_id: str) -> None:
    """Tell the index that `dossier_id`'s row under `area` may have changed. Call it after writing the flag
    or decision (for a dossier that moved: once for the old area, once for the new)."""
    token = keys.utc_stamp().replace("T", "").replace("Z", "") + secrets.token_hex(4)
    store.put_bytes(keys.queue_pending_key(area, dossier_id, token), b"")


class QueueRow(NamedTuple):
    """One queue row: what the queue filters, counts, orders and shows (ids and codes only, no names).

    Stored in a shard as the list `[desa, tps, status, reasons, missing, flagged_at, decision, decided_for]`
    (lists parse about twice as fast as objects); kab and kec come from the shard.
    """

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

    def stored(self) -> list:
        return [self.desa, self.tps, self.status, self.reasons, self.missing, self.flagged_at, self.decision,
                self.decided_for]


def _none(segment: str) -> str | None:
    return None if segment == keys.UNKNOWN else segment


def row_from_flag(area: keys.AreaCodes, dossier_id: str, body: dict, decision: dict | None) -> QueueRow:
    """The row of a flag object (and the dossier's latest decision object, if any)."""
    return QueueRow(body.get("dossier_id") or dossier_id, area.kab_code, area.kec_code, area.desa_code, area.tps,
                    body.get("status", ""), list(body.get("reasons") or []),
                    list(body.get("missing_documents") or []), body.get("flagged_at") or "",
                    decision.get("decision") if decision else None,
                    decision.get("result_processed_at") if decision else None)


def read_decision(store: ObjectStore, dossier_id: str) -> dict | None:
    try:
        return store.get_json(keys.decision_key(dossier_id))
    except ObjectNotFound:
        return None


@dataclass
class _Shard:
    kab: str  # key segments (`unknown` when unresolved)
    kec: str
    seq: int  # version read; -1 when none existed
    rows: dict[str, QueueRow]
    changed: bool = False
    applied: list[str] | None = None  # pending-mark keys folded into `rows`


class _ShardCache:
    """Parsed shards of this process, by the sha256 of their bytes (content-addressed, so never stale):
    a warm queue page reads the shards' bytes but parses none of them again."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._items: OrderedDict[tuple[str, tuple[str, str]], dict[str, QueueRow]] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, tuple[str, str]]) -> dict[str, QueueRow] | None:
        with self._lock:
            rows = self._items.get(key)
            if rows is not None:
                self._items.move_to_end(key)
            return rows

    def put(self, key: tuple[str, tuple[str, str]], rows: dict[str, QueueRow]) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = rows
            self._rows += len(rows)
            while self._rows > self.max_rows and len(self._items) > 1:
                _k, old = self._items.popitem(last=False)
                self._rows -= len(old)


_SHARDS = _ShardCache(max_rows=200_000)  # ~100 MB at most


class QueueIndex:
    """Queue rows of an area, current as of the request; folds pending marks into new shard versions."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    # ---- reading ---------------------------------------------------------------------------------

    def rows(self, segments: tuple[str, ...], *, persist: bool = True) -> list[QueueRow]:
        """Every row under the flag-key prefix `segments` (kab, kec, desa, tps; as many as given)."""
        segments = tuple(segments)
        if len(segments) < 2:
            self._bootstrap(segments)
        pending = list(self.store.list(keys.queue_pending_prefix(*segments)))  # listed BEFORE any flag read
        shards = self._load_shards(segments)
        if len(segments) >= 2 and (segments[0], segments[1]) not in shards:
            shards[(segments[0], segments[1])] = self._build_shard(segments[0], segments[1])
        for (kab, kec), marks in _group_marks(pending).items():
            shard = shards.get((kab, kec))
            if shard is None:
                shard = shards[(kab, kec)] = self._build_shard(kab, kec)
            self._apply(shard, marks)
        if persist:
            for shard in shards.values():
                if shard.changed:
                    self._save(shard)
        out: list[QueueRow] = []
        desa = _none(segments[2]) if len(segments) > 2 else None
        tps = _none(segments[3]) if len(segments) > 3 else None
        for shard in shards.values():
            if len(segments) <= 2:
                out.extend(shard.rows.values())
            else:
                out.extend(r for r in shard.rows.values() if r.desa == desa and (len(segments) < 4 or r.tps == tps))
        return out

    def _newest(self, segments: tuple[str, ...]) -> dict[tuple[str, str], tuple[int, str]]:
        """(seq, key) of the newest shard version of each kecamatan under `segments`[:2]."""
        newest: dict[tuple[str, str], tuple[int, str]] = {}
        for key in self.store.list(keys.queue_shard_prefix(*segments[:2])):
            parts = key.split("/")
            if len(parts) != 5 or not parts[4].endswith(".json"):
                continue
            try:
                seq = int(parts[4][:-5])
            except ValueError:
                continue
            if seq > newest.get((parts[2], parts[3]), (-1, ""))[0]:
                newest[(parts[2], parts[3])] = (seq, key)
        return newest

    def _load_shards(self, segments: tuple[str, ...]) -> dict[tuple[str, str], _Shard]:
        for _attempt in range(3):
            try:
                return {sk: self._read_shard(sk, seq, key) for sk, (seq, key) in self._newest(segments).items()}
            except ObjectNotFound:  # pruned between listing and reading: a newer version exists
                continue
        raise StorageError("queue index: shard versions keep changing; try again")

    def _read_shard(self, sk: tuple[str, str], seq: int, key: str) -> _Shard:
        data = self.store.get_bytes(key)
        cache_key = (hashlib.sha256(data).hexdigest(), sk)
        rows = _SHARDS.get(cache_key)
        if rows is None:
            try:
                body = json.loads(data)
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise StorageError(f"queue index {sk[0]}/{sk[1]}: shard is not JSON", code="OBJECT_NOT_JSON") from e
            if body.get("format", FORMAT) != FORMAT:
                raise StorageError(f"queue index {sk[0]}/{sk[1]}: shard format {body.get('format')}, this code reads "
                                   f"{FORMAT}: run `berkas review reindex`", code="OBJECT_NOT_JSON")
            kab, kec = _none(sk[0]), _none(sk[1])
            rows = {i: QueueRow(i, kab, kec, *r) for i, r in (body.get("rows") or {}).items()}
            _SHARDS.put(cache_key, rows)
        return _Shard(sk[0], sk[1], seq, dict(rows))

    # ---- keeping current -------------------------------------------------------------------------

    def _apply(self, shard: _Shard, marks: dict[tuple[keys.AreaCodes, str], list[str]]) -> None:
        """Re-read the flag and decision of every marked dossier: the row follows the store."""
        for (area, dossier_id), mark_keys in marks.items():
            try:
                body = self.store.get_json(keys.flag_key(area, dossier_id))
            except ObjectNotFound:
                body = None
            current = shard.rows.get(dossier_id)
            if body is None:
                if current is not None and (current.desa, current.tps) == (area.desa_code, area.tps):
                    del shard.rows[dossier_id]
            else:
                shard.rows[dossier_id] = row_from_flag(area, dossier_id, body, read_decision(self.store, dossier_id))
            shard.applied = (shard.applied or []) + mark_keys
            shard.changed = True

    def _save(self, shard: _Shard) -> bool:
        """Write version seq+1; False (and nothing deleted) when another process got there first."""
        body = {"format": FORMAT, "kab": shard.kab, "kec": shard.kec,
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "rows": {i: r.stored() for i, r in sorted(shard.rows.items())}}
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        new_seq = shard.seq + 1
        if not self.store.put_if_absent(keys.queue_shard_key(shard.kab, shard.kec, new_seq), data,
                                        content_type="application/json"):
            log.info("queue index %s/%s: version %d written by another process", shard.kab, shard.kec, new_seq)
            return False
        _SHARDS.put((hashlib.sha256(data).hexdigest(), (shard.kab, shard.kec)), dict(shard.rows))
        for key in shard.applied or ():
            self.store.delete(key)
        for key in list(self.store.list(keys.queue_shard_prefix(shard.kab, shard.kec))):
            try:
                seq = int(key.rsplit("/", 1)[-1][:-5])
            except ValueError:
                continue
            if seq <= new_seq - KEEP_VERSIONS:
                self.store.delete(key)
        shard.seq, shard.changed, shard.applied = new_seq, False, None
        return True

    # ---- building from the flags (the source of truth) --------------------------------------------

    def _bootstrap(self, segments: tuple[str, ...]) -> None:
        """Give every kecamatan with flags in scope a shard, once per kabupaten (or once for all)."""
        kab = segments[0] if segments else None
        if self.store.exists(keys.queue_built_key(kab)):
            return
        self.rebuild(segments, only_missing=True)
        self.store.put_json(keys.queue_built_key(kab), {"at": datetime.now(UTC).isoformat(timespec="seconds")})

    def _build_shard(self, kab: str, kec: str, decided: set[str] | None = None) -> _Shard:
        """A shard read from the flags of one kecamatan (a fold of no marks: version 0)."""
        if decided is None:
            decided = _decided_ids(self.store)
        rows = {}
        for key in self.store.list(keys.flag_prefix(kab, kec)):
            try:
                area = keys.area_from_flag_key(key)
                body = self.store.get_json(key)
            except (ValueError, StorageError) as e:
                log.warning("queue index: skipping unreadable flag %s: %s", keys.dossier_id_from_key(key), e)
                continue
            dossier_id = body.get("dossier_id") or keys.dossier_id_from_key(key)
            decision = read_decision(self.store, dossier_id) if dossier_id in decided else None
            rows[dossier_id] = row_from_flag(area, dossier_id, body, decision)
        return _Shard(kab, kec, -1, rows, changed=True)

    def rebuild(self, segments: tuple[str, ...] = (), *, only_missing: bool = False) -> int:
        """(Re)build the shards of every kecamatan that has flags under `segments`[:2]; returns how many.

        Pending marks listed first are deleted once folded (a later mark survives, see the module doc).
        """
        segments = tuple(segments)[:2]
        pending = list(self.store.list(keys.queue_pending_prefix(*segments)))
        have = {sk: seq for sk, (seq, _key) in self._newest(segments).items()}
        marks_by_shard = _group_marks(pending)
        found = {tuple(k.split("/")[1:3]) for k in self.store.list(keys.flag_prefix(*segments))}
        found |= set(marks_by_shard)
        if not only_missing:
            found |= set(have)  # a kecamatan whose flags are all gone gets an empty shard
        decided = _decided_ids(self.store)
        built = 0
        for kab, kec in sorted(found):
            if only_missing and (kab, kec) in have:
                continue
            shard = self._build_shard(kab, kec, decided)
            shard.seq = have.get((kab, kec), -1)
            shard.applied = [k for ks in marks_by_shard.get((kab, kec), {}).values() for k in ks]
            if self._save(shard):
                built += 1
        return built


def _decided_ids(store: ObjectStore) -> set[str]:
    n = len(keys.DECISIONS_PREFIX)
    return {k[n:-len(".json")] for k in store.list(keys.DECISIONS_PREFIX)}


def _group_marks(pending: Iterable[str]) -> dict[tuple[str, str], dict[tuple[keys.AreaCodes, str], list[str]]]:
    """Pending-mark keys by shard (kab, kec), then by (area, dossier id)."""
    out: dict[tuple[str, str], dict[tuple[keys.AreaCodes, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for key in pending:
        try:
            area, dossier_id = keys.queue_pending_parse(key)
        except ValueError:
            continue
        out[cast(tuple[str, str], tuple(key.split("/")[2:4]))][(area, dossier_id)].append(key)
    return out


__all__ = ["QueueIndex", "QueueRow", "mark", "read_decision", "row_from_flag"]
