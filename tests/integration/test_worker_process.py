"""A real forking worker on the real pipeline, in a fresh interpreter: what it logs and what each job loads.

One subprocess (so that nothing another test imported can hide a lazy load) generates two dossiers, names a
scan of the first after its registrant (file names do hold names), and runs a forking `BerkasWorker` with
`BERKAS_LOG_FORMAT`-style JSON logs at DEBUG into a file; then, in the worker's own process, it processes the
second dossier after `preload_pipeline` and reports which modules and caches that job still loaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[2]
REDIS_DB = int(os.environ.get("BERKAS_TEST_REDIS_DB", "13"))

_SCRIPT = """
import functools, gc, json, logging, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from config.settings import Settings
from pipeline.logs import configure_logging
from pipeline.storage import open_store
from redis import Redis
from workers import jobs
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, get_queue
from workers.worker import make_worker

tmp = Path({tmp!r})
settings = Settings(store="local", store_path=tmp / "store", redis_url={redis_url!r})
store = open_store(settings)
redis = Redis.from_url(settings.redis_url)
ids = sorted(p.name for p in (tmp / "s" / "input").iterdir())
first, second = ids
ingest(tmp / "s" / "input", store, None)
get_queue(DOSSIER_QUEUE, redis).enqueue("workers.jobs.process_dossier_job", first, job_id="job-" + first)
with open(tmp / "log.jsonl", "a", buffering=1) as log_file:
    configure_logging(level=logging.DEBUG, fmt="json", stream=log_file)
    jobs.init_process(settings, store=store)
    make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis).work(burst=True, with_scheduler=False)

    def caches():
        # loaders (a small maxsize: one table, one model); memo caches keyed by input are expected to grow
        return {{f"{{c.__module__}}.{{c.__qualname__}}": c.cache_info().currsize for c in gc.get_objects()
                if isinstance(c, functools._lru_cache_wrapper) and (c.cache_info().maxsize or 1e9) <= 8}}

    modules, before = set(sys.modules), caches()
    jobs.process_dossier_job(second)
    after = caches()
print(json.dumps({{
    "first": first,
    "new_modules": sorted(set(sys.modules) - modules),
    "filled_caches": sorted(k for k, v in after.items() if v and not before.get(k)),
    "result_first": (tmp / "store" / "objects" / "results" / first / "result.json").exists(),
}}))
"""


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory):
    try:
        Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    except RedisConnectionError:
        pytest.fail("no Redis at 127.0.0.1:6379: scripts/test.sh starts one; run the tests through it")
    from scripts.generate_samples import main as generate

    tmp = tmp_path_factory.mktemp("worker-run")
    assert generate(["--out", str(tmp / "s"), "--count", "2", "--seed", "11"]) == 0
    folder = sorted((tmp / "s" / "input").iterdir())[0]
    reg = json.loads((folder / "registration.json").read_text())
    scan = next(p for p in sorted(folder.iterdir()) if p.name != "registration.json")
    scan.rename(folder / f"KTP {reg['nama']}{scan.suffix}")  # a personal name in a file name, as people do
    code = _SCRIPT.format(repo=str(REPO), tmp=str(tmp), redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, cwd=REPO)
    Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report, reg, (tmp / "log.jsonl").read_text()


def spellings(reg: dict) -> list[str]:
    """The registration's NIK, name and birth date as people and programs write them."""
    nik, nama, born = reg["nik"], reg["nama"], date.fromisoformat(reg["tanggal_lahir"])
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember"]
    d, m, y = born.day, born.month, born.year
    return [
        nik, " ".join([nik[:4], nik[4:8], nik[8:12], nik[12:]]), nik[:6] + "." + nik[6:12] + "." + nik[12:],
        nama, nama.upper(), nama.title(), nama.lower(), nama.replace(" ", "_"),
        born.isoformat(), f"{d:02d}-{m:02d}-{y}", f"{d:02d}/{m:02d}/{y}", f"{d:02d}.{m:02d}.{y}", f"{d}-{m}-{y}",
        f"{d}/{m}/{y}", f"{d:02d}{m:02d}{y}", f"{y}{m:02d}{d:02d}", f"{d} {months[m - 1]} {y}",
        f"{d:02d} {months[m - 1].upper()} {y}", f"{born:%B} {d}, {y}", f"{born:%d %B %Y}",
    ]


def test_worker_log_is_json_lines_with_job_ids_and_no_personal_data(worker_run):
    report, reg, text = worker_run
    assert report["result_first"]
    records = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line one JSON object
    assert records
    during_job = [r for r in records if r["logger"].startswith(("pipeline.", "workers."))
                  and r.get("dossier_id") == report["first"]]
    assert during_job, "the pipeline logged nothing at DEBUG: the leak check below would prove nothing"
    assert all(r["job_id"] == "job-" + report["first"] and r["worker"].startswith("berkas-") for r in during_job)
    assert any(r["pid"] != records[0]["pid"] for r in during_job)  # emitted in the forked work horse
    assert "[disamarkan]" in text  # the scan's file name was logged and masked
    for value in spellings(reg):
        assert re.search(re.escape(value), text, re.IGNORECASE) is None, "personal data in the log"


def test_a_job_after_preload_loads_no_module_and_no_cache(worker_run):
    """What a work horse would load per job (and throw away) must be loaded before the fork instead."""
    report, _, _ = worker_run
    assert report["new_modules"] == []
    assert [c for c in report["filled_caches"] if c.startswith(("pipeline.", "config.", "models."))] == []
