"""Fault tests of the distributed mode, on loopback: real forked workers (separate processes), a private
redis-server (AOF on, so a restart keeps the queue) and moto's S3 server, stopped and started on the same port.

Each test ends with every dossier processed exactly once (one result.json, every history entry carrying that
result's content digest, jobs finished, none failed) and every original intact (sha256 of the stored bytes equal
to the file on disk). A fast fake processor stands in for OCR (workers.jobs.init_process(processor=...)); one
slow test runs the real pipeline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from config.settings import Settings
from pipeline.publish import content_digest
from pipeline.storage import keys, open_store
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, dossier_job_id, get_queue

pytestmark = [pytest.mark.redis, pytest.mark.s3]

REPO = Path(__file__).resolve().parents[2]
S3_KEY = S3_SECRET = "testing"
WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}
WAIT = 120  # seconds: an upper bound for a batch to settle, never a measured duration


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(predicate, what: str, timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


# ---- services --------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a free port; `kill` is a crash, `start` brings it back (AOF)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn = Redis.from_url(self.url)

        def up() -> bool:
            try:
                return bool(conn.ping())
            except RedisConnectionError:
                return False

        _until(up, "redis-server to answer", 20)
        conn.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


class RestartableS3:
    """moto's S3 server in a thread of this process; its buckets live in memory here, so they survive a stop."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()
        self.server._server.server_close()  # release the port, so start() can bind it again


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is part of the set-up (scripts/setup.sh)")
    (tmp_path / "redis").mkdir()
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.terminate()
        server.proc.wait(timeout=10)


@pytest.fixture
def s3_server(monkeypatch):
    """Buckets live in moto's memory for the whole session: each test uses a bucket of its own (`settings`)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = RestartableS3()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(redis_server, s3_server, tmp_path):
    return Settings(store="s3", s3_endpoint=s3_server.endpoint, s3_access_key=S3_KEY, s3_secret_key=S3_SECRET,
                    s3_bucket=f"berkas-faults-{uuid.uuid4().hex[:10]}", s3_region="us-east-1", redis_url=redis_server.url,
                    store_path=tmp_path / "unused")


# ---- workers in their own processes -----------------------------------------------------------------

_WORKER = """
import json, sys, time
from types import SimpleNamespace
sys.path.insert(0, {repo!r})
from config.settings import Settings
from models.contract import DossierResult, DossierStatus
from pipeline.publish import publish_result
from pipeline.regions import Regions
from pipeline.storage import keys
from workers import jobs
from workers.worker import make_worker

def fake(dossier_id, *, store, runtime):
    manifest = store.get_json(keys.manifest_key(dossier_id))
    for f in manifest["files"]:
        store.get_bytes(keys.original_key(dossier_id, f["sha256"], f["name"]))  # checks the sha256
    time.sleep({delay!r})  # a dossier takes a while: faults land mid-job too
    has_reg = store.exists(keys.registration_key(dossier_id))
    status = DossierStatus.COMPLETE if has_reg and manifest["files"] else DossierStatus.INCOMPLETE
    result = DossierResult(dossier_id=dossier_id, status=status, pipeline_version="fault-test")
    publish_result(store, result, runtime=runtime)
    return result

settings = Settings.model_validate(json.loads({settings!r}))
if {fake_pipeline!r}:
    jobs.init_process(settings, runtime=SimpleNamespace(regions=Regions.load(), settings=settings), processor=fake)
else:
    jobs.init_process(settings)
