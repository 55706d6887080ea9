"""Benchmark of the review queue served by the review database: page-and-counts latency at N flags, on SQLite
and PostgreSQL.

    .venv/bin/python -m scripts.bench_review --flags 20000 200000 [--repeat 5] [--db sqlite postgresql]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--pg-prefix berkas_bench_]

For each N and database: a fresh database (a SQLite file in a temporary folder; a PostgreSQL database
created under --pg-prefix and dropped afterwards), migrated, then N synthetic queue rows (made-up ids,
statuses, 1-3 reasons, registered names; 20 kecamatan x 10 desa x 10 TPS of one kabupaten, so a KPU Kab/Kota
account sees all N), a decision on 20% of them and 20 claims, written straight into the tables (what
`berkas review reindex` would write from N flags). Then `review.queue.build_queue` (what GET /antrean
renders: one page of 50 with the counts by status and reason and the desa list) is timed for:

- KPU Kab, open queue, oldest first, page 1 (the default page);
- KPU Kab, all, sorted by reason, page 100;
- KPU Kab, name search ("siti rahaju": trigram candidates on PostgreSQL, LIKE on SQLite, ranked by rapidfuzz);
- PPS (one desa, ~N/200 rows), page 1;
- KPU Kab, the first page after 50 dossiers were re-published (50 flags written to a local store and
  marked, folded into the tables by that request).

Each case is repeated --repeat times; the median wall time and CPU time (time.process_time, this process
only: PostgreSQL's own work is in the wall time) are printed in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline import queue_index
from pipeline.queue_index import QueueRow
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from review.accounts import Account
from review.claims import Claims
from review.db import DecisionRow, ReviewDB
from review.queue import QueueFilter, build_queue
from review.queue_sync import put_rows, table_row
from review.search import by_name

KAB = "35.99"
REASONS = ("KTP_MISSING", "IJAZAH_MISSING", "VITALS_MISSING", "NAME_MISMATCH", "OVER_55", "LOW_CONFIDENCE",
           "UNDER_AGE", "DOB_MISMATCH")
STATUSES = ("incomplete", "needs_review", "not_eligible")
FIRST = ("SITI", "SRI", "BUDI", "AGUS", "DEWI", "EKO", "RINA", "JOKO", "NUR", "ADI", "ANI", "HERU")
LAST = ("RAHAYU", "WAHYUNI", "SANTOSO", "SUSANTO", "LESTARI", "HIDAYAT", "PRATAMA", "SARI", "UTOMO", "PURNOMO")


def area(i: int) -> keys.AreaCodes:
    kec = f"{KAB}.{i % 20 + 1:02d}"
    desa = f"{kec}.{2001 + (i // 20) % 10}"
    return keys.AreaCodes(KAB, kec, desa, f"{(i // 200) % 10 + 1:03d}")


def flag(dossier_id: str, at: datetime, rng: random.Random) -> dict:
    return {"dossier_id": dossier_id, "status": rng.choice(STATUSES),
            "reasons": sorted(rng.sample(REASONS, rng.randint(1, 3))), "missing_documents": [],
            "flagged_at": at.isoformat(timespec="seconds"), "result_key": keys.result_key(dossier_id)}


def populate(db: ReviewDB, n: int, rng: random.Random) -> list[str]:
    start = datetime(2023, 12, 1, tzinfo=UTC)
    ids: list[str] = []
    batch: list[dict] = []
    decisions: list[dict] = []
    with db.write() as s:
        for i in range(n):
            dossier_id = f"BENCH-{i:06d}"
            body = flag(dossier_id, start + timedelta(seconds=rng.randint(0, 30 * 86400)), rng)
            a = area(i)
            row = QueueRow(dossier_id, a.kab_code, a.kec_code, a.desa_code, a.tps, body["status"], body["reasons"],
                           [], body["flagged_at"])
            decision = None
            if rng.random() < 0.2:
                made_on = body["flagged_at"] if rng.random() < 0.8 else "2023-11-01T00:00:00+00:00"
                decision = DecisionRow(dossier_id=dossier_id, decision="MS", by="bench", role="PPK", at="now",
                                       result_processed_at=made_on, documents=[], overrides=[], grounds=[],
                                       override=False)
                decisions.append({c: getattr(decision, c) for c in (
                    "dossier_id", "decision", "by", "role", "at", "result_processed_at", "documents", "overrides",
                    "grounds", "override")})
            batch.append(table_row(row, f"{rng.choice(FIRST)} {rng.choice(LAST)}", decision))
            ids.append(dossier_id)
            if len(batch) == 5000:
                put_rows(s, batch, replace=False)
                batch = []
        put_rows(s, batch, replace=False)
        if decisions:
            from sqlalchemy import insert

            s.execute(insert(DecisionRow), decisions)
    claims = Claims(db, timedelta(minutes=30))
    for dossier_id in rng.sample(ids, min(20, n)):
        claims.claim(dossier_id, "bench.user")
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return ids


def account(role: str, area_code: str) -> Account:
    return Account(username="bench.user", role=role, area=area_code, password_hash="x", created_at="now")


def timed(fn, repeat: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, out


def bench(db: ReviewDB, store: LocalStore, n: int, repeat: int) -> list[tuple[str, float, float]]:
    rng = random.Random(n)
    ids = populate(db, n, rng)
    claims = Claims(db, timedelta(minutes=30))
    kpu, pps = account("KPU_KAB", KAB), account("PPS", area(0).desa_code)

    def page(acc, flt, hal=1, search=None):
        return lambda: build_queue(store, db, claims, acc, flt, page=hal, page_size=50, search=search)

    rows = []
    w, c, first = timed(page(kpu, QueueFilter()), repeat)
    assert first.total > 0.7 * n and len(first.items) == 50  # type: ignore[attr-defined]
    rows.append(("KPU Kab, open, oldest first, page 1", w, c))
    w, c, _ = timed(page(kpu, QueueFilter(state="semua", sort="alasan"), hal=100), repeat)
    rows.append(("KPU Kab, all, by reason, page 100", w, c))
    w, c, found = timed(page(kpu, QueueFilter(state="semua"), search=by_name("siti rahaju")), repeat)
    rows.append((f"KPU Kab, name search ({found.total} found)", w, c))  # type: ignore[attr-defined]
    w, c, _ = timed(page(pps, QueueFilter()), repeat)
    rows.append(("PPS (one desa), open, page 1", w, c))
    walls, cpus = [], []
    for r in range(repeat):
        at = datetime(2024, 1, 15, tzinfo=UTC) + timedelta(minutes=r)
        for k, dossier_id in enumerate(rng.sample(ids, 50)):
            i = int(dossier_id.split("-")[1])
            store.put_json(keys.flag_key(area(i), dossier_id), flag(dossier_id, at + timedelta(seconds=k), rng))
            queue_index.mark(store, area(i), dossier_id)
        w, c, _ = timed(page(kpu, QueueFilter()), 1)
        walls.append(w)
        cpus.append(c)
    assert not list(store.list(keys.queue_pending_prefix()))
    rows.append(("KPU Kab, first page after 50 re-publishes", statistics.median(walls), statistics.median(cpus)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flags", type=int, nargs="+", default=[20000, 200000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--pg-prefix", default="berkas_bench_")
    args = ap.parse_args()
    for n in args.flags:
        for backend in args.db:
            with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
                store = LocalStore(Path(tmp) / "store", fsync=False)
                if backend == "sqlite":
                    db = ReviewDB(f"sqlite:///{tmp}/review.sqlite3")
                    name = None
                else:
                    name = f"{args.pg_prefix}{uuid.uuid4().hex[:8]}"
                    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    db = ReviewDB(make_url(args.postgres).set(database=name).render_as_string(hide_password=False))
                try:
                    db.migrate()
                    t0 = time.perf_counter()
                    rows = bench(db, store, n, args.repeat)
                    took = time.perf_counter() - t0
                finally:
                    db.dispose()
                    if name:
                        with admin.connect() as conn:
                            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            print(f"\nN = {n} flags, {backend}; median of {args.repeat} (run {took:.0f} s with set-up)")
            print(f"{'case':50s} {'wall ms':>9s} {'cpu ms':>9s}")
            for label, w, c in rows:
                print(f"{label:50s} {w:9.1f} {c:9.1f}")


if __name__ == "__main__":
    main()
