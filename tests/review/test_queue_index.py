"""The queue index (pipeline/queue_index.py) gives the same pages as reading every flag, and stays current.

The reference is `build_queue(..., index=False)`, the original path that reads each flag object.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pipeline import queue_index
from pipeline.queue_index import QueueIndex
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from review.accounts import Account
from review.claims import Claims
from review.db import ReviewDB
from review.queue import QueueFilter, build_queue

KABS = ("35.98", "35.99")
STATUSES = ("incomplete", "needs_review", "not_eligible")
REASONS = ("KTP_MISSING", "NAME_MISMATCH", "UNDER_AGE", "VITALS_MISSING")


def random_area(rng: random.Random) -> keys.AreaCodes:
    if rng.random() < 0.05:
        return keys.AreaCodes.unknown()
    kab = rng.choice(KABS)
    kec = f"{kab}.0{rng.randint(1, 3)}"
    if rng.random() < 0.05:
        return keys.AreaCodes(kab, None, None, "001")
    return keys.AreaCodes(kab, kec, f"{kec}.100{rng.randint(1, 2)}", f"00{rng.randint(1, 2)}")


def write_flag(store, area, dossier_id, rng, at) -> dict:
    body = {"dossier_id": dossier_id, "status": rng.choice(STATUSES),
            "reasons": sorted(rng.sample(REASONS, rng.randint(1, 2))), "missing_documents": [],
            "flagged_at": at.isoformat(timespec="seconds")}
    store.put_json(keys.flag_key(area, dossier_id), body)
    queue_index.mark(store, area, dossier_id)
    return body


def account(role: str, area: str | None) -> Account:
    return Account(username="t.user", role=role, area=area, password_hash="x", created_at="now")


ACCOUNTS = [account("ADMIN", None), account("KPU_KAB", "35.99"), account("PPK", "35.99.02"),
            account("PPS", "35.99.02.1001"), account("KPU_KAB", "35.98")]
FILTERS = [QueueFilter(), QueueFilter(state="semua"), QueueFilter(state="diputuskan"),
           QueueFilter(status="needs_review"), QueueFilter(reason="UNDER_AGE", state="semua"),
           QueueFilter(tps="2"), QueueFilter(desa="35.99.02.1002", tps="001", state="semua")]


def page_of(store, claims, acc, flt, index, n=1):
    p = build_queue(store, claims, acc, flt, page=n, page_size=7, index=index)
    return ([(i.dossier_id, i.area, i.decided, i.claim and i.claim.username) for i in p.items], p.total,
            p.by_status, p.by_reason, p.desa_options, p.refused)


def assert_same_as_scan(store, claims):
    for acc in ACCOUNTS:
        for flt in FILTERS:
            for n in (1, 2):
                assert page_of(store, claims, acc, flt, True, n) == page_of(store, claims, acc, flt, False, n), (
                    acc.role, acc.area, flt, n)


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store", fsync=False)


@pytest.fixture
def claims(tmp_path) -> Iterator[Claims]:
    db = ReviewDB(f"sqlite:///{tmp_path}/review.sqlite3")
    db.migrate()
    yield Claims(db, timedelta(minutes=30))
    db.dispose()


def test_index_pages_equal_the_scan_through_publishes_moves_unflags_and_decisions(store, claims):
    """GIVEN 150 flags over two kabupaten (some unknown areas), decisions and claims
    WHEN dossiers are re-flagged, moved to another area, unflagged (complete) and decided, with marks
    THEN every page, total, count and desa list of every account and filter equals the scan's."""
    rng = random.Random(7)
    t0 = datetime(2023, 12, 1, tzinfo=UTC)
    where = {}
    for i in range(150):
        dossier_id = f"T-{i:04d}"
        where[dossier_id] = random_area(rng)
        write_flag(store, where[dossier_id], dossier_id, rng, t0 + timedelta(minutes=rng.randint(0, 5000)))
    for dossier_id in rng.sample(sorted(where), 10):
        claims.claim(dossier_id, "pps.x")
    assert_same_as_scan(store, claims)  # the first read bootstraps the shards

    for round_ in range(3):
        for dossier_id in rng.sample(sorted(where), 30):
            old, what = where[dossier_id], rng.random()
            at = t0 + timedelta(days=10 + round_, minutes=rng.randint(0, 500))
            if what < 0.3:  # re-published in place
                write_flag(store, old, dossier_id, rng, at)
            elif what < 0.5:  # moved: the old flag goes, a new one comes, both areas marked
                store.delete(keys.flag_key(old, dossier_id))
                where[dossier_id] = random_area(rng)
                write_flag(store, where[dossier_id], dossier_id, rng, at)
                queue_index.mark(store, old, dossier_id)
            elif what < 0.65:  # complete: unflagged
                store.delete(keys.flag_key(old, dossier_id))
                queue_index.mark(store, old, dossier_id)
            else:  # decided, on the current result or on an older one
                flag = store.get_json(keys.flag_key(old, dossier_id)) if store.exists(keys.flag_key(old, dossier_id)) else None
                made_on = flag["flagged_at"] if flag and rng.random() < 0.7 else "2023-01-01T00:00:00+00:00"
                store.put_json(keys.decision_key(dossier_id), {"decision": rng.choice(["MS", "TMS"]),
                                                               "result_processed_at": made_on})
                queue_index.mark(store, old, dossier_id)
        assert_same_as_scan(store, claims)
    assert not list(store.list(keys.queue_pending_prefix()))  # every mark folded


