"""Distributed-mode benchmark: RQ workers on a real Redis, originals in an S3 server (moto), same batch embedded.

    python -m scripts.bench_distributed --count 12 --seed 11 --json var/bench_distributed.json

Reports, for one generated batch:
- dossiers per minute with 1 and with 2 forked worker processes (`berkas worker --burst` style), by wall time
  (first job started to last job ended) and by CPU time (what one core does when it is not shared);
- the scaling efficiency of 2 workers over 1 (wall and CPU);
- the queue + store overhead per dossier: distributed CPU per dossier minus embedded
  (`workers.embedded.process_batch`, local store) CPU per dossier, as a share of the embedded figure;
- the ingestion rate (files per second) into the S3 server, jobs queued, for `--ingest-files` tiny files;
- the worker cores Jawa Timur needs for `--province-dossiers` dossiers in `--hours` hours.
Redis is the one at --redis-url (a dedicated db, flushed before and after); the S3 server is moto's
ThreadedMotoServer on a free loopback port, started here. Nothing is asserted: figures are printed (and written
as JSON with --json). Worker start-up (Runtime.load, `jobs.preload_pipeline`) is measured apart and left out of
per-dossier figures; the decode child's CPU (its start included, once per worker, as in the embedded pool
process) is counted: each worker closes it before reporting, so it is reaped into its children's times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

from redis import Redis

from config.settings import Settings
from pipeline.storage import open_store
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, enqueue_dossier, get_queue

S3_KEY = S3_SECRET = "bench"
REPO = Path(__file__).resolve().parents[1]

# Run by each worker process: load the Runtime once, then work the queue until it is empty; report CPU.
_WORKER = """
import json, os, sys
sys.path.insert(0, {repo!r})
from config.settings import Settings
from pipeline.decode_guard import shared_guard
from workers import jobs
from workers.worker import make_worker
settings = Settings.model_validate(json.loads({settings!r}))
t0 = os.times()
jobs.init_process(settings)
jobs.preload_pipeline()  # start-up (the worker's bootstrap would do it): left out, like the Runtime
t1 = os.times()
make_worker(settings, queues=("dossier",), simple={simple!r}).work(burst=True, with_scheduler=False)
shared_guard().close()  # reaps the decode child, so its CPU is counted in children_* below
t2 = os.times()
print(json.dumps({{
    "init_cpu": (t1.user + t1.system) - (t0.user + t0.system),
    "parent_cpu": (t2.user + t2.system) - (t1.user + t1.system),
    "horses_cpu": (t2.children_user + t2.children_system) - (t1.children_user + t1.children_system),
}}))
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def s3_settings(endpoint: str, redis_url: str) -> Settings:
    return Settings(store="s3", s3_endpoint=endpoint, s3_access_key=S3_KEY, s3_secret_key=S3_SECRET,
                    s3_bucket=f"bench-{uuid.uuid4().hex[:10]}", s3_region="us-east-1", redis_url=redis_url,
                    workers=1)


def _settings_json(settings: Settings) -> str:
    data = settings.model_dump(mode="json")
    data["s3_secret_key"] = settings.s3_secret_key.get_secret_value()
    return json.dumps(data)


