"""What the distributed mode is doing: queue depths, workers, failed jobs (for `berkas status`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from redis import Redis
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.queues import QUEUE_NAMES, get_queue


@dataclass(frozen=True)
class QueueStatus:
    name: str
    queued: int
    started: int
    scheduled: int  # retries waiting for their backoff
    failed: int
    finished: int


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    queues: list[str]
    current_job: str | None
    last_heartbeat: datetime | None


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


def collect_status(connection: Redis, *, queues: tuple[str, ...] = QUEUE_NAMES, failed_limit: int = 20) -> ClusterStatus:
    out = ClusterStatus()
    for name in queues:
        q = get_queue(name, connection)
        out.queues.append(QueueStatus(
            name=name, queued=q.count, started=q.started_job_registry.count,
            scheduled=q.scheduled_job_registry.count, failed=q.failed_job_registry.count,
            finished=q.finished_job_registry.count,
        ))
        for job_id in q.failed_job_registry.get_job_ids(0, failed_limit - 1, desc=True):
            out.failed.append(_failed(connection, name, job_id))
    for w in Worker.all(connection=connection, serializer=JSONSerializer):
        out.workers.append(WorkerInfo(
            name=w.name, state=w.get_state(), queues=w.queue_names(), current_job=w.get_current_job_id(),
            last_heartbeat=w.last_heartbeat,
        ))
    out.workers.sort(key=lambda w: w.name)
    return out


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
