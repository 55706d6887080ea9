"""Prometheus metrics of a worker (and the counters the review app shares), with the `prometheus-client` library.

A forking worker runs each job in a work horse that exits afterwards, so whatever the horse counted would die
with it. Instead of the library's multiprocess mode (one set of files per process: a new set per job, growing
without end on a worker that forks tens of thousands of horses), every process buffers its events
(`pipeline.observe` stage timings, dossier outcomes) and a horse hands its buffer to its worker through a pipe
when its job ends (`flush`); the worker applies them to its own registry after each job (`collect`) and serves
it on BERKAS_METRICS_PORT. A `--simple` worker applies its own buffer. Queue depths and failed jobs are read
from Redis at scrape time (`QueueCollector`).

Metric names (all prefixed `berkas_`): see docs/operations.md.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from pipeline import observe

log = logging.getLogger(__name__)

# seconds; a decode or a page's OCR takes 0.05-3 s, checks and publish milliseconds
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
MAX_PIPE_MESSAGE = 60_000  # bytes: under a pipe's buffer, so a horse never blocks on a worker that is busy


class Metrics:
    """The counters of one process's registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.dossiers = Counter("berkas_dossiers_processed", "Dossiers processed, by the status they ended with",
                                ["status"], registry=r)
        self.pages = Counter("berkas_pages", "Pages read, by the document type found", ["doc_type"], registry=r)
        self.flags = Counter("berkas_flags", "Flagged results published (processing, re-checks, corrections), "
                             "by reason: one per reason per result", ["reason"], registry=r)
        self.stage = Histogram("berkas_stage_seconds", "Time per stage: decode (per file), ocr (per page and "
                               "engine), reading (per page, OCR excluded), checks and publish (per dossier)",
                               ["stage", "engine"], buckets=STAGE_BUCKETS, registry=r)
        self.job_failures = Counter("berkas_job_failures", "Failed dossier job attempts (final: retries spent)",
                                    ["final"], registry=r)
        self.build = Gauge("berkas_build_info", "Constant 1, labelled with what this process decides with",
                           ["pipeline_version", "code_revision", "requirements_version", "requirements_sha256"],
                           registry=r)

    def set_build(self, *, requirements_version: str, requirements_sha256: str) -> None:
        from pipeline import __version__
        from pipeline.provenance import code_revision

        self.build.labels(__version__, code_revision() or "unknown", requirements_version,
                          requirements_sha256[:12]).set(1)

    def apply(self, kind: str, fields: dict[str, Any]) -> None:
        if kind == "stage":
            self.stage.labels(fields["stage"], fields.get("engine") or "").observe(float(fields["seconds"]))
        elif kind == "dossier":
            self.dossiers.labels(fields["status"]).inc()
            for doc_type, n in fields.get("pages", {}).items():
                self.pages.labels(doc_type).inc(n)
        elif kind == "published":
            for reason in fields.get("reasons", []):
                self.flags.labels(reason).inc()
        elif kind == "job_failure":
            self.job_failures.labels("true" if fields.get("final") else "false").inc()

    def apply_all(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for kind, fields in events:
            self.apply(kind, fields)


def dossier_event(result: Any) -> dict[str, Any]:
    """What a processed dossier adds: the status its job ended with, its pages by document type."""
    pages: dict[str, int] = {}
    for d in result.documents:
        pages[d.type.value] = pages.get(d.type.value, 0) + 1
    return {"status": result.status.value, "pages": pages}


class Recorder:
    """Counts the events of the process that installed it at once; a forked horse buffers its own and hands
    them back through the pipe (`flush`)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.owner = os.getpid()
        self._read_fd: int | None = None
        self._write_fd: int | None = None

    def __call__(self, kind: str, fields: dict[str, Any]) -> None:  # the pipeline.observe listener
        if os.getpid() == self.owner or self._write_fd is None:  # counted at once (a fork without a pipe,
            self.metrics.apply(kind, fields)                     # e.g. a pool process: into its own copy)
        else:  # a worker's horse: kept for `flush`
            self.events.append((kind, fields))

    def open_pipe(self) -> None:
        """Before the first fork: horses inherit the write end."""
        if self._read_fd is None:
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)

    def flush(self) -> None:
        """In a horse: hand the buffered events to the worker (one message). In the worker itself: apply them."""
        events, self.events = self.events, []
        if not events:
            return
        if os.getpid() == self.owner or self._write_fd is None:
            self.metrics.apply_all(events)
            return
        data = (json.dumps(events, separators=(",", ":")) + "\n").encode()
        if len(data) > MAX_PIPE_MESSAGE:  # keep the counters, drop the timings rather than block
            data = (json.dumps([e for e in events if e[0] != "stage"], separators=(",", ":")) + "\n").encode()
        try:
            os.write(self._write_fd, data)
        except BlockingIOError:
            log.warning("metrics: worker not reading, %d events of this job dropped", len(events))

    def collect(self) -> None:
        """In the worker, after a job: apply what its horse sent, and what this process buffered itself."""
        if self._read_fd is not None:
            chunks = []
            while True:
                try:
                    chunk = os.read(self._read_fd, 1 << 16)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            for line in b"".join(chunks).splitlines():
                try:
                    self.metrics.apply_all((k, f) for k, f in json.loads(line))
                except (ValueError, TypeError, KeyError) as e:
                    log.warning("metrics: unreadable message from a horse (%s)", type(e).__name__)
        self.flush()


_recorder: Recorder | None = None


def recorder() -> Recorder | None:
    return _recorder


def install(metrics: Metrics | None = None) -> Recorder:
    """Listen to this process's pipeline events (and those of processes it forks later)."""
    global _recorder
    _recorder = Recorder(metrics or Metrics())
    observe.listen(_recorder)
    return _recorder


def uninstall() -> None:
    global _recorder
    _recorder = None
    observe.listen(None)


def record_dossier(result: Any) -> None:
    """A job's dossier is done (in whichever process ran it)."""
    if _recorder is not None and result is not None and hasattr(result, "documents"):
        _recorder("dossier", dossier_event(result))


def record_job_failure(final: bool) -> None:
    if _recorder is not None:
        _recorder("job_failure", {"final": final})


def job_done() -> None:
    """End of a job in the process that ran it: a horse hands its events over now (it exits next)."""
    if _recorder is not None:
        _recorder.flush()


class QueueCollector:
    """Queue depth and failed jobs, read from Redis when scraped."""

    def __init__(self, connection: Any, queues: Iterable[str]) -> None:
        self.connection = connection
        self.queues = tuple(queues)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from redis.exceptions import RedisError

        from workers.queues import get_queue

        depth = GaugeMetricFamily("berkas_queue_jobs", "Jobs per queue and state (RQ registries)",
                                  labels=["queue", "state"])
        up = GaugeMetricFamily("berkas_queue_up", "1 when Redis answered this scrape")
        try:
            for name in self.queues:
                q = get_queue(name, self.connection)
                for state, n in (("queued", q.count), ("started", q.started_job_registry.count),
                                 ("scheduled", q.scheduled_job_registry.count),
                                 ("failed", q.failed_job_registry.count)):
                    depth.add_metric([name, state], n)
            up.add_metric([], 1)
        except (RedisError, OSError):
            up.add_metric([], 0)
        yield depth
        yield up


def serve(registry: CollectorRegistry, port: int, addr: str) -> Any:
    """Serve `registry` on http://addr:port/metrics in a thread of this process; returns the server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=addr, registry=registry)
    log.info("metrics on http://%s:%d/metrics", addr, server.server_port)
    return server
