"""Benchmark of the nightly report: time and peak memory over N synthetic summary rows.

    .venv/bin/python -m scripts.bench_report --rows 10000 100000 [--work var/bench-report] [--sample-out DIR]

For each N: writes N synthetic rows (no OCR; made-up ids, statuses and reasons spread over every desa of
Jawa Timur) into a LocalStore, then, in a fresh child process, builds two nights of reports over the
whole province with the demo TPS list (about 127,000 TPS): night 1 with no previous snapshot, night 2
after 5% of the rows changed, so it also reads night 1's snapshots. The child reports wall time per night
and its peak RSS (resource.getrusage ru_maxrss: interpreter, matplotlib and reportlab included).
Wall time depends on what else runs on the machine, so CPU time (time.process_time) is reported too.
`--sample-out` copies the N-row report (HTML, PDF, page-1 PNG) to a folder, e.g. for the README.

    .venv/bin/python -m scripts.bench_report --memory var/bench-report/n100000 [--repeat 3]

re-measures night 2 on a store populated by an earlier run, with its rows and night 1's snapshots read into
memory first: the report's own CPU without the store's file reads, which swing with the page cache on a
shared machine. Run it from another checkout (e.g. `git archive <commit> | tar -x -C DIR`, then
`cd DIR && python -m scripts.bench_report --memory ...`) to compare two versions on the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config.tps.generate_demo import generate, write_csv
from models.contract import DossierStatus
from pipeline.storage import LocalStore
from pipeline.storage.keys import AreaCodes

STATUS_MIX = (  # (status, weight, reasons to draw from, missing documents to draw from)
    (DossierStatus.COMPLETE, 70, (), ()),
    (DossierStatus.INCOMPLETE, 10, ("KTP_MISSING", "IJAZAH_MISSING", "SURAT_SEHAT_MISSING"), ()),
    (DossierStatus.NEEDS_REVIEW, 15, ("VITALS_MISSING", "NAME_MISMATCH", "OVER_55", "OUT_OF_AREA",
                                      "LOW_CONFIDENCE", "HEALTH_LETTER_STALE", "FIELD_UNREADABLE",
                                      "DOCUMENT_UNREADABLE"), ()),
    (DossierStatus.NOT_ELIGIBLE, 5, ("UNDER_AGE", "EDUCATION_TOO_LOW", "NOT_HEALTHY"), ()),
)
MISSING_OF = {"KTP_MISSING": "ktp", "IJAZAH_MISSING": "ijazah", "SURAT_SEHAT_MISSING": "surat_sehat"}
DAY1, DAY2 = "2023-12-20", "2023-12-21"


def synthetic_row(rng: random.Random, n: int, desa: str, tps: str) -> dict:
    """One summary row as the pipeline would store it (no names, no NIK)."""
    status, _, pool, _ = rng.choices(STATUS_MIX, weights=[m[1] for m in STATUS_MIX])[0]
    reasons = sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(1, 2))))) if pool else []
    received = datetime(2023, 12, 11, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 9 * 24 * 60))
    review = None
    if status != DossierStatus.COMPLETE and rng.random() < 0.3:
        review = {"decision": rng.choice(["approved", "rejected", "documents_requested"]),
                  "at": (received + timedelta(days=1)).isoformat()}
    kab, kec = ".".join(desa.split(".")[:2]), ".".join(desa.split(".")[:3])
    return {
        "dossier_id": f"bench-{n:07d}", "kab": kab, "kec": kec, "desa": desa, "tps": tps,
        "status": status.value, "reasons": reasons,
        "missing": sorted(MISSING_OF[r] for r in reasons if r in MISSING_OF), "review": review,
        "received_at": received.isoformat(), "updated_at": received.isoformat(),
    }


def populate(root: Path, rows: int, seed: int = 2024) -> Path:
    """Fill a LocalStore at `root/store` with `rows` rows; returns the TPS list path."""
    shutil.rmtree(root, ignore_errors=True)
    store = LocalStore(root / "store", fsync=False)
    tps = generate("35", seed=seed)
    tps_path = root / "tps.csv"
    with tps_path.open("w", encoding="utf-8") as fh:
        write_csv(tps, fh)
    rng = random.Random(seed)
    for n in range(rows):
        desa, number = rng.choice(tps)
        row = synthetic_row(rng, n, desa, f"{number:03d}")
        area = AreaCodes(row["kab"], row["kec"], desa, row["tps"])
        store.put_json(f"summaries/{'/'.join(area.segments()[:3])}/{row['dossier_id']}.json", row)
    return tps_path


def change_some(root: Path, fraction: float = 0.05, seed: int = 7) -> int:
    """Between the two nights: a share of the rows changes status (as re-processing would)."""
    store = LocalStore(root / "store", fsync=False)
    rng = random.Random(seed)
    changed = 0
    for key in store.list("summaries/"):
        if rng.random() < fraction:
            row = store.get_json(key)
            row["status"] = rng.choice([s.value for s in DossierStatus])
            row["reasons"] = [] if row["status"] == "complete" else ["NAME_MISMATCH"]
            store.put_json(key, row)
            changed += 1
    return changed


def measure(root: Path, sample_out: Path | None) -> dict:
    """Runs in the child: two nights, wall time each, peak RSS of this process."""
    from pipeline.reports import build_report

    store = LocalStore(root / "store", fsync=False)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings, cpu = {}, {}
    for day in (DAY1, DAY2):
        if day == DAY2:
            subprocess.run([sys.executable, "-m", "scripts.bench_report", "--change", str(root)], check=True)
        start, start_cpu = time.perf_counter(), time.process_time()
        paths = build_report(store, date=day, area=None, tps_csv=root / "tps.csv")
        timings[day] = round(time.perf_counter() - start, 2)
        cpu[day] = round(time.process_time() - start_cpu, 2)
    if sample_out:
        sample_out.mkdir(parents=True, exist_ok=True)
        for key, name in ((paths.html, "laporan.html"), (paths.pdf, "laporan.pdf")):
            (sample_out / name).write_bytes(store.get_bytes(key))
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(sample_out / "laporan.pdf"),
                        str(sample_out / "laporan")], check=False)
    return {
        "rows_read": paths.rows_read, "seconds_night1": timings[DAY1], "seconds_night2": timings[DAY2],
        "cpu_night1": cpu[DAY1], "cpu_night2": cpu[DAY2], "load_avg_1min": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_imports_mb": round(rss_before / 1024, 1),
    }


class MemoryStore:
    """The store methods reports use, over a dict (for `--memory`)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def put_bytes(self, key: str, data: bytes, *, content_type: str = "", metadata: dict | None = None) -> None:
        self.objects[key] = bytes(data)

    def get_bytes(self, key: str) -> bytes:
        return self.objects[key]

    def put_json(self, key: str, obj: object) -> None:
        self.objects[key] = json.dumps(obj).encode()

    def get_json(self, key: str) -> object:
        return json.loads(self.objects[key])

    def list(self, prefix: str):
        return iter(sorted(k for k in self.objects if k.startswith(prefix)))

    def exists(self, key: str) -> bool:
        return key in self.objects

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


