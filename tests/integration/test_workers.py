"""Distributed mode against a real Redis (127.0.0.1:6379, db 13 or BERKAS_TEST_REDIS_DB, flushed per test).

The OCR pipeline is replaced by a small processor that reads the dossier from the store and writes a result
(the seam is `jobs.init_process(processor=...)`); queues, retries, callbacks, workers and ingestion are real.
"""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from rq import Retry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from config.settings import Limits
from models.contract import DossierResult, DossierStatus
from pipeline.errors import StorageError
from pipeline.regions import Regions
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from tests.integration import worker_fixtures as fixtures
from workers import jobs
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, dossier_job_id, enqueue_dossier, get_queue, requeue_failed
from workers.status import collect_status
from workers.worker import make_worker

pytestmark = pytest.mark.redis

# the worker tests' own fixtures (tests/integration/worker_fixtures.py): a local store, settings, fresh state
store, settings, _fresh_process_state = fixtures.store, fixtures.settings, fixtures._fresh_process_state

REDIS_DB = int(os.environ.get("BERKAS_TEST_REDIS_DB", "13"))
AREA = keys.AreaCodes("35.75", "35.75.02", "35.75.02.1005", "003")
WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def queue(redis_conn):
    return get_queue(DOSSIER_QUEUE, redis_conn)


@pytest.fixture
def runtime():
    return SimpleNamespace(regions=Regions.load(), settings=None)


def fake_process(dossier_id, *, store, runtime):
    """Stands in for pipeline.process.process_dossier: reads what ingestion stored, writes result.json."""
    manifest = store.get_json(keys.manifest_key(dossier_id))
    for f in manifest["files"]:
        store.get_bytes(keys.original_key(dossier_id, f["sha256"], f["name"]))  # verifies the sha256
    has_reg = store.exists(keys.registration_key(dossier_id))
    status = DossierStatus.COMPLETE if has_reg and manifest["files"] else DossierStatus.INCOMPLETE
    result = DossierResult(dossier_id=dossier_id, status=status, pipeline_version="test")
    store.put_json(keys.result_key(dossier_id), result.model_dump(mode="json"))
    return result


def failing_process(dossier_id, *, store, runtime):
    raise RuntimeError("decoder exploded")


def storage_down_process(dossier_id, *, store, runtime):
    raise StorageError("object store unreachable")


def sleeping_process(dossier_id, *, store, runtime):
    time.sleep(30)


def self_killing_process(dossier_id, *, store, runtime):
    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does to a work horse


def make_dossier(root: Path, dossier_id: str, files: dict[str, bytes], *, registration: bool = True) -> Path:
    folder = root / dossier_id
    folder.mkdir(parents=True)
    if registration:
        reg = {"dossier_id": dossier_id, "nama": "CONTOH PENDAFTAR", "nik": "3575024506990001",
               "tanggal_lahir": "1999-06-05", "wilayah": WILAYAH}
        (folder / "registration.json").write_text(json.dumps(reg))
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def run_burst(settings, store, runtime, processor, redis_conn, *, simple=True):
    jobs.init_process(settings, runtime=runtime, store=store, processor=processor)
    worker = make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis_conn, simple=simple)
    worker.work(burst=True, with_scheduler=False)


def job_status(redis_conn, job_id):
    return Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer).get_status()


# ---- enqueue and process ---------------------------------------------------------------------------


def test_ingested_dossiers_are_processed_by_a_burst_worker(tmp_path, store, settings, queue, runtime, redis_conn):
    inp = tmp_path / "input"
    make_dossier(inp, "D-001", {"IMG_2031.jpg": b"\xff\xd8ktp", "scan0003.pdf": b"%PDF ijazah"})
    make_dossier(inp, "D-002", {"foto sehat.png": b"\x89PNG sehat"})
    summary = ingest(inp, store, queue)
    assert summary.dossier_ids == ["D-001", "D-002"] and summary.queued == ["D-001", "D-002"]
    assert queue.count == 2

    run_burst(settings, store, runtime, fake_process, redis_conn)

    assert queue.count == 0
    for d in ("D-001", "D-002"):
        assert store.get_json(keys.result_key(d))["status"] == "complete"
        job = Job.fetch(dossier_job_id(d, 1), connection=redis_conn, serializer=JSONSerializer)
        assert job.get_status() == JobStatus.FINISHED
        assert job.return_value() == {"dossier_id": d, "status": "complete"}


