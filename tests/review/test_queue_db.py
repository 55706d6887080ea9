"""The review queue served by the database (review/queue.py, review/queue_sync.py), on SQLite and PostgreSQL.

The reference is the queue computed the plain way: every flag under the account's prefix read from the store,
the latest decision from the database, filtered and sorted in Python. Through publishes, moves, unflags and
decisions (each followed by the writer's mark), every page, total, count and desa list must equal it.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pipeline import queue_index
from pipeline.queue_index import row_from_flag
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from review.accounts import Account
from review.claims import Claims
from review.db import DecisionRow, QueueRowRow
from review.queue import QueueFilter, build_queue
from review.queue_sync import QueueSync
from review.scope import queue_prefix
from review.search import by_name

KABS = ("35.98", "35.99")
STATUSES = ("incomplete", "needs_review", "not_eligible")
REASONS = ("KTP_MISSING", "NAME_MISMATCH", "UNDER_AGE", "VITALS_MISSING")
STATUS_ORDER = {"not_eligible": 0, "incomplete": 1, "needs_review": 2, "complete": 3}


def random_area(rng: random.Random) -> keys.AreaCodes:
    if rng.random() < 0.05:
        return keys.AreaCodes.unknown()
    kab = rng.choice(KABS)
    kec = f"{kab}.0{rng.randint(1, 3)}"
    if rng.random() < 0.05:
        return keys.AreaCodes(kab, None, None, "001")
    return keys.AreaCodes(kab, kec, f"{kec}.100{rng.randint(1, 2)}", f"00{rng.randint(1, 2)}")


def write_flag(store, area, dossier_id, rng, at, *, mark: bool = True) -> dict:
    body = {"dossier_id": dossier_id, "status": rng.choice(STATUSES),
            "reasons": sorted(rng.sample(REASONS, rng.randint(1, 2))), "missing_documents": [],
            "flagged_at": at.isoformat(timespec="seconds")}
    store.put_json(keys.flag_key(area, dossier_id), body)
    if mark:
        queue_index.mark(store, area, dossier_id)
    return body


def account(role: str, area: str | None) -> Account:
    return Account(username="t.user", role=role, area=area, password_hash="x", created_at="now")


ACCOUNTS = [account("ADMIN", None), account("KPU_KAB", "35.99"), account("PPK", "35.99.02"),
            account("PPS", "35.99.02.1001"), account("KPU_KAB", "35.98")]
FILTERS = [QueueFilter(), QueueFilter(state="semua"), QueueFilter(state="diputuskan"),
           QueueFilter(status="needs_review"), QueueFilter(reason="UNDER_AGE", state="semua"),
           QueueFilter(tps="2"), QueueFilter(desa="35.99.02.1002", tps="001", state="semua"),
           QueueFilter(state="semua", sort="baru"), QueueFilter(state="semua", sort="status"),
           QueueFilter(state="semua", sort="alasan"), QueueFilter(desa="35.98.01.1001")]


def reference(store, db, acc, flt, n=1, size=7):
    """The queue page the plain way: read every flag in scope, decisions from the database."""
    prefix = queue_prefix(acc, flt.desa, flt.tps)
    if prefix is None:
        return [], 0, Counter(), Counter(), [], True
    with db.read() as s:
        latest = {r.dossier_id: r.to_json() for r in s.scalars(select(DecisionRow).order_by(DecisionRow.id))}
    rows = [row_from_flag(keys.area_from_flag_key(k), keys.dossier_id_from_key(k), store.get_json(k),
                          latest.get(keys.dossier_id_from_key(k))) for k in store.list(prefix)]
    if flt.tps:
        rows = [r for r in rows if r.tps == keys.normalise_tps(flt.tps)]
    desa = sorted({r.desa for r in rows if r.desa})
    rows = [r for r in rows if flt.state == "semua" or r.decided == (flt.state == "diputuskan")]
    by_status = Counter(r.status for r in rows)
    by_reason = Counter(x for r in rows for x in r.reasons)
    rows = [r for r in rows if (not flt.status or r.status == flt.status) and (not flt.reason or flt.reason in r.reasons)]
    rows.sort(key=lambda r: (r.flagged_at, r.dossier_id))
    if flt.sort == "baru":
        rows.sort(key=lambda r: r.flagged_at, reverse=True)
    elif flt.sort == "status":
        rows.sort(key=lambda r: STATUS_ORDER.get(r.status, 9))
    elif flt.sort == "alasan":
        rows.sort(key=lambda r: min(r.reasons) if r.reasons else "~")
    page = rows[(n - 1) * size:n * size]
    return ([(r.dossier_id, r.area, r.decided) for r in page], len(rows), by_status, by_reason, desa, False)


def served(store, db, claims, acc, flt, n=1, size=7):
    p = build_queue(store, db, claims, acc, flt, page=n, page_size=size)
    return ([(i.dossier_id, i.area, i.decided) for i in p.items], p.total, p.by_status, p.by_reason,
            p.desa_options, p.refused)


def assert_same(store, db, claims):
    for acc in ACCOUNTS:
        for flt in FILTERS:
            for n in (1, 2):
                assert served(store, db, claims, acc, flt, n) == reference(store, db, acc, flt, n), (acc.role, acc.area,
                                                                                                     flt, n)


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store", fsync=False)


def test_database_pages_equal_the_plain_scan_through_publishes_moves_unflags_and_decisions(store, review_db):
    """GIVEN 150 flags over two kabupaten (some unknown areas), claims and decisions
    WHEN dossiers are re-flagged, moved, unflagged and decided, each change marked as the writers do
    THEN every page, total, count and desa list of every account and filter equals the plain scan's."""
    rng = random.Random(7)
    claims = Claims(review_db, timedelta(minutes=30))
    t0 = datetime(2023, 12, 1, tzinfo=UTC)
    where = {}
    for i in range(150):
        dossier_id = f"T-{i:04d}"
        where[dossier_id] = random_area(rng)
        write_flag(store, where[dossier_id], dossier_id, rng, t0 + timedelta(minutes=rng.randint(0, 5000)))
    for dossier_id in rng.sample(sorted(where), 10):
        claims.claim(dossier_id, "pps.x")
    assert_same(store, review_db, claims)

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
                key = keys.flag_key(old, dossier_id)
                flag = store.get_json(key) if store.exists(key) else None
                made_on = flag["flagged_at"] if flag and rng.random() < 0.7 else "2023-01-01T00:00:00+00:00"
                with review_db.write() as s:
                    s.add(DecisionRow(dossier_id=dossier_id, decision=rng.choice(["MS", "TMS"]), documents=[],
                                      by="t.user", role="PPK", at="now", result_processed_at=made_on,
                                      overrides=[], grounds=[], override=False))
                queue_index.mark(store, old, dossier_id)
        assert_same(store, review_db, claims)
    assert not list(store.list(keys.queue_pending_prefix()))  # every mark folded