make_worker(settings, queues=("dossier",)).work(burst=True, with_scheduler=True)
"""


def start_workers(tmp_path: Path, settings: Settings, n: int, *, delay: float = 0.3,
                  fake_pipeline: bool = True) -> list[subprocess.Popen]:
    data = settings.model_dump(mode="json")
    data["s3_secret_key"] = settings.s3_secret_key.get_secret_value()
    script = tmp_path / "worker.py"
    script.write_text(_WORKER.format(repo=str(REPO), settings=json.dumps(data), delay=delay,
                                     fake_pipeline=fake_pipeline))
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    return [subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL,
                             stderr=open(tmp_path / f"worker{i}.log", "wb")) for i in range(n)]


def wait_workers(procs: list[subprocess.Popen], tmp_path: Path, timeout: float = WAIT) -> None:
    for i, p in enumerate(procs):
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            for q in procs:
                q.kill()
            log = (tmp_path / f"worker{i}.log").read_text()[-3000:]
            raise AssertionError(f"worker {i} still running; log:\n{log}") from e
        assert p.returncode == 0, (tmp_path / f"worker{i}.log").read_text()[-3000:]


# ---- the batch and the end state --------------------------------------------------------------------


def make_batch(root: Path, n: int) -> dict[str, dict[str, str]]:
    """n dossiers with a registration and two small scans each; returns {dossier_id: {file: sha256}}."""
    batch = {}
    for i in range(n):
        d = f"F-{i:03d}"
        folder = root / d
        folder.mkdir(parents=True)
        reg = {"dossier_id": d, "nama": "CONTOH PENDAFTAR", "nik": "3575024506990001",
               "tanggal_lahir": "1999-06-05", "wilayah": WILAYAH}
        (folder / "registration.json").write_text(json.dumps(reg))
        files = {f"IMG_{i}.jpg": b"\xff\xd8" + os.urandom(2000), f"scan{i}.pdf": b"%PDF-1.4 " + os.urandom(3000)}
        for name, data in files.items():
            (folder / name).write_bytes(data)
        batch[d] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return batch


def assert_exactly_once_and_intact(store, redis: Redis, batch: dict[str, dict[str, str]], root: Path) -> None:
    queue = get_queue(DOSSIER_QUEUE, redis)
    assert queue.count == 0 and queue.failed_job_registry.count == 0
    assert queue.started_job_registry.count == 0
    assert redis.llen(queue.intermediate_queue_key) == 0  # no job left taken but never started
    for d, files in batch.items():
        job = Job.fetch(dossier_job_id(d, 1), connection=redis, serializer=JSONSerializer)
        assert job.get_status() == JobStatus.FINISHED, (d, job.get_status())
        result = store.get_json(keys.result_key(d))
        from models.contract import DossierResult

        digest = content_digest(DossierResult.model_validate(result))
        history = list(store.list(keys.result_history_prefix(d)))
        assert history, d
        assert {k.rsplit("-", 1)[-1].split(".")[0] for k in history} == {digest[:8]}, (d, history)
        assert store.get_json(history[-1]) == result
        assert list(store.list(keys.failure_prefix(d))) == []
        manifest = store.get_json(keys.manifest_key(d))
        assert manifest["version"] == 1
        assert {f["name"]: f["sha256"] for f in manifest["files"]} == files
        for name, sha in files.items():
            data = store.get_bytes(keys.original_key(d, sha, name))  # the store checks its own sha256 too
            assert hashlib.sha256(data).hexdigest() == sha == hashlib.sha256((root / d / name).read_bytes()).hexdigest()


def results_count(store, batch) -> int:
    try:
        return sum(1 for d in batch if store.exists(keys.result_key(d)))
    except Exception:  # noqa: BLE001 - a probe while the store is down counts nothing
        return 0


# ---- tests -----------------------------------------------------------------------------------------


def test_redis_restart_during_a_batch(tmp_path, settings, redis_server):
    """GIVEN 8 ingested dossiers and 2 forked workers WHEN Redis crashes mid-batch and returns 2 s later
    THEN the workers reconnect and every dossier ends processed exactly once, originals intact."""
    store = open_store(settings)
    redis = Redis.from_url(settings.redis_url)
    batch = make_batch(tmp_path / "in", 8)
    summary = ingest(tmp_path / "in", store, get_queue(DOSSIER_QUEUE, redis))
    assert summary.queued == sorted(batch)
    procs = start_workers(tmp_path, settings, 2)

    _until(lambda: results_count(store, batch) >= 2, "the first results")
    redis_server.kill()
    time.sleep(2)
    assert results_count(store, batch) < len(batch), "the batch ended before the fault: nothing was tested"
    redis_server.start()

    wait_workers(procs, tmp_path)
    assert_exactly_once_and_intact(store, Redis.from_url(settings.redis_url), batch, tmp_path / "in")


def test_s3_unavailable_for_a_while(tmp_path, settings, s3_server):
    """GIVEN 8 ingested dossiers and 2 forked workers WHEN the S3 server stops mid-batch for 4 s
    THEN jobs wait for it, continue when it returns, and every dossier ends processed exactly once."""
    store = open_store(settings)
    redis = Redis.from_url(settings.redis_url)
    batch = make_batch(tmp_path / "in", 8)
    ingest(tmp_path / "in", store, get_queue(DOSSIER_QUEUE, redis))
    procs = start_workers(tmp_path, settings, 2)

    _until(lambda: results_count(store, batch) >= 2, "the first results")
    done_before = results_count(store, batch)
    s3_server.stop()
    time.sleep(4)
    s3_server.start()
    assert done_before < len(batch), "the batch ended before the fault: nothing was tested"

    wait_workers(procs, tmp_path)
    assert_exactly_once_and_intact(store, redis, batch, tmp_path / "in")


def test_ingest_fails_clearly_when_s3_is_down_and_resumes(tmp_path, settings, s3_server):
    """GIVEN a batch half-ingested WHEN S3 goes away THEN ingest raises StorageError; after S3 returns a
    second run stores the rest, skips what was stored, and queues every dossier once."""
    from pipeline.errors import StorageError

    store = open_store(settings)
    queue = get_queue(DOSSIER_QUEUE, Redis.from_url(settings.redis_url))
    batch = make_batch(tmp_path / "in", 6)
    first = {d: batch[d] for d in list(batch)[:3]}
    part = tmp_path / "part"
    for d in first:
        shutil.copytree(tmp_path / "in" / d, part / d)
    ingest(part, store, queue)
    s3_server.stop()
    try:
        with pytest.raises(StorageError):
            ingest(tmp_path / "in", store, queue)
    finally:
        s3_server.start()
    again = ingest(tmp_path / "in", store, queue)
    assert len(again.skipped) == 6 and len(again.stored) == 6
    assert queue.count == 6 and sorted(queue.get_job_ids()) == sorted(dossier_job_id(d, 1) for d in batch)


@pytest.mark.slow
@pytest.mark.tesseract
def test_real_pipeline_survives_redis_and_s3_faults(tmp_path, settings, redis_server, s3_server):
    """GIVEN 3 generated dossiers and 1 forked worker with the real Runtime WHEN S3 stops for 3 s and then
    Redis crashes and returns THEN every dossier has one result, consistent history, and intact originals."""
    from scripts.generate_samples import main as generate

    assert generate(["--out", str(tmp_path / "s"), "--count", "3", "--seed", "5"]) == 0
    root = tmp_path / "s" / "input"
    store = open_store(settings)
    redis = Redis.from_url(settings.redis_url)
    summary = ingest(root, store, get_queue(DOSSIER_QUEUE, redis))
    batch = {d: {f["name"]: f["sha256"] for f in store.get_json(keys.manifest_key(d))["files"]}
             for d in summary.dossier_ids}
    procs = start_workers(tmp_path, settings, 1, fake_pipeline=False)
    _until(lambda: results_count(store, batch) >= 1, "the first result", 600)
    s3_server.stop()
    time.sleep(3)
    s3_server.start()
    redis_server.proc.send_signal(signal.SIGKILL)
    redis_server.proc.wait()
    time.sleep(1)
    redis_server.start()
    wait_workers(procs, tmp_path, 900)
    assert_exactly_once_and_intact(store, redis, batch, root)


def test_outage_is_told_from_other_storage_errors():
    """Only an unreachable store makes a job wait and re-run; any other StorageError fails the attempt."""
    from pipeline.errors import StorageError
    from workers.jobs import is_outage

    def raised(cause: BaseException | None) -> StorageError:
        try:
            try:
                if cause is not None:
                    raise cause
                raise StorageError("bucket policy refused")
            except (OSError, StorageError) as c:
                raise StorageError("store: unreachable") from (c if cause is not None else None)
        except StorageError as e:
            return e

    assert is_outage(raised(ConnectionRefusedError(111, "Connection refused")))
    assert not is_outage(raised(None))
    assert not is_outage(StorageError("no cause at all"))