def run_distributed(input_dir: Path, endpoint: str, redis: Redis, redis_url: str, workers: int,
                    *, simple: bool = False) -> dict[str, Any]:
    """Ingest into a fresh bucket, queue every dossier, run `workers` burst workers until the queue is empty.

    Forking workers (one work horse per job, as `berkas worker`) unless `simple` (jobs in the worker process)."""
    redis.flushdb()
    settings = s3_settings(endpoint, redis_url)
    store = open_store(settings)
    queue = get_queue(DOSSIER_QUEUE, redis)
    summary = ingest(input_dir, store, None, progress=False)
    ids = summary.dossier_ids
    jobs = [enqueue_dossier(queue, d, version=summary.dossiers[d].version) for d in ids]
    code = _WORKER.format(repo=str(REPO), settings=_settings_json(settings), simple=simple)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    c0, w0 = _self_cpu(), time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(workers)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(f"worker exited {p.returncode}: {err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    wall_total = time.perf_counter() - w0
    server_cpu = _self_cpu() - c0  # this process: the moto S3 server's threads (MinIO's share in production)
    for j in jobs:
        j.refresh()
    started = [j.started_at for j in jobs if j.started_at]
    ended = [j.ended_at for j in jobs if j.ended_at]
    finished = sum(1 for j in jobs if j.get_status() == "finished")
    wall = (max(ended) - min(started)).total_seconds() if started and ended else wall_total
    cpu = sum(r["parent_cpu"] + r["horses_cpu"] for r in reports)
    n = len(ids)
    return {
        "workers": workers, "worker_class": "simple" if simple else "fork", "dossiers": n, "finished": finished,
        "wall_s": round(wall, 2), "wall_incl_startup_s": round(wall_total, 2),
        "init_cpu_s_per_worker": round(sum(r["init_cpu"] for r in reports) / workers, 2),
        "cpu_s_per_dossier": round(cpu / n, 3),
        "s3_server_cpu_s_per_dossier": round(server_cpu / n, 3),
        "dossiers_per_min_wall": round(60 * n / wall, 2),
        "dossiers_per_min_cpu": round(60 * workers / (cpu / n), 2),  # `workers` cores, each unshared
    }


def run_embedded(input_dir: Path, work: Path) -> dict[str, Any]:
    """The same batch through `process_batch` on a local store, one pool process.

    `process_batch` loads spaCy, rules and regions in its parent before the pool forks (not counted in its
    `cpu_seconds`); the pool process then builds its OCR engine, which is counted. That engine start-up is
    measured here apart and subtracted, as the workers' start-up is left out of the distributed figures."""
    from pipeline.ocr.factory import make_engine
    from workers.embedded import process_batch

    settings = Settings(store="local", store_path=work / "store", workers=1)
    store = open_store(settings)
    ids = ingest(input_dir, store, None, progress=False).dossier_ids
    c0 = time.process_time()
    make_engine(settings.ocr_engine, lang=settings.ocr_lang, tessdata=settings.tessdata)
    engine_cpu = time.process_time() - c0
    t0 = time.perf_counter()
    outcome = process_batch(ids, settings, processes=1)
    wall = time.perf_counter() - t0
    n = len(ids)
    cpu = max(0.0, outcome.cpu_seconds - engine_cpu)
    return {"dossiers": n, "processed": len(outcome.results), "wall_s": round(wall, 2),
            "engine_start_cpu_s": round(engine_cpu, 2), "cpu_s_per_dossier": round(cpu / n, 3),
            "wall_s_per_dossier": round((wall - engine_cpu) / n, 3)}


def _tiny_png(seed: int) -> bytes:
    """A valid 1x1 grey PNG, different per seed (so every file is a new object)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    raw = b"\x00" + bytes([seed % 256])
    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    text = chunk(b"tEXt", b"n\x00" + str(seed).encode())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + text + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def make_small_files(root: Path, files: int) -> int:
    """`files` files as dossiers of registration.json + 3 tiny PNGs. Returns the number written."""
    written = 0
    reg = {"nama": "CONTOH PENDAFTAR", "nik": "3575024506990001", "tanggal_lahir": "1999-06-05",
           "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
                       "desa_kelurahan": "KEBONAGUNG", "tps": "003"}}
    i = 0
    while written < files:
        folder = root / f"S-{i:05d}"
        folder.mkdir(parents=True)
        (folder / "registration.json").write_text(json.dumps({"dossier_id": folder.name, **reg}))
        written += 1
        for page in range(3):
            if written >= files:
                break
            (folder / f"scan{page}.png").write_bytes(_tiny_png(i * 3 + page))
            written += 1
        i += 1
    return written


def run_ingest_rate(root: Path, endpoint: str, redis: Redis, redis_url: str, files: int,
                    concurrency: int) -> dict[str, Any]:
    redis.flushdb()
    written = make_small_files(root, files)
    store = open_store(s3_settings(endpoint, redis_url))
    queue = get_queue(DOSSIER_QUEUE, redis)
    c0, t0 = _self_cpu(), time.perf_counter()
    summary = ingest(root, store, queue, progress=False, concurrency=concurrency)
    wall = time.perf_counter() - t0
    cpu = _self_cpu() - c0
    c = summary.counts()
    stored_files = c["stored"] + len(summary.dossiers)  # scans + one registration.json per dossier
    return {"files": written, "stored_files": stored_files, "dossiers": c["dossiers"], "queued": c["queued"],
            "concurrency": concurrency, "wall_s": round(wall, 2), "files_per_s": round(written / wall, 1),
            "cpu_s": round(cpu, 2), "note": "ingest client and moto S3 server share one process and 2 cores"}


def province_cores(dossiers: int, hours: float, cpu_per_dossier: float, efficiency: float) -> dict[str, Any]:
    """Cores needed: CPU-seconds of the whole batch / seconds available, divided by the scaling efficiency."""
    seconds = hours * 3600
    need = dossiers * cpu_per_dossier / seconds
    return {"dossiers": dossiers, "hours": hours, "cpu_s_per_dossier": cpu_per_dossier,
            "dossiers_per_hour_needed": round(dossiers / hours), "core_seconds": round(dossiers * cpu_per_dossier),
            "cores_at_full_efficiency": round(need, 1), "scaling_efficiency": efficiency,
            "cores": math.ceil(need / efficiency)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_distributed", description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=12, help="generated dossiers")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a dedicated db: it is flushed")
    ap.add_argument("--ingest-files", type=int, default=10_000, help="0 skips the ingestion-rate run")
    ap.add_argument("--ingest-concurrency", type=int, default=8)
    ap.add_argument("--province-dossiers", type=int, default=845_000)
    ap.add_argument("--hours", type=float, default=48)
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--ingest-only", action="store_true", help="only the ingestion-rate run")
    ap.add_argument("--simple", action="store_true", help="also run 1 non-forking worker (jobs in-process)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)

    import logging

    from moto.server import ThreadedMotoServer

    from scripts.generate_samples import main as generate

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs one line per request otherwise
    os.environ.setdefault("AWS_ACCESS_KEY_ID", S3_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    redis = Redis.from_url(args.redis_url)
    redis.ping()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-dist-"))
    figures: dict[str, Any] = {"count": args.count, "seed": args.seed, "cores_on_machine": os.cpu_count(),
                               "loadavg_at_start": os.getloadavg()[0]}
    try:
        if args.ingest_only:
            figures["ingest"] = run_ingest_rate(tmp / "small", endpoint, redis, args.redis_url,
                                                args.ingest_files, args.ingest_concurrency)
            return _finish(figures, args.json)
        if generate(["--out", str(tmp / "samples"), "--count", str(args.count), "--seed", str(args.seed)]) != 0:
            raise SystemExit("sample generation failed")
        input_dir = tmp / "samples" / "input"
        for k in (1, 2):
            figures[f"distributed_{k}"] = r = run_distributed(input_dir, endpoint, redis, args.redis_url, k)
            print(f"distributed, {k} worker(s): {r}", flush=True)
        if args.simple:
            figures["distributed_1_simple"] = r = run_distributed(input_dir, endpoint, redis, args.redis_url, 1,
                                                                  simple=True)
            print(f"distributed, 1 simple worker: {r}", flush=True)
        d1, d2 = figures["distributed_1"], figures["distributed_2"]
        figures["scaling_efficiency_wall"] = round(d2["dossiers_per_min_wall"] / (2 * d1["dossiers_per_min_wall"]), 3)
        figures["scaling_efficiency_cpu"] = round(d1["cpu_s_per_dossier"] / d2["cpu_s_per_dossier"], 3)
        if not args.skip_embedded:
            figures["embedded"] = e = run_embedded(input_dir, tmp / "embedded")
            print(f"embedded, 1 process: {e}", flush=True)
            figures["overhead_share_cpu"] = round((d1["cpu_s_per_dossier"] - e["cpu_s_per_dossier"])
                                                  / e["cpu_s_per_dossier"], 3)
            figures["overhead_share_cpu_incl_s3_server"] = round(
                (d1["cpu_s_per_dossier"] + d1["s3_server_cpu_s_per_dossier"] - e["cpu_s_per_dossier"])
                / e["cpu_s_per_dossier"], 3)
            figures["overhead_share_wall"] = round((d1["wall_s"] / d1["dossiers"] - e["wall_s_per_dossier"])
                                                   / e["wall_s_per_dossier"], 3)
        if args.ingest_files:
            figures["ingest"] = i = run_ingest_rate(tmp / "small", endpoint, redis, args.redis_url,
                                                    args.ingest_files, args.ingest_concurrency)
            print(f"ingestion: {i}", flush=True)
        cpu = max(d1["cpu_s_per_dossier"], d2["cpu_s_per_dossier"])
        eff = min(1.0, figures["scaling_efficiency_cpu"])
        figures["jawa_timur"] = jt = province_cores(args.province_dossiers, args.hours, cpu, eff)
        print(f"Jawa Timur: {jt['dossiers']} dossiers x {cpu} CPU-s = {jt['core_seconds']} core-s; "
              f"/ ({args.hours} h x 3600 s) = {jt['cores_at_full_efficiency']} cores; / efficiency {eff} "
              f"-> {jt['cores']} worker cores")
        if args.simple:
            ds = figures["distributed_1_simple"]
            figures["jawa_timur_simple"] = js = province_cores(args.province_dossiers, args.hours,
                                                               ds["cpu_s_per_dossier"], eff)
            print(f"Jawa Timur, --simple workers: {js['core_seconds']} core-s -> {js['cores']} worker cores")
    finally:
        redis.flushdb()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return _finish(figures, args.json)


def _finish(figures: dict[str, Any], out: Path | None) -> int:
    figures["loadavg_at_end"] = os.getloadavg()[0]
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
