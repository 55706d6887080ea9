"""Starting a worker of the distributed mode.

`BerkasWorker` forks a work horse per job (a crash or a runaway decoder cannot take the worker down). What a
job needs is made ready in the parent, once, so that a horse starts with nothing left to load:
- the Runtime (OCR engine, spaCy pipeline, rules, regions) and, for the real pipeline, its modules and lazy
  caches (`jobs.preload_pipeline`);
- the decode sandbox: the worker's `DecodeGuard` child is shared with its horses (`share_with_forks`) and
  checked before every fork (`ready_for_fork`): a horse killed mid-request, or one whose decode timed out or
  whose decoder died, leaves the channel marked, and the worker starts a fresh child before the next job;
- the garbage collector's view: `gc.freeze()` once everything is loaded keeps the horses' collections away
  from the inherited objects (fewer copy-on-write page faults, less CPU per job).
Both take jobs through `workers.handover` (a job taken but never started, because a Redis reply was lost, is
put back in its queue: at each maintenance pass, and before a burst worker quits).
`BerkasSimpleWorker` runs jobs in its own process (tests, debugging). A horse killed from outside (OOM killer,
SIGKILL) is recorded like any failed attempt. Every record logged while a job runs carries the worker name,
job id and dossier id (`pipeline.logs.log_context`).
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

from redis import Redis
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.utils import get_version

from config.settings import Settings, require_secrets
from pipeline.decode_guard import GuardUnavailable, shared_guard
from pipeline.errors import ConfigError
from pipeline.logs import log_context
from workers import handover, jobs, metrics
from workers.queues import QUEUE_NAMES, connect, get_queue

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL = 60  # seconds between a worker's maintenance passes (RQ's registries, stranded hand-overs)
HANDOVER_POLL = 1.0  # seconds a burst worker waits between sweeps while a job is still in a hand-over


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
    from workers.metrics import record_job_failure

    record_job_failure(final=not job.should_retry)


class _Preloading:
    """Mixin: load the per-process objects once, before the first job; log with the job's ids; take jobs through
    the safe hand-over of `workers.handover`."""

    stranded_grace: float = handover.STRANDED_GRACE

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        version = get_version(self.connection)  # type: ignore[attr-defined]
        if version < handover.MIN_REDIS:
            raise ConfigError(f"Redis {'.'.join(map(str, version))} terlalu lama: worker memerlukan Redis "
                              f"{'.'.join(map(str, handover.MIN_REDIS))} atau lebih baru (LMOVE)")
        if jobs._state.store is None or jobs._state.runtime is None:
            jobs.init_process(jobs._state.settings)
        if jobs._state.processor is None:  # the real pipeline (tests inject their own processor)
            jobs.preload_pipeline()
        super().bootstrap(*args, **kwargs)  # type: ignore[misc]

    def work(self, *args: Any, **kwargs: Any) -> bool:
        with log_context(worker=self.name):  # type: ignore[attr-defined]
            return super().work(*args, **kwargs)  # type: ignore[misc]

    def prepare_job_execution(self, job: Any, remove_from_intermediate_queue: bool = False) -> None:
        # always out of the intermediate list, in the transaction that marks the job started (RQ does it only
        # for a worker on one queue, because only then does its own dequeue use that list)
        super().prepare_job_execution(job, remove_from_intermediate_queue=True)  # type: ignore[misc]

    def run_maintenance_tasks(self) -> None:
        # before RQ's clean-up, which would fail a job stranded there for a minute as if it had run
        handover.sweep_all(self.queues, grace=self.stranded_grace)  # type: ignore[attr-defined]
        super().run_maintenance_tasks()  # type: ignore[misc]

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        while True:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)  # type: ignore[misc]
            if result is not None or timeout is not None:
                return result
            # a burst worker found its queues empty: before it quits, no job may be left in a hand-over
            sweep = handover.sweep_all(self.queues, grace=self.stranded_grace)  # type: ignore[attr-defined]
            if sweep.rescued:
                continue
            if not sweep.pending:
                return None
            time.sleep(HANDOVER_POLL)

    def execute_job(self, job: Any, queue: Any) -> None:
        from workers.queues import _dossier_of

        dossier_id = _dossier_of(job) if job.func_name == jobs.DOSSIER_JOB_FUNC else None
        with log_context(job_id=job.id, dossier_id=dossier_id):
            self._before_job()
            try:
                super().execute_job(job, queue)  # type: ignore[misc]
            finally:
                self._after_job()
                rec = metrics.recorder()
                if rec is not None:
                    rec.collect()  # what the job's horse counted (or this process, for a simple worker)

    def _before_job(self) -> None:
        pass

    def _after_job(self) -> None:
        pass


class BerkasWorker(_Preloading, Worker):
    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        shared_guard().share_with_forks()
        rec = metrics.recorder()
        if rec is not None:
            rec.open_pipe()  # before the first horse is forked
        if jobs._state.processor is None:  # the real pipeline was preloaded (not in tests with a fake processor)
            gc.freeze()  # never scanned by a horse's collector (once: what is frozen is never collected)

    def _before_job(self) -> None:
        self._check_guard()

    def _after_job(self) -> None:
        # at once, not only before the next job: a horse killed mid-request may have left the child decoding a
        # hostile file, which must not go on using a core while the queue is idle
        self._check_guard()

    @staticmethod
    def _check_guard() -> None:
        try:
            shared_guard().ready_for_fork()
        except GuardUnavailable as e:  # the horse then tries its own child, and decodes in-process if that fails
            log.error("decode guard unavailable (%s)", e.detail)


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
        queue_class=handover.HandoverQueue,
        maintenance_interval=MAINTENANCE_INTERVAL,
    )


def start_metrics(settings: Settings, connection: Redis, queues: Sequence[str]) -> Any:
    """Count this worker's jobs (and its horses') and serve them, with the queues' depths, on
    settings.metrics_addr:metrics_port (workers/metrics.py)."""
    from config.rules import load_rules
    from pipeline.selfcheck import rules_digest

    rec = metrics.install()
    rec.metrics.registry.register(metrics.QueueCollector(connection, queues))
    rec.metrics.set_build(requirements_version=load_rules(settings.rules_file).version,
                          requirements_sha256=rules_digest(settings.rules_file))
    try:
        return metrics.serve(rec.metrics.registry, settings.metrics_port, settings.metrics_addr)
    except OSError as e:  # a port another worker on this host already serves
        metrics.uninstall()
        raise ConfigError(f"metrics tidak dapat dilayani di {settings.metrics_addr}:{settings.metrics_port} "
                          f"({e.strerror}); setiap proses worker perlu BERKAS_METRICS_PORT sendiri") from e


def run_worker(
    settings: Settings,
    burst: bool = False,
    *,
    queues: Sequence[str] = QUEUE_NAMES,
    simple: bool = False,
    with_scheduler: bool = True,
) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queues are empty). Retries that wait for their
    backoff are moved back to the queue by the worker's scheduler (`with_scheduler`).

    Refuses to start (pipeline.errors.SecretUnsafe) with an unsafe NIK-index key, outside development mode, and
    (pipeline.selfcheck.SelfCheckFailed) when tesseract, the NIK templates, the neural models, the rules, the
    store or Redis are missing or broken."""
    require_secrets(settings, what="worker")
    from pipeline.selfcheck import require

    require(settings, "worker", label="worker")  # SelfCheckFailed before the worker takes a job
    jobs.init_process(settings)
    worker = make_worker(settings, queues=queues, simple=simple)
    if settings.metrics_port:
        start_metrics(settings, worker.connection, queues)
    log.info("worker %s on %s (burst=%s)", worker.name, ", ".join(queues), burst)
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler)
    finally:
        shared_guard().close()  # ends and reaps the decode child (it would exit on its own, unreaped)
