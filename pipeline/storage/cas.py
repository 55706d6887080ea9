"""Read-modify-write of one stored JSON object, done safely by compare-and-swap.

    update_json(store, keys.manifest_key(d), add_file)

reads the object and its etag, calls `change(current)` (current is None when nothing is stored), and writes
the answer only while the object still has that etag (`if_match`; `if_none_match` when it was absent). When
another writer got there first, it reads again and calls `change` again on what is there now, with a short
random back-off; after `attempts` losses it raises WriteConflict. So two writers never silently lose each
other's change, on the local folder and on S3 alike (docs/storage.md).

`change` may run several times: it must compute from its argument only (no side effects that cannot be
repeated). It returns the new object, or UNCHANGED to leave the stored one as it is.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from pipeline.errors import ObjectNotFound, WriteConflict
from pipeline.storage.base import ObjectStore, key_for_log

log = logging.getLogger(__name__)

UNCHANGED: Any = type("Unchanged", (), {"__repr__": lambda self: "UNCHANGED"})()
ATTEMPTS = 40
BACKOFF = 0.005  # seconds; doubled per lost round up to 64 times this, with jitter


def read_json(store: ObjectStore, key: str) -> tuple[Any, str | None]:
    """(object, etag), or (None, None) when nothing is stored under `key`."""
    try:
        return store.get_json_etag(key)
    except ObjectNotFound:
        return None, None


def update_json(
    store: ObjectStore,
    key: str,
    change: Callable[[Any], Any],
    *,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
) -> Any:
    """Apply `change` to the object under `key` atomically; returns what is stored afterwards."""
    for attempt in range(1, attempts + 1):
        current, etag = read_json(store, key)
        new = change(copy.deepcopy(current))
        if new is UNCHANGED:
            return current
        try:
            if etag is None:
                store.put_json(key, new, if_none_match=True)
            else:
                store.put_json(key, new, if_match=etag)
            return new
        except WriteConflict:
            if attempt == attempts:
                break
            log.debug("%s changed under us (round %d); reading again", key_for_log(key), attempt)
            if backoff:
                time.sleep(random.uniform(0.5, 1.0) * backoff * 2 ** min(attempt - 1, 6))
    raise WriteConflict(f"{key_for_log(key)}: still changing after {attempts} attempts; nothing was written")


__all__ = ["UNCHANGED", "read_json", "update_json"]
