"""The nightly report as an RQ job, its queue policy and its cron entry.

`nightly_report_job(date_iso)` takes a date (default: the day that just ended in Jakarta time), reads the
summary rows from the store once and writes `reports/<date>/35/...`. It holds no data beyond per-area
counters, so one job covers the whole province.

Cron (RQ >= 2.5 `rq cron`): a config module that calls `register_cron()`, e.g. `workers/cron_config.py`:

    from workers.report_jobs import register_cron
    register_cron()

and `rq cron workers.cron_config --url redis://127.0.0.1:6379/0`. See docs/reports.md for the serializer
caveat (RQ's cron scheduler enqueues with its default serializer).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rq import Queue, Retry
from rq.job import Job

from config.settings import CONFIG_DIR
from workers.queues import REPORT_QUEUE

log = logging.getLogger(__name__)

REPORT_JOB_TIMEOUT = 60 * 60  # seconds; 100,000 rows take well under a minute (scripts/bench_report.py)
REPORT_RETRY = (2, [300, 900])  # two retries, 5 and 15 minutes apart
NIGHTLY_CRON = "30 19 * * *"  # 19:30 UTC = 02:30 WIB, after the evening's uploads are processed
DEFAULT_TPS_LIST = CONFIG_DIR / "tps" / "tps.csv"
WIB = timezone(timedelta(hours=7))


def report_day(now: datetime | None = None) -> str:
    """The day a nightly run reports on: yesterday in Western Indonesia Time (WIB, UTC+7)."""
    local = (now or datetime.now(UTC)).astimezone(WIB)
    return (local.date() - timedelta(days=1)).isoformat()


def default_tps_list(settings: Any = None) -> Path | None:
    """The TPS list: `settings.tps_list` when the settings have one, else config/tps/tps.csv if present."""
    configured = getattr(settings, "tps_list", None)
    if configured:
        return Path(configured)
    return DEFAULT_TPS_LIST if DEFAULT_TPS_LIST.exists() else None


def rules_version(settings: Any = None) -> str:
    """The `version` of the requirement rules in force (`settings.rules_file`, else the packaged rules)."""
    from config.rules import load_rules

    rules_file = getattr(settings, "rules_file", None)
    return load_rules(rules_file).version


def nightly_report_job(date_iso: str | None = None, area: str | None = None) -> dict[str, Any]:
    """Build the report for `date_iso` (YYYY-MM-DD; default `report_day()`) and `area` (default: province).

    The TPS list is `default_tps_list()`, its source and date from its `.meta.yaml`. Returns a small
    receipt: the store keys written and the number of rows read.
    """
    from pipeline.reports import build_report
    from workers.jobs import current_settings, current_store

    settings = current_settings()
    day = date.fromisoformat(date_iso).isoformat() if date_iso else report_day()
    paths = build_report(current_store(), date=day, area=area, tps_csv=default_tps_list(settings),
                         rules_version=rules_version(settings))
    log.info("nightly report %s: %d rows, %s", day, paths.rows_read, paths.prefix)
    return {
        "date": day,
        "prefix": paths.prefix,
        "html": paths.html,
        "pdf": paths.pdf,
        "csv": paths.csv,
        "tps_kurang": paths.tps_shortage_csv,
        "perubahan": paths.changes_csv,
        "rows_read": paths.rows_read,
        "rows_skipped": paths.rows_skipped,
        "baseline": paths.baseline,
    }


def enqueue_report(queue: Queue, date_iso: str | None = None, area: str | None = None) -> Job:
    """Queue one report run (job id `report-<date>-<area>`, so a second request for it is a re-run)."""
    day = date_iso or report_day()
    retries, intervals = REPORT_RETRY
    return queue.enqueue(
        nightly_report_job, day, area, job_id=f"report-{day}-{area or 'all'}",
        job_timeout=REPORT_JOB_TIMEOUT, retry=Retry(max=retries, interval=intervals),
    )


def register_cron(queue_name: str = REPORT_QUEUE, cron: str = NIGHTLY_CRON) -> dict:
    """Register the nightly run with RQ's cron scheduler (call from a cron config module)."""
    from rq import cron as rq_cron

    return rq_cron.register(
        nightly_report_job, queue_name, cron=cron, job_timeout=REPORT_JOB_TIMEOUT, name="berkas-nightly-report"
    )
