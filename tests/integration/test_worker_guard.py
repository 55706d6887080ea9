"""A forking worker shares its decode child with its horses, and replaces it after a job timed out mid-decode.

Real Redis and a real forked `BerkasWorker`; the processor decodes through the worker's shared guard, whose
decoder hangs on a marker payload (the OCR pipeline is not needed to show this).
"""

from __future__ import annotations

import io
import os
import time
from types import SimpleNamespace

import pytest
from PIL import Image
from rq.job import Job
from rq.serializers import JSONSerializer

from config.settings import Limits, Settings
from models.contract import DossierResult, DossierStatus
from pipeline import decode_guard, intake
from pipeline.decode import decode_file
from pipeline.regions import Regions
from pipeline.storage.local import LocalStore
from workers import jobs
from workers.queues import DOSSIER_QUEUE, enqueue_dossier, get_queue
from workers.worker import make_worker

pytestmark = pytest.mark.redis

REDIS_DB = int(os.environ.get("BERKAS_TEST_REDIS_DB", "13"))


def hanging_decoder(name, data, sha256, lim):
    if data == b"HANG":
        time.sleep(120)
    return decode_file(name, data, sha256, lim)


def decoding_process(dossier_id, *, store, runtime):
    """Decodes one file through this process's shared guard; notes the page shape and the decode child used."""
    data = b"HANG" if dossier_id == "D-hang" else _png()
    pages, errors = intake.load_pages("f.png", data, sha256="0" * 64, limits=Limits.model_construct())
    guard = decode_guard.shared_guard()
    store.put_json(f"test/{dossier_id}.json", {"shapes": [list(p.image.shape) for p in pages],
                                               "child": guard._proc.pid if guard._proc else None,
                                               "adopted": guard._adopted, "horse": os.getpid()})
    return DossierResult(dossier_id=dossier_id, status=DossierStatus.COMPLETE, pipeline_version="test")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 10, 200)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def shared_test_guard(monkeypatch):
    guard = decode_guard.DecodeGuard(memory_bytes=1536 * 1024**2, decoder=hanging_decoder)
    monkeypatch.setattr(decode_guard, "_shared", guard)
    yield guard
    guard.close()
    jobs.reset_process()


def test_horses_share_the_decode_child_and_a_timed_out_job_gets_it_replaced(tmp_path, redis_conn,
                                                                           shared_test_guard):
    """GIVEN a job that times out while its file decodes, between two ordinary jobs WHEN one forking worker runs
    them THEN the ordinary jobs use the worker's own decode child (no start per job), the timed-out job fails,
    and the job after it gets a fresh child and its own file's pages."""
    store = LocalStore(tmp_path / "store", fsync=False)
    settings = Settings(store="local", store_path=tmp_path / "store", redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}")
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    first = enqueue_dossier(queue, "D-one")
    hang = enqueue_dossier(queue, "D-hang", job_timeout=2)
    last = enqueue_dossier(queue, "D-two")
    runtime = SimpleNamespace(regions=Regions.load(), settings=None)
    jobs.init_process(settings, runtime=runtime, store=store, processor=decoding_process)
    make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis_conn).work(burst=True, with_scheduler=False)

    one, two = store.get_json("test/D-one.json"), store.get_json("test/D-two.json")
    assert one["shapes"] == [[48, 64, 3]] and two["shapes"] == [[48, 64, 3]]
    assert one["adopted"] and two["adopted"] and one["horse"] != two["horse"]
    assert one["child"] != two["child"]  # replaced after the timed-out job
    assert two["child"] == shared_test_guard._proc.pid and shared_test_guard.restarts == 1
    with pytest.raises(ProcessLookupError):
        os.kill(one["child"], 0)  # the child that held the hanging file is gone, not left decoding
    def status(job):
        return Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer).get_status()

    assert status(first) == status(last) == "finished"
    assert status(hang) in {"failed", "scheduled"}  # scheduled: waiting for its retry