def measure_in_memory(root: Path, repeat: int) -> list[float]:
    """CPU seconds of night 2 over the rows of `root`, read into memory with night 1's snapshots."""
    from pipeline.reports import build_report

    disk = LocalStore(root / "store", fsync=False)
    keys = [*disk.list("summaries/"), *disk.list(f"reports/{DAY1}/snapshot/")]
    objects = {key: disk.get_bytes(key) for key in keys}
    seconds = []
    for _ in range(repeat):
        store = MemoryStore(dict(objects))
        start = time.process_time()
        build_report(store, date=DAY2, area=None, tps_csv=root / "tps.csv")
        seconds.append(round(time.process_time() - start, 2))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("var/bench-report"))
    parser.add_argument("--sample-out", type=Path, help="copy the report of the first N here")
    parser.add_argument("--memory", type=Path, help="re-measure night 2 of this populated store, in memory")
    parser.add_argument("--repeat", type=int, default=3, help="runs of --memory")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--change", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.change:
        change_some(args.change)
        return 0
    if args.memory:
        seconds = measure_in_memory(args.memory, args.repeat)
        print(f"night2 in memory ({args.memory}): cpu={' '.join(f'{s:.2f}s' for s in seconds)}")
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.sample_out)))
        return 0
    for i, rows in enumerate(args.rows):
        root = args.work / f"n{rows}"
        start = time.perf_counter()
        populate(root, rows)
        setup = time.perf_counter() - start
        cmd = [sys.executable, "-m", "scripts.bench_report", "--measure", str(root)]
        if args.sample_out and i == 0:
            cmd += ["--sample-out", str(args.sample_out)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"rows={rows:>7} setup={setup:6.1f}s "
              f"night1 wall={figures['seconds_night1']:6.2f}s cpu={figures['cpu_night1']:6.2f}s "
              f"night2 wall={figures['seconds_night2']:6.2f}s cpu={figures['cpu_night2']:6.2f}s "
              f"peak_rss={figures['peak_rss_mb']:7.1f}MB (after imports {figures['rss_after_imports_mb']}MB) "
              f"rows_read={figures['rows_read']} load={figures['load_avg_1min']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