def test_dossier_ids_with_dots_are_queued_and_processed(tmp_path, store, settings, queue, runtime, redis_conn):
    """Issue 13 finding 5: `D.1` is a valid dossier id, but RQ refuses dots in job ids; ingest crashed on it and
    never queued the dossiers after it."""
    inp = tmp_path / "input"
    for d in ("A.1", "A_d1", "B-2", "C.3.x_y"):
        make_dossier(inp, d, {"a.jpg": b"\xff\xd8" + d.encode()})
    summary = ingest(inp, store, queue)
    assert summary.queued == ["A.1", "A_d1", "B-2", "C.3.x_y"] and summary.rejected == []
    ids = {d: dossier_job_id(d, 1) for d in summary.queued}
    assert len(set(ids.values())) == 4 and ids["B-2"] == "dossier-B-2-v1"
    run_burst(settings, store, runtime, fake_process, redis_conn)
    for d, job_id in ids.items():
        assert store.get_json(keys.result_key(d))["status"] == "complete"
        assert job_status(redis_conn, job_id) == JobStatus.FINISHED


def test_a_dossier_that_cannot_be_queued_does_not_stop_the_others(tmp_path, store, queue, monkeypatch):
    import workers.queues

    real = workers.queues.enqueue_dossier

    def refuse_one(q, dossier_id, **kw):
        if dossier_id == "B-1":
            raise ValueError("refused by the queue")
        return real(q, dossier_id, **kw)

    monkeypatch.setattr(workers.queues, "enqueue_dossier", refuse_one)
    for d in ("A-1", "B-1", "C-1"):
        make_dossier(tmp_path / "in", d, {"a.jpg": d.encode()})
    summary = ingest(tmp_path / "in", store, queue)
    assert summary.queued == ["A-1", "C-1"]
    assert [(r.dossier_id, r.reason) for r in summary.rejected] == [("B-1", "QUEUE_REFUSED")]


