"""Concurrent writers on one key: object and checksum never disagree, and read-modify-write loses nothing.

Issue 13, findings 1 and 2. Runs on both backends (the local folder with processes and threads, S3 on moto's
server with threads).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.errors import IntegrityError, ObjectNotFound, WriteConflict
from pipeline.storage.cas import UNCHANGED, update_json
from pipeline.storage.local import LocalStore

KEY = "dossiers/D1/manifest.json"


def _hammer(root: str, worker: int, rounds: int, out: multiprocessing.Queue) -> None:
    """Write distinct payloads of different sizes to one key and read it back in between."""
    store = LocalStore(root, fsync=False)
    bad = 0
    for i in range(rounds):
        payload = (f"{worker}-{i}-".encode() * (1 + (worker * 7 + i) % 50))
        store.put_bytes(KEY, payload)
        try:
            store.get_bytes(KEY)
        except IntegrityError:
            bad += 1
    out.put(bad)


def test_local_writers_in_many_processes_never_leave_a_checksum_mismatch(tmp_path):
    """GIVEN six processes writing and reading one key of the local store
    THEN no read ever fails its checksum and the final object matches its record."""
    root = str(tmp_path / "store")
    LocalStore(root)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(root, w, 150, out)) for w in range(6)]
    for p in procs:
        p.start()
    bad = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert bad == 0
    store = LocalStore(root)
    data = store.get_bytes(KEY)
    assert store.stat(KEY).sha256 == hashlib.sha256(data).hexdigest()


def test_local_crash_between_the_two_renames_is_rolled_forward(tmp_path, monkeypatch):
    """GIVEN a writer that dies after the object's bytes are in place but before its record is
    THEN the next reader finishes the write: the new bytes with their checksum, no CHECKSUM_MISMATCH."""
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"old")
    real_replace = os.replace
    calls = []

    def dying_replace(src, dst):
        calls.append(dst)
        if str(dst).startswith(str(store.root / "meta")):
            raise KeyboardInterrupt("killed between the renames")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        store.put_bytes(KEY, b"new bytes")
    monkeypatch.setattr(os, "replace", real_replace)
    fresh = LocalStore(tmp_path / "store")
    assert fresh.get_bytes(KEY) == b"new bytes"
    assert fresh.stat(KEY).sha256 == hashlib.sha256(b"new bytes").hexdigest()


def test_local_crash_before_the_commit_leaves_the_old_object(tmp_path, monkeypatch):
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"old")
    real_replace = os.replace

    def dying_replace(src, dst):
        raise KeyboardInterrupt("killed before anything was renamed")

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        store.put_bytes(KEY, b"new bytes")
    monkeypatch.setattr(os, "replace", real_replace)
    assert LocalStore(tmp_path / "store").get_bytes(KEY) == b"old"


# ---- compare-and-swap ------------------------------------------------------------------------------


def test_conditional_put(store):
    info = store.put_json(KEY, {"n": 1}, if_none_match=True)
    with pytest.raises(WriteConflict):
        store.put_json(KEY, {"n": 2}, if_none_match=True)
    obj, etag = store.get_json_etag(KEY)
    assert obj == {"n": 1} and etag == info.etag
    store.put_json(KEY, {"n": 2}, if_match=etag)
    with pytest.raises(WriteConflict):
        store.put_json(KEY, {"n": 3}, if_match=etag)  # stale: someone wrote since
    assert store.get_json(KEY) == {"n": 2}
    with pytest.raises(WriteConflict):
        store.put_json("dossiers/D2/manifest.json", {"n": 1}, if_match=etag)  # nothing there to match


def test_get_json_etag_of_a_missing_object(store):
    with pytest.raises(ObjectNotFound):
        store.get_json_etag(KEY)


def _append(n: int):
    def change(current):
        items = list((current or {}).get("items", []))
        items.append(n)
        return {"items": items}

    return change


def test_parallel_read_modify_write_loses_nothing(store, atomic_moto):
    """GIVEN 8 threads each appending 12 items to one JSON object through update_json
    THEN every one of the 96 items is there (no silent lost update)."""
    def work(t: int) -> None:
        for i in range(12):
            update_json(store, KEY, _append(t * 100 + i))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    items = store.get_json(KEY)["items"]
    assert sorted(items) == sorted(t * 100 + i for t in range(8) for i in range(12))


def _append_in_process(root: str, worker: int, out: multiprocessing.Queue) -> None:
    store = LocalStore(root, fsync=False)
    for i in range(25):
        update_json(store, KEY, _append(worker * 100 + i))
    out.put(worker)


def test_parallel_read_modify_write_across_processes_loses_nothing(tmp_path):
    root = str(tmp_path / "store")
    LocalStore(root)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_append_in_process, args=(root, w, out)) for w in range(5)]
    for p in procs:
        p.start()
    assert sorted(out.get(timeout=120) for _ in procs) == list(range(5))
    for p in procs:
        p.join(timeout=60)
    items = LocalStore(root).get_json(KEY)["items"]
    assert sorted(items) == sorted(w * 100 + i for w in range(5) for i in range(25))


def test_update_json_unchanged_writes_nothing(store):
    store.put_json(KEY, {"n": 1})
    before = store.stat(KEY).etag
    assert update_json(store, KEY, lambda cur: UNCHANGED) == {"n": 1}
    assert store.stat(KEY).etag == before


def test_update_json_gives_up_loudly(store, monkeypatch):
    """A writer that always loses the race ends in WriteConflict, never in a silently dropped change."""
    store.put_json(KEY, {"n": 0})
    calls = []

    def change(current):
        calls.append(1)
        store.put_json(KEY, {"n": len(calls)})  # someone else writes between our read and our write
        return {"n": -1}

    with pytest.raises(WriteConflict):
        update_json(store, KEY, change, attempts=3, backoff=0)
    assert len(calls) == 3
    assert store.get_json(KEY) == {"n": 3}


def test_put_if_absent_is_atomic_on_both_backends(store, atomic_moto):
    key = "corrections/D1/x.json"
    wins = []
    barrier = threading.Barrier(8)

    def race(i: int) -> None:
        barrier.wait()
        if store.put_if_absent(key, f"writer {i}".encode()):
            wins.append(i)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(race, range(8)))
    assert len(wins) == 1
    assert store.get_bytes(key) == f"writer {wins[0]}".encode()


def test_conditional_delete(store):
    store.put_json(KEY, {"n": 1})
    _obj, etag = store.get_json_etag(KEY)
    store.put_json(KEY, {"n": 2})
    with pytest.raises(WriteConflict):
        store.delete(KEY, if_match=etag)
    assert store.exists(KEY)
    store.delete(KEY, if_match=store.stat(KEY).etag)
    assert not store.exists(KEY)


@pytest.fixture
def atomic_moto(request):
    """moto checks a PUT's condition and stores the object in two steps, so two requests can both pass the check;
    MinIO and S3 do both atomically. For the S3 runs, give moto that atomicity (one lock around its PUT handler),
    so these tests show what our code does, not a race inside the test server."""
    if "store" not in request.fixturenames or not getattr(request.getfixturevalue("store"), "bucket", None):
        yield
        return
    from moto.s3.responses import S3Response

    lock = threading.Lock()
    real = S3Response.put_object

    def serialised(self, *a, **kw):
        with lock:
            return real(self, *a, **kw)

    S3Response.put_object = serialised
    try:
        yield
    finally:
        S3Response.put_object = real


def test_a_fork_while_a_lock_is_held_does_not_keep_it(tmp_path):
    """GIVEN a thread inside a write (holding the key's lock) while the process forks a long-lived child
    THEN once the write ends, another process can write the key: the child does not hold the lock on."""
    store = LocalStore(tmp_path / "store", fsync=False)
    entered, release = threading.Event(), threading.Event()
    real = store._roll_forward

    def slow_roll_forward(key):  # runs under the exclusive lock
        entered.set()
        release.wait(10)
        return real(key)

    store._roll_forward = slow_roll_forward
    writer = threading.Thread(target=store.put_bytes, args=(KEY, b"first"))
    writer.start()
    assert entered.wait(10)
    child = os.fork()
    if child == 0:  # the child lives on, doing nothing with the store
        time.sleep(8)
        os._exit(0)
    try:
        release.set()
        writer.join(10)
        ctx = multiprocessing.get_context("fork")
        p = ctx.Process(target=_put_once, args=(str(tmp_path / "store"),))
        p.start()
        p.join(5)
        done = p.exitcode == 0
        if p.is_alive():
            p.kill()
        assert done, "the key's lock stayed held by the forked child"
        assert LocalStore(tmp_path / "store").get_bytes(KEY) == b"second"
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)


def _put_once(root: str) -> None:
    LocalStore(root, fsync=False).put_bytes(KEY, b"second")
