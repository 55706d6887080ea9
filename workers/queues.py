"""Queues and the job policy of the distributed mode (RQ on Redis).

Two queues: `dossier` (one job per dossier, ids only) and `report` (nightly reports). Jobs are stored with
RQ's JSON serializer, never pickle. A dossier job has a wall-clock limit (`job_timeout`), is retried with
backoff, and on every failure calls `on_dossier_failure`, which records the error in the object store and,
once the retry budget is spent, flags the dossier for review so it is never lost.

The job id of a dossier is `dossier-<dossier_id>-v<manifest version>` (`dossierx-...` for an id with a dot,
which RQ refuses in job ids: `dossier_job_id`): enqueuing the same version twice while the first job is still
waiting or running does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry as RedisRetry
from rq import Callback, Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from config.settings import Settings
from workers.handover import HandoverQueue

log = logging.getLogger(__name__)

DOSSIER_QUEUE = "dossier"
REPORT_QUEUE = "report"
QUEUE_NAMES = (DOSSIER_QUEUE, REPORT_QUEUE)

DOSSIER_JOB_TIMEOUT = 15 * 60  # seconds; a dossier takes seconds, a stuck decoder is cut off here
DOSSIER_RETRY_MAX = 3
DOSSIER_RETRY_INTERVALS = (30, 120, 600)  # seconds before the 1st, 2nd and 3rd retry
RESULT_TTL = 24 * 3600  # job results are only a receipt: the real result lives in the store
FAILURE_TTL = 30 * 24 * 3600  # failed jobs stay inspectable for the whole recruitment period
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


# A worker's Redis commands ride out a Redis restart: retried with backoff 0.25 s doubling to 5 s, 30 times
# (about two minutes). RQ's own dequeue loop waits for Redis without limit; this covers everything else a
# worker and its work horse say to Redis (state, heartbeats, job results) while Redis is away.
REDIS_RETRIES = 30
REDIS_BACKOFF = ExponentialBackoff(cap=5.0, base=0.25)


def connect(settings: Settings, *, patient: bool = False) -> Redis:
    """The Redis connection named by `settings.redis_url` (BERKAS_REDIS_URL).

    `patient` (workers): commands are retried while Redis is unreachable, for about two minutes, instead of
    failing at once; CLI commands stay impatient so they fail clearly."""
    if not patient:
        return Redis.from_url(settings.redis_url)
    return Redis.from_url(
        settings.redis_url,
        retry=RedisRetry(REDIS_BACKOFF, REDIS_RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        socket_connect_timeout=5,
        health_check_interval=30,
    )


def get_queue(name: str, connection: Redis, *, is_async: bool = True) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r} (known: {', '.join(QUEUE_NAMES)})")
    return HandoverQueue(name, connection=connection, serializer=JSONSerializer, is_async=is_async,
                         default_timeout=DOSSIER_JOB_TIMEOUT)


def dossier_job_id(dossier_id: str, version: int | None = None) -> str:
    """`dossier-<id>-v<version>`. RQ allows only letters, digits, `_` and `-` in a job id, while a dossier id may
    hold dots: such an id is written `dossierx-<id with '_' as '_u' and '.' as '_d'>`, one job id per dossier id."""
    if "." in dossier_id:
        name = "dossierx-" + dossier_id.replace("_", "_u").replace(".", "_d")
    else:
        name = f"dossier-{dossier_id}"
    return name + (f"-v{int(version)}" if version is not None else "")


def default_retry() -> Retry:
    return Retry(max=DOSSIER_RETRY_MAX, interval=list(DOSSIER_RETRY_INTERVALS))


def _fetch(queue: Queue, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        return None


def enqueue_dossier(
    queue: Queue,
    dossier_id: str,
    *,
    version: int | None = None,
    retry: Retry | None = None,
    job_timeout: int = DOSSIER_JOB_TIMEOUT,
) -> Job | None:
    """Queue `process_dossier_job(dossier_id)`. Returns None when that version is already waiting, scheduled or
    running. A finished or failed earlier job of the same version is replaced (with a fresh retry budget)."""
    job_id = dossier_job_id(dossier_id, version)
    retry = retry or default_retry()
    old = _fetch(queue, job_id)
    if old is not None:
        if old.get_status(refresh=False) in _LIVE:
            log.info("dossier %s: job %s already queued", dossier_id, job_id)
            return None
        old.delete()  # leaves the failed/finished registries too
    job = queue.enqueue(
        "workers.jobs.process_dossier_job",
        dossier_id,
        job_id=job_id,
        job_timeout=job_timeout,
        retry=retry,
        on_failure=Callback(on_dossier_failure, timeout=60),
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        description=f"dossier {dossier_id}",
        meta={"dossier_id": dossier_id, "version": version, "retry_max": retry.max},
    )
    log.info("dossier %s: queued as %s", dossier_id, job.id)
    return job


def requeue_failed(queue: Queue, *, dossier_ids: set[str] | None = None, limit: int = 10_000) -> list[str]:
    """Queue again the dossier jobs in the failed registry (all, or those of `dossier_ids`); returns the ids."""
    done: list[str] = []
    for job_id in queue.failed_job_registry.get_job_ids(0, limit - 1):
        job = _fetch(queue, job_id)
        dossier_id = _dossier_of(job) if job is not None else None
        if job is None or dossier_id is None or (dossier_ids is not None and dossier_id not in dossier_ids):
            continue
        if enqueue_dossier(queue, dossier_id, version=(job.meta or {}).get("version")) is not None:
            done.append(dossier_id)
    return done


def on_dossier_failure(job: Job, connection: Redis, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
    """RQ failure callback (every failed attempt, also abandoned jobs): record it; flag after the last one."""
    from workers.failures import record_failure
    from workers.jobs import current_regions, current_store

    dossier_id = _dossier_of(job)
    if dossier_id is None:
        log.error("job %s failed and names no dossier", job.id)
        return
    record_failure(
        current_store(), dossier_id,
        job_id=job.id,
        error=exc if isinstance(exc, BaseException) else None,
        error_type=getattr(exc_type, "__name__", str(exc_type)),
        attempt=_attempt(job),
        final=not job.should_retry,
        regions=current_regions(),
    )
    from workers.metrics import job_done, record_job_failure

    record_job_failure(final=not job.should_retry)
    job_done()


def _dossier_of(job: Job) -> str | None:
    meta_id = (job.meta or {}).get("dossier_id")
    if isinstance(meta_id, str):
        return meta_id
    args = job.args or ()
    return args[0] if args and isinstance(args[0], str) else None


def _attempt(job: Job) -> int:
    """1 for the first run, 2 for the first retry, ... (read before RQ counts the retry down)."""
    retry_max = int((job.meta or {}).get("retry_max") or 0)
    return 1 + max(0, retry_max - int(job.retries_left or 0))