def test_a_mark_written_while_the_app_folds_is_not_lost(tmp_path, review_db):
    """GIVEN the app folding marks WHEN a publisher re-flags another dossier (and marks it) in the middle
    THEN the fold does not delete that new mark, and the next page shows the new flag."""
    t0 = datetime(2023, 12, 1, tzinfo=UTC)
    rng = random.Random(1)
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")

    class Racing(LocalStore):
        armed = False

        def get_json(self, key):
            body = super().get_json(key)
            if self.armed and key == keys.flag_key(area, "A"):
                self.armed = False  # another process publishes B between our listing and our delete
                write_flag(self, area, "B", rng, t0 + timedelta(days=3))
            return body

    store = Racing(tmp_path / "s", fsync=False)
    claims = Claims(review_db, timedelta(minutes=30))
    admin = ACCOUNTS[0]
    write_flag(store, area, "A", rng, t0)
    store.armed = True
    assert [i.dossier_id for i in build_queue(store, review_db, claims, admin, QueueFilter()).items] == ["A"]
    assert [i.dossier_id for i in build_queue(store, review_db, claims, admin, QueueFilter()).items] == ["A", "B"]


def test_reindex_rebuilds_the_table_from_the_flags(store, review_db):
    """A flag written without a mark is not seen until `reindex`; reindex drops rows whose flag is gone and
    keeps the decisions (they live in the database)."""
    area = keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001")
    claims = Claims(review_db, timedelta(minutes=30))
    rng = random.Random(3)
    write_flag(store, area, "A", rng, datetime(2023, 12, 1, tzinfo=UTC))
    write_flag(store, area, "B", rng, datetime(2023, 12, 2, tzinfo=UTC))
    admin = ACCOUNTS[0]
    flt = QueueFilter(state="semua")
    assert [i.dossier_id for i in build_queue(store, review_db, claims, admin, flt).items] == ["A", "B"]
    write_flag(store, area, "C", rng, datetime(2023, 12, 5, tzinfo=UTC), mark=False)
    store.delete(keys.flag_key(area, "B"))  # unflagged without a mark
    flag_a = store.get_json(keys.flag_key(area, "A"))
    with review_db.write() as s:
        s.add(DecisionRow(dossier_id="A", decision="TMS", documents=[], by="t.user", role="PPK", at="now",
                          result_processed_at=flag_a["flagged_at"], overrides=[], grounds=[], override=False))
    assert [i.dossier_id for i in build_queue(store, review_db, claims, admin, flt).items] == ["A", "B"]
    assert QueueSync(store, review_db).rebuild() == 2
    page = build_queue(store, review_db, claims, admin, flt)
    assert [(i.dossier_id, i.decided) for i in page.items] == [("A", True), ("C", False)]
    assert QueueSync(store, review_db).rebuild(("35.98",)) == 0  # another kabupaten: nothing of 35.99 goes
    with review_db.read() as s:
        assert s.scalar(select(func.count()).select_from(QueueRowRow)) == 2


