"""The hand-over of a job from its queue to a worker (workers/handover.py), against a real Redis.

A Redis crash or a dropped connection can swallow the reply to a worker's pop: the job is taken, the worker never
hears of it. These tests lose that reply on purpose and check that the job still runs, once, and that a job a
worker is really preparing is never put back.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.exceptions import DequeueTimeout
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.utils import as_text

from models.contract import DossierResult, DossierStatus
from pipeline.regions import Regions
from pipeline.storage import keys
from tests.integration import worker_fixtures as fixtures
from tests.integration.conftest import REDIS_DB
from workers import handover, jobs
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, QUEUE_NAMES, dossier_job_id, enqueue_dossier, get_queue
from workers.status import collect_status
from workers.worker import make_worker

pytestmark = pytest.mark.redis

# the worker tests' own fixtures (tests/integration/worker_fixtures.py): a local store, settings, fresh state
store, settings, _fresh_process_state = fixtures.store, fixtures.settings, fixtures._fresh_process_state

WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}
REPORT_FUNC = "workers.report_jobs.nightly_report_job"
POPS = {"LMOVE", "BLMOVE", "LPOP", "BLPOP"}


class LosesOnePopReply(Redis):
    """A connection whose first successful pop is carried out by Redis but whose reply never arrives."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.swallowed: list[str] = []

    def execute_command(self, *args, **options):
        result = super().execute_command(*args, **options)
        if str(args[0]).upper() in POPS and result is not None and not self.swallowed:
            self.swallowed.append(as_text(result[1] if isinstance(result, list | tuple) else result))
            raise RedisConnectionError("the reply was lost (test)")
        return result


def ingest_batch(root: Path, store, queue, n: int) -> list[str]:
    ids = [f"H-{i:03d}" for i in range(n)]
    for d in ids:
        folder = root / d
        folder.mkdir(parents=True)
        (folder / "registration.json").write_text(json.dumps({
            "dossier_id": d, "nama": "CONTOH PENDAFTAR", "nik": "3575024506990001", "tanggal_lahir": "1999-06-05",
            "wilayah": WILAYAH}))
        (folder / "ktp.jpg").write_bytes(b"\xff\xd8" + d.encode())
    assert ingest(root, store, queue).queued == ids
    return ids


def counting_processor(runs: list[str]):
    def process(dossier_id, *, store, runtime):
        runs.append(dossier_id)
        result = DossierResult(dossier_id=dossier_id, status=DossierStatus.COMPLETE, pipeline_version="test")
        store.put_json(keys.result_key(dossier_id), result.model_dump(mode="json"))
        return result
    return process


@pytest.mark.parametrize("queues", [(DOSSIER_QUEUE,), QUEUE_NAMES], ids=["one queue", "two queues"])
def test_a_pop_whose_reply_is_lost_loses_no_job(tmp_path, store, settings, redis_conn, queues):
    """GIVEN 3 queued dossiers and a worker whose first pop is done by Redis but never answered
    WHEN the burst worker works the queues THEN every dossier runs exactly once, the swallowed one after it was
    put back, and nothing is left in a queue, a hand-over list or the started registry."""
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    ids = ingest_batch(tmp_path / "in", store, queue, 3)
    runs: list[str] = []
    jobs.init_process(settings, runtime=SimpleNamespace(regions=Regions.load(), settings=settings), store=store,
                      processor=counting_processor(runs))
    conn = LosesOnePopReply(host="127.0.0.1", port=6379, db=REDIS_DB)
    worker = make_worker(settings, queues=queues, connection=conn, simple=True)
    worker.stranded_grace = 0.5  # type: ignore[attr-defined]

    worker.work(burst=True, with_scheduler=False)

    assert conn.swallowed == [dossier_job_id(ids[0], 1)]
    assert sorted(runs) == ids  # each once, the swallowed one too
    for d in ids:
        job = Job.fetch(dossier_job_id(d, 1), connection=redis_conn, serializer=JSONSerializer)
        assert job.get_status() == JobStatus.FINISHED
        assert store.exists(keys.result_key(d))
        assert list(store.list(keys.failure_prefix(d))) == []  # put back is not a failed attempt
    for name in queues:
        q = get_queue(name, redis_conn)
        assert q.count == 0 and q.started_job_registry.count == 0 and q.failed_job_registry.count == 0
        assert redis_conn.llen(q.intermediate_queue_key) == 0


