"""build_report: one streaming pass over the summary rows of an area, then every format.

Outputs go to `reports/<date>/<scope>/` (scope: the area code, `35` for the whole province);
snapshots for the next night's comparison to `reports/<date>/snapshot/<kab>.tsv.gz`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import ConfigError
from pipeline.reports.aggregate import Aggregator, Levels
from pipeline.reports.areas import CODE_RE, LEVELS, RegionTable, default_regions, level_of
from pipeline.reports.charts import reasons_chart, staffing_chart, status_chart
from pipeline.reports.labels import LEVEL_LABELS
from pipeline.reports.render_csv import area_csv, tps_csv
from pipeline.reports.render_html import render_html
from pipeline.reports.render_pdf import render_pdf
from pipeline.reports.snapshot import (
    SnapshotWriter,
    change_of,
    latest_snapshots,
    load_snapshot,
    snapshot_key,
)
from pipeline.reports.summary import UNKNOWN, Store, SummaryRow, area_prefix, iter_summary_keys
from pipeline.reports.tps import load_tps_list
from pipeline.reports.view import make_view

log = logging.getLogger(__name__)

PROVINCE = "35"


@dataclass
class ReportPaths:
    """Store keys of one report."""

    prefix: str
    html: str
    pdf: str
    csv: dict[str, str] = field(default_factory=dict)
    tps_shortage_csv: str = ""
    snapshots: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    baseline: str | None = None


def _kab_codes(scope: str, regions: RegionTable) -> list[str]:
    if "." in scope:
        return [".".join(scope.split(".")[:2])]
    return [*sorted(regions.children.get(scope, [])), UNKNOWN]


def build_report(
    store: Store,
    *,
    date: str,
    area: str | None = None,
    tps_csv: Path | None = None,
    now: datetime | None = None,
    regions: RegionTable | None = None,
) -> ReportPaths:
    """Build the report of `area` (a region code; None = the whole province) for `date` (YYYY-MM-DD).

    Each summary row is read once. Without `tps_csv` the TPS are those named by candidates (TPS with
    no candidate cannot be seen). Snapshots are written only when whole kabupaten/kota are covered.
    `now` (default: end of `date`, or now if earlier) is the time ages are measured at.
    """
    regions = regions or default_regions()
    scope = area or PROVINCE
    if not CODE_RE.match(scope):
        raise ConfigError(f"kode wilayah tidak dikenal: {scope!r}", code="AREA_UNKNOWN")
    day = datetime.fromisoformat(date).date()
    as_of = now or min(datetime.combine(day, time(23, 59, 59), UTC), datetime.now(UTC))
    tps_list = load_tps_list(tps_csv) if tps_csv else None
    covers_kab = level_of(scope) in ("provinsi", "kabupaten")

    previous_dates = latest_snapshots(store, before=date)
    aggregator = Aggregator(province=scope.split(".")[0])
    paths = ReportPaths(prefix=f"reports/{date}/{scope}/", html="", pdf="")
    baselines: set[str] = set()
    for kab in _kab_codes(scope, regions):
        previous = {}
        if kab in previous_dates:
            baselines.add(previous_dates[kab])
            previous = load_snapshot(store, snapshot_key(previous_dates[kab], kab), scope)
        writer = SnapshotWriter() if covers_kab else None
        prefix = area_prefix(scope if "." in scope else kab)
        read_before = paths.rows_read
        for key in iter_summary_keys(store, prefix):
            try:
                row = SummaryRow.model_validate(store.get_json(key))
            except (ValidationError, ValueError, KeyError):
                paths.rows_skipped += 1
                log.warning("summary row %s unreadable; skipped", key)
                continue
            paths.rows_read += 1
            aggregator.add(row, change_of(row, previous.pop(row.dossier_id, None)))
            if writer:
                writer.add(row, aggregator.desa_of(row))
        if writer and (paths.rows_read > read_before or kab in previous_dates):
            key = snapshot_key(date, kab)
            store.put_bytes(key, writer.close(), content_type="application/gzip")
            paths.snapshots.append(key)
    paths.baseline = max(baselines) if baselines else None

    levels = aggregator.finish(tps_list, scope)
    _write_outputs(store, paths, levels, regions, date=date, as_of=as_of)
    log.info("report %s for %s: %d rows read, %d skipped", date, scope, paths.rows_read, paths.rows_skipped)
    return paths


def _write_outputs(
    store: Store, paths: ReportPaths, levels: Levels, regions: RegionTable, *, date: str, as_of: datetime
) -> None:
    scope_level = level_of(levels.scope)
    for level in LEVELS[LEVELS.index(scope_level):-1]:
        key = f"{paths.prefix}{level}.csv"
        store.put_bytes(key, area_csv(levels.table(level), regions, as_of), content_type="text/csv")
        paths.csv[level] = key
    paths.csv["tps"] = f"{paths.prefix}tps.csv"
    store.put_bytes(paths.csv["tps"], tps_csv(levels.tps, regions), content_type="text/csv")
    paths.tps_shortage_csv = f"{paths.prefix}tps_kurang.csv"
    store.put_bytes(paths.tps_shortage_csv, tps_csv(levels.shortage_list(), regions), content_type="text/csv")

    view = make_view(levels, regions, date=date, as_of=as_of, baseline=paths.baseline)
    child_label = LEVEL_LABELS[view.child_level]
    view.charts = [
        status_chart(view.children, child_label),
        staffing_chart(view.children, child_label),
        reasons_chart(view.total),
    ]
    paths.html = f"{paths.prefix}laporan.html"
    store.put_bytes(paths.html, render_html(view), content_type="text/html; charset=utf-8")
    paths.pdf = f"{paths.prefix}laporan.pdf"
    store.put_bytes(paths.pdf, render_pdf(view), content_type="application/pdf")