def test_name_search_is_fuzzy_scoped_and_ranked(store, review_db):
    """The database narrows (trigrams on PostgreSQL, LIKE on SQLite), rapidfuzz ranks: a misspelt name finds
    its dossier, an unrelated one does not, and the search stays inside the account's area."""
    rng = random.Random(5)
    names = {"N-1": "Siti Rahayu", "N-2": "Sitti Rahayuningsih", "N-3": "Bambang Sutrisno", "N-4": "Siti Rahayu"}
    areas = {"N-1": keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001"),
             "N-2": keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "001"),
             "N-3": keys.AreaCodes("35.99", "35.99.01", "35.99.01.1001", "002"),
             "N-4": keys.AreaCodes("35.98", "35.98.01", "35.98.01.1001", "001")}
    for i, (dossier_id, name) in enumerate(names.items()):
        store.put_json(keys.registration_key(dossier_id), {"nama": name})
        write_flag(store, areas[dossier_id], dossier_id, rng, datetime(2023, 12, 1 + i, tzinfo=UTC))
    claims = Claims(review_db, timedelta(minutes=30))
    admin, kpu = ACCOUNTS[0], ACCOUNTS[1]

    def found(acc, query):
        return [i.dossier_id for i in build_queue(store, review_db, claims, acc, QueueFilter(state="semua"),
                                                  search=by_name(query)).items]

    # equal scores: oldest flag first; trigrams (PostgreSQL) also offer SITTI RAHAYUNINGSIH, ranked after them
    assert found(admin, "siti rahaju") in (["N-1", "N-4"], ["N-1", "N-4", "N-2"])
    assert found(kpu, "SITI RAHAYU") == ["N-1", "N-2"]  # best first; N-4 is in another kabupaten
    assert found(kpu, "bambang sutrisna") == ["N-3"]
    assert found(kpu, "joko widodo") == []
    assert found(kpu, "100%_") == []  # LIKE's own characters are taken literally


def test_the_name_search_is_answered_from_the_trigram_index(review_db):
    """On PostgreSQL the name search's narrowing is pg_trgm's `%` operator, which the GIN trigram index of
    migration 0002 serves (a `similarity() >= x` comparison cannot use it and reads every queue row)."""
    from review.search import func_similarity

    if review_db.engine.dialect.name != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    query = select(QueueRowRow.dossier_id).where(func_similarity(QueueRowRow.name, "SITI RAHAYU"))
    with review_db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # a near-empty table: the planner would scan it anyway
        compiled = query.compile(conn)
        plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
    assert "ix_queue_rows_name_trgm" in plan, plan