def test_a_mark_written_while_a_reader_folds_is_not_lost(tmp_path):
    """GIVEN a reader folding marks WHEN a publisher re-flags a dossier (and marks it) in the middle of the fold
    THEN the fold does not delete that new mark, and the next page shows the new flag."""
    t0 = datetime(2023, 12, 1, tzinfo=UTC)
    rng = random.Random(1)
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")

    class Racing(LocalStore):
        armed = False

        def get_json(self, key):
            body = super().get_json(key)
            if self.armed and key == keys.flag_key(area, "A"):
                self.armed = False  # another process publishes B between our listing and our write
                write_flag(self, area, "B", rng, t0 + timedelta(days=3))
            return body

    store = Racing(tmp_path / "s", fsync=False)
    write_flag(store, area, "A", rng, t0)
    index = QueueIndex(store)
    assert [r.dossier_id for r in index.rows(("35.99",))] == ["A"]
    write_flag(store, area, "A", rng, t0 + timedelta(days=1))
    store.armed = True
    assert [r.dossier_id for r in index.rows(("35.99",))] == ["A"]  # B's mark was listed after our listing
    assert len(list(store.list(keys.queue_pending_prefix()))) == 1  # ... so it is still there
    assert sorted(r.dossier_id for r in index.rows(("35.99",))) == ["A", "B"]


def test_a_reader_that_loses_the_version_race_keeps_the_marks(tmp_path):
    """GIVEN two readers folding the same marks WHEN the other one writes the next shard version first
    THEN this one still serves the current rows, deletes nothing, and the marks are folded later."""
    rng = random.Random(2)
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")

    class Beaten(LocalStore):
        beaten = False

        def put_if_absent(self, key, data, **kw):
            if self.beaten and key.startswith("queue-index/shards/"):
                self.beaten = False
                super().put_if_absent(key, b'{"rows": {}}', **kw)  # the other reader's version
            return super().put_if_absent(key, data, **kw)

    store = Beaten(tmp_path / "s", fsync=False)
    write_flag(store, area, "A", rng, datetime(2023, 12, 1, tzinfo=UTC))
    QueueIndex(store).rows(("35.99", "35.99.01"))
    write_flag(store, area, "B", rng, datetime(2023, 12, 2, tzinfo=UTC))
    store.beaten = True
    assert sorted(r.dossier_id for r in QueueIndex(store).rows(("35.99", "35.99.01"))) == ["A", "B"]
    assert len(list(store.list(keys.queue_pending_prefix()))) == 1
    # the next reader starts from the other's (here: empty) version and applies the mark it left
    assert [r.dossier_id for r in QueueIndex(store).rows(("35.99", "35.99.01"))] == ["B"]
    QueueIndex(store).rebuild()
    assert sorted(r.dossier_id for r in QueueIndex(store).rows(("35.99", "35.99.01"))) == ["A", "B"]


def test_rebuild_repairs_a_flag_written_without_a_mark(store):
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")
    write_flag(store, area, "A", random.Random(3), datetime(2023, 12, 1, tzinfo=UTC))
    index = QueueIndex(store)
    assert [r.dossier_id for r in index.rows(())] == ["A"]
    store.put_json(keys.flag_key(area, "C"), {"dossier_id": "C", "status": "incomplete", "reasons": [],
                                              "flagged_at": "2023-12-05T00:00:00+00:00"})
    assert [r.dossier_id for r in index.rows(())] == ["A"]  # the contract: writers mark
    assert index.rebuild() == 1
    assert sorted(r.dossier_id for r in index.rows(())) == ["A", "C"]