def test_forked_worker_processes_a_job(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-fork", {"a.jpg": b"x"})
    ingest(tmp_path / "in", store, queue)
    run_burst(settings, store, runtime, fake_process, redis_conn, simple=False)
    assert store.get_json(keys.result_key("D-fork"))["status"] == "complete"


def test_job_rejects_a_malformed_id(store, settings, runtime, redis_conn, queue):
    queue.enqueue("workers.jobs.process_dossier_job", "../etc", job_id="bad", retry=None)
    run_burst(settings, store, runtime, fake_process, redis_conn)
    assert job_status(redis_conn, "bad") == JobStatus.FAILED
    assert list(store.list("")) == []


# ---- ingestion -------------------------------------------------------------------------------------


def test_ingest_is_idempotent_and_versions_changed_files(tmp_path, store, queue):
    inp = tmp_path / "input"
    folder = make_dossier(inp, "D-1", {"IMG_1.jpg": b"ktp v1", "sub/ijazah.pdf": b"ijazah"})
    make_dossier(inp, "D-2", {"x.jpg": b"x"})
    first = ingest(inp, store, queue)
    assert first.counts() == {"dossiers": 2, "changed": 2, "queued": 2, "stored": 3, "skipped": 0, "rejected": 0, "skipped_inputs": 0}

    again = ingest(inp, store, queue)
    assert again.counts()["stored"] == 0 and again.counts()["skipped"] == 3
    assert again.changed == [] and again.queued == []  # the first jobs still wait: not queued twice
    assert queue.count == 2

    (folder / "IMG_1.jpg").write_bytes(b"ktp v2, rescanned")
    (folder / "sub" / "ijazah.pdf").unlink()
    third = ingest(inp, store, queue)
    assert third.changed == ["D-1"] and third.queued == ["D-1"]
    d1 = third.dossiers["D-1"]
    assert (d1.stored, d1.removed, d1.version) == (["IMG_1.jpg"], ["sub/ijazah.pdf"], 2)
    manifest = store.get_json(keys.manifest_key("D-1"))
    assert [(f["name"], f["version"]) for f in manifest["files"]] == [("IMG_1.jpg", 2)]
    originals = list(store.list(keys.originals_prefix("D-1")))
    assert len(originals) == 3  # the old scan and the removed one are kept: originals are immutable
    assert queue.get_job_ids() == [dossier_job_id("D-1", 1), dossier_job_id("D-2", 1), dossier_job_id("D-1", 2)]


def test_unchanged_dossier_without_result_is_queued_again_once_its_job_is_gone(tmp_path, store, queue):
    make_dossier(tmp_path / "in", "D-1", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)  # stored but never queued (e.g. an embedded run that crashed)
    summary = ingest(tmp_path / "in", store, queue)
    assert summary.changed == [] and summary.queued == ["D-1"]
    store.put_json(keys.result_key("D-1"), {"status": "complete"})
    queue.empty()
    assert ingest(tmp_path / "in", store, queue).queued == []  # processed already: nothing to do


def test_ingest_reports_rejections_and_keeps_the_dossier(tmp_path, store, queue):
    inp = tmp_path / "input"
    make_dossier(inp, "D-big", {"ok.jpg": b"small", "huge.tif": b"y" * 2048})
    make_dossier(inp, "D-noreg", {"ktp.jpg": b"k"}, registration=False)
    make_dossier(inp, "bad id!", {"a.jpg": b"a"})
    summary = ingest(inp, store, queue, limits=Limits(max_file_bytes=1024))
    reasons = sorted((r.dossier_id, r.file, r.reason) for r in summary.rejected)
    assert reasons == [
        ("D-big", "huge.tif", "FILE_TOO_LARGE"),
        ("D-noreg", "registration.json", "REGISTRATION_MISSING"),
        ("bad id!", None, "DOSSIER_ID_INVALID"),
    ]
    assert summary.queued == ["D-big", "D-noreg"]  # the processor turns what is missing into a result
    manifest = store.get_json(keys.manifest_key("D-big"))
    assert [f["name"] for f in manifest["files"]] == ["ok.jpg"]
    assert manifest["rejected"][0]["error"] == "FILE_TOO_LARGE"
    assert not store.exists(keys.registration_key("D-noreg"))


def test_ingest_reads_a_zip_like_a_folder(tmp_path, store):
    inp = tmp_path / "input"
    make_dossier(inp, "D-z1", {"IMG ü.jpg": b"1"})
    make_dossier(inp, "D-z2", {"b.pdf": b"2"})
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(inp.rglob("*")):
            if p.is_file():
                zf.write(p, Path("input") / p.relative_to(inp))
    from_zip = ingest(archive, store, None)
    assert from_zip.dossier_ids == ["D-z1", "D-z2"] and len(from_zip.stored) == 2
    from_folder = ingest(inp, store, None)  # same content: nothing new
    assert from_folder.changed == [] and len(from_folder.skipped) == 2


def test_ingest_progress_callback_sees_every_dossier(tmp_path, store):
    for i in range(5):
        make_dossier(tmp_path / "in", f"D-{i}", {"a.jpg": bytes([i])})
    seen: list[str] = []
    ingest(tmp_path / "in", store, None, progress=seen.append, concurrency=3)
    assert sorted(seen) == [f"D-{i}" for i in range(5)]


# ---- failures --------------------------------------------------------------------------------------


def test_failing_job_is_flagged_after_its_retry_budget(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-fail", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    job = enqueue_dossier(queue, "D-fail", version=1, retry=Retry(max=2, interval=0))

    run_burst(settings, store, runtime, failing_process, redis_conn)

    assert job_status(redis_conn, job.id) == JobStatus.FAILED
    records = [store.get_json(k) for k in store.list(keys.failure_prefix("D-fail"))]
    assert [(r["attempt"], r["final"], r["error_type"]) for r in records] == [
        (1, False, "RuntimeError"), (2, False, "RuntimeError"), (3, True, "RuntimeError")]
    flag = store.get_json(keys.flag_key(AREA, "D-fail"))  # under the registered TPS area
    assert flag["reasons"] == ["PROCESSING_FAILED"] and flag["failed"] is True
    assert list(store.list("flags/")) == [keys.flag_key(AREA, "D-fail")]


def test_failure_records_the_reason_code(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-s", {"a.jpg": b"a"}, registration=False)
    ingest(tmp_path / "in", store, None)
    enqueue_dossier(queue, "D-s", version=1, retry=Retry(max=1, interval=0))
    run_burst(settings, store, runtime, storage_down_process, redis_conn)
    last = [store.get_json(k) for k in store.list(keys.failure_prefix("D-s"))][-1]
    assert (last["code"], last["final"]) == ("STORAGE_ERROR", True)
    # no registration: the flag still exists, under "unknown"
    assert store.exists(keys.flag_key(keys.AreaCodes.unknown(), "D-s"))


def test_a_later_success_settles_the_failure_flag(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-f", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    enqueue_dossier(queue, "D-f", version=1, retry=Retry(max=1, interval=0))
    run_burst(settings, store, runtime, failing_process, redis_conn)
    assert store.exists(keys.flag_key(AREA, "D-f"))

    assert requeue_failed(queue) == ["D-f"]  # a fresh job, with a fresh retry budget
    assert queue.failed_job_registry.count == 0
    run_burst(settings, store, runtime, fake_process, redis_conn)
    assert store.get_json(keys.result_key("D-f"))["status"] == "complete"
    assert not store.exists(keys.flag_key(AREA, "D-f"))  # complete: the failure flag is gone


def test_job_timeout_ends_in_a_recorded_failure(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-slow", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    job = enqueue_dossier(queue, "D-slow", version=1, retry=Retry(max=1, interval=0), job_timeout=1)
    run_burst(settings, store, runtime, sleeping_process, redis_conn)
    assert job_status(redis_conn, job.id) == JobStatus.FAILED
    records = [store.get_json(k) for k in store.list(keys.failure_prefix("D-slow"))]
    assert [r["error_type"] for r in records] == ["JobTimeoutException", "JobTimeoutException"]
    assert store.exists(keys.flag_key(AREA, "D-slow"))


def test_killed_work_horse_is_recorded_and_flagged(tmp_path, store, settings, queue, runtime, redis_conn):
    """GIVEN a job whose work horse is SIGKILLed (as by the OOM killer), with one retry
    WHEN a forking worker runs it THEN both deaths are recorded and the dossier ends flagged."""
    make_dossier(tmp_path / "in", "D-oom", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    job = enqueue_dossier(queue, "D-oom", version=1, retry=Retry(max=1, interval=0))
    run_burst(settings, store, runtime, self_killing_process, redis_conn, simple=False)
    assert job_status(redis_conn, job.id) == JobStatus.FAILED
    records = [store.get_json(k) for k in store.list(keys.failure_prefix("D-oom"))]
    assert [(r["error_type"], r["final"]) for r in records] == [
        ("WorkHorseKilled(signal=9)", False), ("WorkHorseKilled(signal=9)", True)]
    assert store.get_json(keys.flag_key(AREA, "D-oom"))["reasons"] == ["PROCESSING_FAILED"]


def test_enqueue_is_deduplicated_per_version(queue):
    assert enqueue_dossier(queue, "D-1", version=1) is not None
    assert enqueue_dossier(queue, "D-1", version=1) is None
    assert enqueue_dossier(queue, "D-1", version=2) is not None
    assert queue.count == 2


def test_a_finished_job_of_the_same_version_is_replaced(store, settings, runtime, redis_conn, queue, tmp_path):
    make_dossier(tmp_path / "in", "D-r", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, queue)
    run_burst(settings, store, runtime, fake_process, redis_conn)
    assert enqueue_dossier(queue, "D-r", version=1) is not None  # e.g. a re-run after a rules change
    assert queue.count == 1 and queue.finished_job_registry.count == 0


# ---- status ----------------------------------------------------------------------------------------


def test_status_shows_depths_and_failed_jobs(tmp_path, store, settings, queue, runtime, redis_conn):
    make_dossier(tmp_path / "in", "D-a", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    enqueue_dossier(queue, "D-a", version=1, retry=Retry(max=1, interval=0))
    enqueue_dossier(queue, "D-b", version=1)  # default policy: retried after a backoff
    before = collect_status(redis_conn)
    assert {q.name: q.queued for q in before.queues} == {"dossier": 2, "report": 0}

    run_burst(settings, store, runtime, failing_process, redis_conn)
    after = collect_status(redis_conn)
    dq = next(q for q in after.queues if q.name == "dossier")
    assert (dq.queued, dq.scheduled, dq.failed) == (0, 1, 1)
    failed = {f.dossier_id: f.error for f in after.failed}
    assert list(failed) == ["D-a"] and "RuntimeError" in failed["D-a"]


# ---- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch, redis_conn):
    import typer
    from typer.testing import CliRunner

    from config.settings import get_settings
    from workers.commands import register

    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_cli_ingest_then_status(cli, tmp_path):
    make_dossier(tmp_path / "in", "D-c1", {"a.jpg": b"a", "b.pdf": b"b"})
    out = cli("ingest", str(tmp_path / "in"))
    assert out.exit_code == 0, out.output
    assert "1 berkas: 1 baru/berubah, 1 diantrekan" in out.output
    status = cli("status")
    assert status.exit_code == 0 and "dossier" in status.output
    assert LocalStore(tmp_path / "store").exists(keys.manifest_key("D-c1"))


def test_cli_ingest_of_an_unsafe_zip_fails_clearly(cli, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape/registration.json", "{}")
    out = cli("ingest", str(archive), "--no-queue")
    assert out.exit_code == 1 and "ARCHIVE_UNSAFE" in out.output


def test_cli_worker_rejects_unknown_queues(cli):
    out = cli("worker", "--queues", "dossier,bogus", "--burst")
    assert out.exit_code == 2 and "bogus" in out.output


# ---- the real pipeline behind a forked worker (slow) ------------------------------------------------


@pytest.mark.slow
@pytest.mark.tesseract
def test_real_pipeline_through_a_forked_worker(tmp_path, store, settings, queue, redis_conn):
    """GIVEN one generated dossier ingested into the store WHEN a forking worker with the real Runtime runs it
    THEN result.json validates against the contract, and a dossier that is not complete is flagged in its area."""
    from scripts.generate_samples import main as generate

    assert generate(["--out", str(tmp_path / "s"), "--count", "1", "--seed", "11"]) == 0
    summary = ingest(tmp_path / "s" / "input", store, queue)
    (dossier_id,) = summary.queued
    jobs.init_process(settings, store=store)  # loads the real Runtime once, before the fork
    make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis_conn).work(burst=True, with_scheduler=False)

    result = DossierResult.model_validate(store.get_json(keys.result_key(dossier_id)))
    assert [d.sha256 for d in result.documents] and all(d.sha256 for d in result.documents)
    assert len(list(store.list(keys.result_history_prefix(dossier_id)))) == 1
    flags = [k for k in store.list("flags/") if keys.dossier_id_from_key(k) == dossier_id]
    assert len(flags) == (0 if result.status == DossierStatus.COMPLETE else 1)


# ---- a whole worker killed mid-job ------------------------------------------------------------------

_DYING_WORKER = """
import os, sys
from types import SimpleNamespace
sys.path.insert(0, {repo!r})
from config.settings import Settings
from pipeline.storage.local import LocalStore
from workers import jobs
from workers.worker import make_worker

def die(dossier_id, *, store, runtime):
    os.kill(os.getpid(), 9)  # the worker process itself, as a node crash or the OOM killer would

settings = Settings(store="local", store_path={store!r}, redis_url={redis!r})
jobs.init_process(settings, runtime=SimpleNamespace(regions=None), store=LocalStore({store!r}), processor=die)
make_worker(settings, queues=("dossier",), simple=True).work(burst=True, with_scheduler=False)
"""


def test_job_of_a_killed_worker_is_recovered_and_ends_flagged(tmp_path, store, settings, queue, runtime, redis_conn):
    """GIVEN a worker process that dies (SIGKILL) while running a dossier job, twice (one retry)
    WHEN RQ's clean-up of the started registry finds the abandoned job
    THEN the job is retried once, then failed, and the dossier is recorded and flagged."""
    import subprocess
    import sys

    make_dossier(tmp_path / "in", "D-node", {"a.jpg": b"a"})
    ingest(tmp_path / "in", store, None)
    job = enqueue_dossier(queue, "D-node", version=1, retry=Retry(max=1, interval=0))
    script = tmp_path / "dying_worker.py"
    script.write_text(_DYING_WORKER.format(repo=str(Path(__file__).resolve().parents[2]),
                                           store=str(store.root), redis=settings.redis_url))
    jobs.init_process(settings, runtime=runtime, store=store, processor=fake_process)  # for the callback here

    for attempt in (1, 2):
        proc = subprocess.run([sys.executable, str(script)], timeout=120, capture_output=True)
        assert proc.returncode == -signal.SIGKILL
        assert job_status(redis_conn, job.id) == JobStatus.STARTED  # nobody will finish it
        queue.started_job_registry.cleanup(timestamp=time.time() + 24 * 3600)  # as if its heartbeat expired
        assert job_status(redis_conn, job.id) == (JobStatus.QUEUED if attempt == 1 else JobStatus.FAILED)

    records = [store.get_json(k) for k in store.list(keys.failure_prefix("D-node"))]
    assert [(r["error_type"], r["final"]) for r in records] == [
        ("AbandonedJobError", False), ("AbandonedJobError", True)]
    assert store.get_json(keys.flag_key(AREA, "D-node"))["reasons"] == ["PROCESSING_FAILED"]


def test_cron_scheduler_enqueues_json_jobs_that_workers_can_read(redis_conn):
    """RQ's cron scheduler would pickle its jobs; workers/cron_config makes them JSON like every other job."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("workers.cron_config")
    (cron_job,) = scheduler._cron_jobs
    job = cron_job.enqueue(redis_conn)
    fetched = Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer)
    assert fetched.func_name == "workers.report_jobs.nightly_report_job"
    assert fetched.origin == "report"
