"""Cron configuration for RQ's scheduler: `rq cron workers.cron_config --url redis://...`.

RQ's cron scheduler enqueues with RQ's default (pickle) serializer whatever `--serializer` says, and Berkas
workers read jobs as JSON: a pickled nightly report job would fail in the worker before it starts. This
module is imported only by the scheduler process; it makes that process's cron jobs enqueue through a
queue that uses the JSON serializer, then registers the nightly report.
"""

from __future__ import annotations

from typing import Any

import rq.cron as _rq_cron
from rq import Queue
from rq.serializers import JSONSerializer

from config.settings import get_settings
from pipeline.selfcheck import require
from workers.report_jobs import register_cron


class JsonQueue(Queue):
    """A Queue whose serializer defaults to JSON (what `rq.cron.CronJob.enqueue` builds in this process)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)


_rq_cron.Queue = JsonQueue  # type: ignore[misc]  # CronJob.enqueue looks the name up at call time

# the scheduler stops here, with what is missing, rather than queue reports a broken store or rules would fail
require(get_settings(), "scheduler", label="penjadwal laporan (rq cron)")
register_cron()
