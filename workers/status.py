"""What the distributed mode is doing: queue depths, workers, failed jobs (for `berkas status`).

A worker killed outside RQ's control (SIGKILL, OOM killer, a lost node) cannot deregister: RQ keeps its entry
until the key expires, and its last state (`busy`) with it. Each heartbeat sets the key to expire
RQ_TTL_MARGIN seconds after the next heartbeat is due, so the key's remaining TTL says how late that heartbeat
is; a worker more than `heartbeat_grace` seconds late is shown as not responding, whatever state it last wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.queues import QUEUE_NAMES, get_queue

RQ_TTL_MARGIN = 60  # rq 3.x: every heartbeat expires the worker's key this long after the next one is due
HEARTBEAT_GRACE = 30.0  # seconds a heartbeat may be late before the worker counts as gone
GONE = "tidak merespons"


@dataclass(frozen=True)
class QueueStatus:
    name: str
    queued: int
    started: int
    scheduled: int  # retries waiting for their backoff
    failed: int
    finished: int
    handing_over: int = 0  # taken by a worker, not yet started (a moment, or stranded: workers.handover)


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    queues: list[str]
    current_job: str | None
    last_heartbeat: datetime | None
    responding: bool = True  # False: its heartbeat is overdue (killed or cut off); `state` is what it last wrote

    @property
    def shown_state(self) -> str:
        return self.state if self.responding else GONE

    def heartbeat_age(self, now: datetime | None = None) -> float | None:
        if self.last_heartbeat is None:
            return None
        last = self.last_heartbeat if self.last_heartbeat.tzinfo else self.last_heartbeat.replace(tzinfo=UTC)
        return max(0.0, ((now or datetime.now(UTC)) - last).total_seconds())


@dataclass(frozen=True)
class FailedJob:
    job_id: str
    queue: str
    dossier_id: str | None
    error: str  # last line of the error only (the full text may quote personal data)
    ended_at: datetime | None


@dataclass
class ClusterStatus:
    queues: list[QueueStatus] = field(default_factory=list)
    workers: list[WorkerInfo] = field(default_factory=list)
    failed: list[FailedJob] = field(default_factory=list)


def collect_status(connection: Redis, *, queues: tuple[str, ...] = QUEUE_NAMES, failed_limit: int = 20,
                   heartbeat_grace: float = HEARTBEAT_GRACE) -> ClusterStatus:
    out = ClusterStatus()
    for name in queues:
        q = get_queue(name, connection)
        out.queues.append(QueueStatus(
            name=name, queued=q.count, started=q.started_job_registry.count,
            scheduled=q.scheduled_job_registry.count, failed=q.failed_job_registry.count,
            finished=q.finished_job_registry.count, handing_over=connection.llen(q.intermediate_queue_key),
        ))
        for job_id in q.failed_job_registry.get_job_ids(0, failed_limit - 1, desc=True):
            out.failed.append(_failed(connection, name, job_id))
    for w in Worker.all(connection=connection, serializer=JSONSerializer):
        out.workers.append(WorkerInfo(
            name=w.name, state=w.get_state(), queues=w.queue_names(), current_job=w.get_current_job_id(),
            last_heartbeat=w.last_heartbeat, responding=_responding(connection, w.key, heartbeat_grace),
        ))
    out.workers.sort(key=lambda w: w.name)
    return out


def _responding(connection: Redis, worker_key: str, grace: float) -> bool:
    """False when the worker's next heartbeat is more than `grace` seconds overdue (or its key just expired)."""
    ttl = connection.ttl(worker_key)
    if ttl == -2:  # expired between listing and now
        return False
    if ttl < 0:  # no expiry set: nothing to tell from
        return True
    return RQ_TTL_MARGIN - ttl <= grace


def _failed(connection: Redis, queue: str, job_id: str) -> FailedJob:
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return FailedJob(job_id, queue, None, "(job expired)", None)
    result = job.latest_result()
    text = (getattr(result, "exc_string", None) or "").strip()
    last = text.splitlines()[-1][:200] if text else "(no error text)"
    dossier_id = (job.meta or {}).get("dossier_id")
    return FailedJob(job_id, queue, dossier_id if isinstance(dossier_id, str) else None, last, job.ended_at)