def test_old_shard_versions_are_pruned(store):
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")
    rng = random.Random(4)
    for day in range(5):
        write_flag(store, area, "A", rng, datetime(2023, 12, 1 + day, tzinfo=UTC))
        QueueIndex(store).rows(("35.99",))
    versions = list(store.list(keys.queue_shard_prefix("35.99", "35.99.01")))
    assert len(versions) == queue_index.KEEP_VERSIONS


@pytest.fixture(scope="module")
def s3_store_factory():
    """Fresh buckets on moto's S3 server (a thread of this process, 127.0.0.1 only)."""
    import os
    import socket
    import uuid

    from moto.server import ThreadedMotoServer

    from pipeline.storage.s3 import S3Store

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield lambda: S3Store(f"127.0.0.1:{port}", "testing", "testing", f"q-{uuid.uuid4().hex[:12]}",
                              secure=False, region="us-east-1")
    finally:
        server.stop()


@pytest.mark.s3
def test_the_index_works_the_same_on_s3(s3_store_factory, claims):
    """The partial-name prefixes of the marks and put_if_absent versions behave on S3 as on a local folder."""
    store = s3_store_factory()
    rng = random.Random(11)
    t0 = datetime(2023, 12, 1, tzinfo=UTC)
    where = {f"S-{i:03d}": random_area(rng) for i in range(30)}
    for dossier_id, area in where.items():
        write_flag(store, area, dossier_id, rng, t0 + timedelta(minutes=rng.randint(0, 900)))
    accounts = [ACCOUNTS[0], ACCOUNTS[2], ACCOUNTS[3]]
    filters = [QueueFilter(state="semua"), QueueFilter(desa="35.99.02.1001", tps="1", state="semua")]

    def check():
        for acc in accounts:
            for flt in filters:
                assert page_of(store, claims, acc, flt, True) == page_of(store, claims, acc, flt, False)

    check()
    for dossier_id in rng.sample(sorted(where), 8):
        store.delete(keys.flag_key(where[dossier_id], dossier_id))
        queue_index.mark(store, where[dossier_id], dossier_id)
        where[dossier_id] = random_area(rng)
        write_flag(store, where[dossier_id], dossier_id, rng, t0 + timedelta(days=2))
    check()
    assert not list(store.list(keys.queue_pending_prefix()))


def test_pending_mark_keys_round_trip_and_narrow_by_prefix():
    area = keys.AreaCodes("35.75", "35.75.02", "35.75.02.1005", "003")
    key = keys.queue_pending_key(area, "KPPS-0001", "20231201120000.123456abcdef01")
    assert keys.queue_pending_parse(key) == (area, "KPPS-0001")
    assert key.startswith(keys.queue_pending_prefix("35.75", "35.75.02", "35.75.02.1005", "003"))
    assert not key.startswith(keys.queue_pending_prefix("35.75", "35.75.02", "35.75.02.1005", "004"))
    assert not key.startswith(keys.queue_pending_prefix("35.75", "35.75.02", "35.75.02.100"))  # whole codes only
    unknown = keys.queue_pending_key(keys.AreaCodes.unknown(), "D1", "12345678")
    assert keys.queue_pending_parse(unknown) == (keys.AreaCodes.unknown(), "D1")
    with pytest.raises(ValueError):
        keys.queue_pending_key(area, "../x", "12345678")


def test_a_shard_of_another_format_is_refused_and_reindex_replaces_it(store):
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")
    write_flag(store, area, "A", random.Random(5), datetime(2023, 12, 1, tzinfo=UTC))
    QueueIndex(store).rows(("35.99",))
    [key] = list(store.list(keys.queue_shard_prefix("35.99", "35.99.01")))
    store.put_json(keys.queue_shard_key("35.99", "35.99.01", 7), {"format": 99, "rows": {"A": [1, 2]}})
    with pytest.raises(Exception, match="reindex"):
        QueueIndex(store).rows(("35.99",))
    QueueIndex(store).rebuild(("35.99",))
    assert [r.dossier_id for r in QueueIndex(store).rows(("35.99",))] == ["A"]
