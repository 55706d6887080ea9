"""Finding 12 (issue 13): what `berkas status`, `requeue` and `run` say when things are broken.

A worker killed with SIGKILL is shown as not responding once its heartbeat is overdue (not as `busy`); Redis
down and an unsafe zip give one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.settings import get_settings
from workers.queues import DOSSIER_QUEUE, get_queue
from workers.status import GONE, collect_status

pytestmark = pytest.mark.redis

REDIS_DB = int(os.environ.get("BERKAS_TEST_REDIS_DB", "13"))
REPO = Path(__file__).resolve().parents[2]

# a forking RQ worker that heartbeats every second (RQ's job monitoring interval) while its horse sleeps
_BUSY_WORKER = """
import sys
sys.path.insert(0, {repo!r})
from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer
from workers.queues import get_queue
conn = Redis.from_url({redis!r})
Worker([get_queue("dossier", conn)], connection=conn, serializer=JSONSerializer, name="berkas-test-killed",
       job_monitoring_interval=1).work(burst=True, with_scheduler=False)
"""


def _until(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_a_sigkilled_worker_is_not_listed_as_busy(redis_conn, tmp_path):
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    queue.enqueue("time.sleep", 120, job_timeout=300)
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    proc = subprocess.Popen([sys.executable, "-c", _BUSY_WORKER.format(repo=str(REPO), redis=redis_url)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def busy():
            workers = collect_status(redis_conn, heartbeat_grace=2).workers
            return workers if workers and workers[0].state == "busy" else None

        (alive,) = _until(busy, "the worker to start its job")
        assert alive.responding and alive.shown_state == "busy" and alive.heartbeat_age() < 5
        time.sleep(3)  # a live worker keeps its heartbeat going
        assert collect_status(redis_conn, heartbeat_grace=2).workers[0].responding
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its horse, as the OOM killer or a dead node would
        proc.wait(timeout=30)

    def gone():
        workers = collect_status(redis_conn, heartbeat_grace=2).workers
        return workers if workers and not workers[0].responding else None

    (dead,) = _until(gone, "the missed heartbeat to show", timeout=20)
    assert dead.state == "busy"  # what RQ still holds ...
    assert dead.shown_state == GONE  # ... and what `berkas status` shows
    assert redis_conn.ttl(f"rq:worker:{dead.name}") > 0  # RQ itself has not forgotten it yet


@pytest.fixture
def cli(monkeypatch, tmp_path):
    from berkas.cli import app

    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_INDEX_SECRET", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def _one_clear_line(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    for needle in needles:
        assert needle in result.output


@pytest.mark.parametrize("command", [("requeue",), ("requeue", "D1"), ("status",), ("ingest", "IN")])
def test_redis_down_is_one_line(cli, monkeypatch, tmp_path, closed_port, command):
    (tmp_path / "in" / "D1").mkdir(parents=True)
    (tmp_path / "in" / "D1" / "registration.json").write_text("{}")
    monkeypatch.setenv("BERKAS_REDIS_URL", f"redis://user:rahasia@127.0.0.1:{closed_port}/0")
    get_settings.cache_clear()
    args = [str(tmp_path / "in") if a == "IN" else a for a in command]
    result = cli(*args)
    _one_clear_line(result, "Redis tidak dapat dihubungi", f"127.0.0.1:{closed_port}")
    assert "rahasia" not in result.output
    assert not (tmp_path / "store" / "objects" / "dossiers").exists()  # ingest stopped before uploading


def test_run_on_an_unsafe_zip_is_one_line(cli, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape/registration.json", "{}")
    result = cli("run", str(archive), "--out", str(tmp_path / "out"))
    _one_clear_line(result, "ARCHIVE_UNSAFE")
    assert not (tmp_path / "escape").exists()