def test_a_stranded_job_is_put_back_at_the_head_only_after_its_grace(redis_conn):
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    first = enqueue_dossier(queue, "H-a", version=1)
    second = enqueue_dossier(queue, "H-b", version=1)
    assert first is not None and second is not None
    assert as_text(redis_conn.lmove(queue.key, queue.intermediate_queue_key)) == first.id  # taken, never started

    assert collect_status(redis_conn).queues[0].handing_over == 1  # what `berkas status` shows as diserahkan
    assert handover.rescue_stranded(queue, grace=20, clock=lambda: 1000.0) == handover.Sweep([], [first.id])
    assert handover.rescue_stranded(queue, grace=20, clock=lambda: 1019.0) == handover.Sweep([], [first.id])
    assert queue.job_ids == [second.id]

    assert handover.rescue_stranded(queue, grace=20, clock=lambda: 1020.0) == handover.Sweep([first.id], [])
    assert queue.job_ids == [first.id, second.id]  # back where it was taken from
    assert redis_conn.llen(queue.intermediate_queue_key) == 0
    assert first.get_status() == JobStatus.QUEUED
    # the next time it is stranded its grace starts again
    redis_conn.lmove(queue.key, queue.intermediate_queue_key)
    assert handover.rescue_stranded(queue, grace=20, clock=lambda: 5000.0) == handover.Sweep([], [first.id])


def test_a_job_already_started_is_never_put_back(redis_conn):
    """GIVEN a job in the intermediate list that a worker has registered as started (between its main process's
    bookkeeping and the work horse's) THEN no sweep puts it back, however late."""
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    job = enqueue_dossier(queue, "H-run", version=1)
    assert job is not None
    redis_conn.lmove(queue.key, queue.intermediate_queue_key)
    with redis_conn.pipeline() as p:
        Execution.create(job, 600, pipeline=p, worker_name="w1")
        p.execute()

    for t in (0.0, 10_000.0):
        assert handover.rescue_stranded(queue, grace=1, clock=lambda t=t: t) == handover.Sweep([], [])
    assert queue.count == 0 and redis_conn.llen(queue.intermediate_queue_key) == 1


def test_a_stranded_job_that_no_longer_exists_is_dropped_from_the_hand_over(redis_conn):
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    job = enqueue_dossier(queue, "H-gone", version=1)
    assert job is not None
    redis_conn.lmove(queue.key, queue.intermediate_queue_key)
    handover.rescue_stranded(queue, grace=5, clock=lambda: 0.0)
    job.delete()

    assert handover.rescue_stranded(queue, grace=5, clock=lambda: 10.0) == handover.Sweep([], [])
    assert queue.count == 0 and redis_conn.llen(queue.intermediate_queue_key) == 0


def test_a_worker_on_two_queues_takes_the_dossier_queue_first_and_waits_on_both(redis_conn):
    """The blocking dequeue of a worker on several queues: dossier before report when both wait, and a job that
    arrives on the second queue while it blocks is found within the poll."""
    dossier, report = get_queue("dossier", redis_conn), get_queue("report", redis_conn)
    r = report.enqueue(REPORT_FUNC, job_id="report-x")
    d = enqueue_dossier(dossier, "H-first", version=1)
    assert d is not None
    got = handover.HandoverQueue.dequeue_any([dossier, report], 5, connection=redis_conn, serializer=JSONSerializer)
    assert got is not None and got[0].id == d.id and got[1].name == "dossier"
    assert redis_conn.lrange(dossier.intermediate_queue_key, 0, -1) == [d.id.encode()]
    got = handover.HandoverQueue.dequeue_any([dossier, report], 5, connection=redis_conn, serializer=JSONSerializer)
    assert got is not None and got[0].id == r.id and got[1].name == "report"
    assert handover.HandoverQueue.dequeue_any([dossier, report], None, connection=redis_conn) is None

    late = threading.Timer(0.3, lambda: report.enqueue(REPORT_FUNC, job_id="report-late"))
    late.start()
    got = handover.HandoverQueue.dequeue_any([dossier, report], 10, connection=redis_conn, serializer=JSONSerializer)
    late.join()
    assert got is not None and got[0].id == "report-late"
    with pytest.raises(DequeueTimeout):
        handover.HandoverQueue.dequeue_any([dossier, report], 1, connection=redis_conn)


def test_sweepers_running_at_once_put_a_stranded_job_back_once(redis_conn):
    """GIVEN 20 jobs stranded past their grace WHEN 8 sweepers (one per worker) run at the same moment THEN each
    job is back in its queue exactly once (the move back is one atomic script) and the hand-over list is empty."""
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    ids = []
    for i in range(20):
        job = enqueue_dossier(queue, f"H-s{i:02d}", version=1)
        assert job is not None
        ids.append(job.id)
        redis_conn.lmove(queue.key, queue.intermediate_queue_key)
    handover.rescue_stranded(queue, grace=5, clock=lambda: 0.0)  # first seen
    barrier = threading.Barrier(8)
    rescued: list[list[str]] = []

    def sweep() -> None:
        own = get_queue(DOSSIER_QUEUE, Redis(host="127.0.0.1", port=6379, db=REDIS_DB))
        barrier.wait()
        rescued.append(handover.rescue_stranded(own, grace=5, clock=lambda: 10.0).rescued)

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(j for r in rescued for j in r) == sorted(ids)
    assert sorted(queue.job_ids) == sorted(ids) and len(queue.job_ids) == 20
    assert redis_conn.llen(queue.intermediate_queue_key) == 0
