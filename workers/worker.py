"""Starting a worker of the distributed mode.

`BerkasWorker` forks a work horse per job (a crash or a runaway decoder cannot take the worker down) and
loads the Runtime in the parent before the first job, so every horse inherits the OCR engine, spaCy
pipeline and tables instead of loading them again. `BerkasSimpleWorker` runs jobs in its own process
(tests, debugging). A horse killed from outside (OOM killer, SIGKILL) is recorded like any failed attempt.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

from redis import Redis
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from config.settings import Settings
from workers import jobs
from workers.queues import QUEUE_NAMES, connect, get_queue

log = logging.getLogger(__name__)


def _horse_killed(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    """Called by the worker when its work horse died without reporting (no failure callback runs then)."""
    from workers.failures import record_failure
    from workers.queues import _attempt, _dossier_of

    dossier_id = _dossier_of(job)
    if dossier_id is None:
        return
    signal_no = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
    record_failure(
        jobs.current_store(), dossier_id,
        job_id=job.id, error=None, error_type=f"WorkHorseKilled(signal={signal_no})",
        attempt=_attempt(job), final=not job.should_retry, regions=jobs.current_regions(),
    )


class _Preloading:
    """Mixin: load the per-process objects once, before the first job."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        if jobs._state.store is None or jobs._state.runtime is None:
            jobs.init_process(jobs._state.settings)
        super().bootstrap(*args, **kwargs)  # type: ignore[misc]


class BerkasWorker(_Preloading, Worker):
    pass


class BerkasSimpleWorker(_Preloading, SimpleWorker):
    pass


def make_worker(
    settings: Settings,
    *,
    queues: Sequence[str] = QUEUE_NAMES,
    connection: Redis | None = None,
    simple: bool = False,
    name: str | None = None,
) -> Worker | SimpleWorker:
    """A worker on `queues` (dossier first, then report). Call `jobs.init_process` before to inject a runtime.

    Without `connection`, the worker's Redis connection retries through a Redis restart (`connect(patient=True)`)."""
    connection = connection or connect(settings, patient=True)
    if jobs._state.settings is None:
        jobs._state.settings = settings
    cls = BerkasSimpleWorker if simple else BerkasWorker
    return cls(
        [get_queue(q, connection) for q in queues],
        connection=connection,
        serializer=JSONSerializer,
        name=name or f"berkas-{socket.gethostname()}-{os.getpid()}",
        work_horse_killed_handler=_horse_killed,
    )


def run_worker(
    settings: Settings,
    burst: bool = False,
    *,
    queues: Sequence[str] = QUEUE_NAMES,
    simple: bool = False,
    with_scheduler: bool = True,
) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queues are empty). Retries that wait for their
    backoff are moved back to the queue by the worker's scheduler (`with_scheduler`)."""
    jobs.init_process(settings)
    worker = make_worker(settings, queues=queues, simple=simple)
    log.info("worker %s on %s (burst=%s)", worker.name, ", ".join(queues), burst)
    return worker.work(burst=burst, with_scheduler=with_scheduler)
