"""Benchmark of the review queue: page-and-counts latency over N flags, reading every flag vs the queue index.

    .venv/bin/python -m scripts.bench_review --flags 2000 20000 [--repeat 5] [--work DIR]

For each N: writes N synthetic flags (made-up ids, statuses, reasons; spread over 20 kecamatan x 10 desa x
10 TPS of one kabupaten, so a KPU Kab/Kota account sees all N), decisions on 20% of them and a few claims,
into a fresh LocalStore (fsync off). Then times `review.queue.build_queue` (page 1 of the open queue with
its counts by status and reason, what GET /antrean renders) for:

- `scan`  : the original path, every flag object read per request (`index=False`);
- `index` : the queue index, warm (no pending marks);
- `index+50`: the first request after 50 dossiers were re-published (50 flags rewritten and marked),
  which folds the marks into new shard versions;
- `pps`   : a PPS account (one desa, ~N/200 flags), index;
and, once, the cold build of the whole kabupaten's index (first request ever).

Each case is repeated `--repeat` times; the median wall time and CPU time (time.process_time) are printed.
Wall time depends on what else runs on the machine; CPU time less so. Every index page is compared with
the scan page (same ids, total and counts) before timing, so the figures are of a correct index.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline import queue_index
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from review.accounts import Account
from review.claims import Claims
from review.queue import QueueFilter, build_queue

KAB = "35.99"
REASONS = ("KTP_MISSING", "IJAZAH_MISSING", "VITALS_MISSING", "NAME_MISMATCH", "OVER_55", "LOW_CONFIDENCE",
           "UNDER_AGE", "DOB_MISMATCH")
STATUSES = ("incomplete", "needs_review", "not_eligible")


def area(i: int) -> keys.AreaCodes:
    kec = f"{KAB}.{i % 20 + 1:02d}"
    desa = f"{kec}.{2001 + (i // 20) % 10}"
    return keys.AreaCodes(KAB, kec, desa, f"{(i // 200) % 10 + 1:03d}")


def flag(i: int, dossier_id: str, at: datetime, rng: random.Random) -> dict:
    return {"dossier_id": dossier_id, "status": rng.choice(STATUSES),
            "reasons": sorted(rng.sample(REASONS, rng.randint(1, 3))), "missing_documents": [],
            "flagged_at": at.isoformat(timespec="seconds"), "result_key": keys.result_key(dossier_id)}


def populate(store: LocalStore, n: int, rng: random.Random) -> list[str]:
    start = datetime(2023, 12, 1, tzinfo=UTC)
    ids = []
    for i in range(n):
        dossier_id = f"BENCH-{i:06d}"
        body = flag(i, dossier_id, start + timedelta(seconds=rng.randint(0, 30 * 86400)), rng)
        store.put_json(keys.flag_key(area(i), dossier_id), body)
        queue_index.mark(store, area(i), dossier_id)
        if rng.random() < 0.2:
            store.put_json(keys.decision_key(dossier_id), {
                "dossier_id": dossier_id, "decision": "MS", "by": "bench",
                "result_processed_at": body["flagged_at"] if rng.random() < 0.8 else "2023-11-01T00:00:00+00:00"})
        ids.append(dossier_id)
    claims = Claims(store, timedelta(minutes=30))
    for dossier_id in rng.sample(ids, min(20, n)):
        claims.claim(dossier_id, "bench.user")
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


def same(a, b) -> bool:
    return ([i.dossier_id for i in a.items] == [i.dossier_id for i in b.items] and a.total == b.total
            and a.by_status == b.by_status and a.by_reason == b.by_reason and a.desa_options == b.desa_options)


def bench(n: int, repeat: int, work: Path) -> None:
    root = work / f"store-{n}"
    shutil.rmtree(root, ignore_errors=True)
    store = LocalStore(root, fsync=False)
    rng = random.Random(n)
    ids = populate(store, n, rng)
    claims = Claims(store, timedelta(minutes=30))
    kpu, pps = account("KPU_KAB", KAB), account("PPS", area(0).desa_code)
    flt = QueueFilter()

    def page(acc, index):
        return lambda: build_queue(store, claims, acc, flt, page=1, page_size=50, index=index)

    cold_w, cold_c, _ = timed(page(kpu, True), 1)
    rows = []
    w, c, scan = timed(page(kpu, False), repeat)
    rows.append(("scan (KPU Kab, every flag read)", w, c))
    w, c, idx = timed(page(kpu, True), repeat)
    assert same(scan, idx), "index page differs from the scan page"
    rows.append(("index, warm (KPU Kab)", w, c))

    def republish_50():
        at = datetime(2024, 1, 15, tzinfo=UTC)
        for k, dossier_id in enumerate(rng.sample(ids, 50)):
            i = int(dossier_id.split("-")[1])
            store.put_json(keys.flag_key(area(i), dossier_id), flag(i, dossier_id, at + timedelta(seconds=k), rng))
            queue_index.mark(store, area(i), dossier_id)

    walls, cpus = [], []
    for _ in range(repeat):
        republish_50()
        w, c, idx = timed(page(kpu, True), 1)
        walls.append(w)
        cpus.append(c)
    assert same(build_queue(store, claims, kpu, flt, index=False), idx), "index page differs after marks"
    rows.append(("index, first page after 50 re-publishes (KPU Kab)", statistics.median(walls),
                 statistics.median(cpus)))
    w, c, _ = timed(page(pps, False), repeat)
    rows.append(("scan (PPS, one desa)", w, c))
    w, c, p = timed(page(pps, True), repeat)
    assert same(build_queue(store, claims, pps, flt, index=False), p)
    rows.append(("index, warm (PPS, one desa)", w, c))
    print(f"\nN = {n} flags (KPU Kab sees {n}; PPS sees {p.total + 0} open of ~{n // 200}); median of {repeat}")
    print(f"{'case':55s} {'wall ms':>9s} {'cpu ms':>9s}")
    for name, w, c in rows:
        print(f"{name:55s} {w:9.1f} {c:9.1f}")
    print(f"{'cold build of the kabupaten index (once)':55s} {cold_w:9.1f} {cold_c:9.1f}")
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flags", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-review-"))
    work.mkdir(parents=True, exist_ok=True)
    for n in args.flags:
        bench(n, args.repeat, work)


if __name__ == "__main__":
    main()
