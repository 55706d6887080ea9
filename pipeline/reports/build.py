"""build_report: one streaming pass over the summary rows of an area, then every format.

Outputs go to `reports/<date>/<scope>/` (scope: the area code, `35` for the whole province);
snapshots for the next night's comparison to `reports/<date>/snapshot/<kab>.tsv.gz`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import ConfigError
from pipeline.reports.aggregate import Aggregator, Levels
from pipeline.reports.areas import CODE_RE, LEVELS, RegionTable, default_regions, level_of
from pipeline.reports.changes import ChangeLog
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
from pipeline.reports.tps import check_codes, load_tps_list
from pipeline.reports.view import WIB, ReportContext, make_view

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
    changes_csv: str = ""
    snapshots: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    baseline: str | None = None
    baselines: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)  # kabupaten/kota with dossiers but no previous report


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
    tps_source: str | None = None,
    tps_date: str | None = None,
    rules_version: str | None = None,
    now: datetime | None = None,
    regions: RegionTable | None = None,
) -> ReportPaths:
    """Build the report of `area` (a region code; None = the whole province) for `date` (YYYY-MM-DD).

    Each summary row is read once. `tps_csv` is the KPU's TPS list (pipeline.reports.tps; `tps_source`
    and `tps_date` say where it came from, else its `.meta.yaml`); without it the TPS are those named
    by candidates and TPS with no candidate cannot be seen, which the report says. `rules_version`
    (default: the packaged rules' `version`) is printed in the header. Snapshots are written only when
    whole kabupaten/kota are covered. `now` (default: end of `date` in WIB, or now if earlier) is the time
    ages are measured at.
    """
    regions = regions or default_regions()
    scope = area or PROVINCE
    if not CODE_RE.match(scope):
        raise ConfigError(f"kode wilayah tidak dikenal: {scope!r}", code="AREA_UNKNOWN")
    day = datetime.fromisoformat(date).date()
    as_of = now or min(datetime.combine(day, time(23, 59, 59), WIB), datetime.now(UTC))
    tps_list = load_tps_list(tps_csv, source=tps_source, date=tps_date) if tps_csv else None
    if tps_list is not None:
        check_codes(tps_list, regions)
    if rules_version is None:
        from config.rules import load_rules

        rules_version = load_rules().version
    covers_kab = level_of(scope) in ("provinsi", "kabupaten")

    previous_dates = latest_snapshots(store, before=date)
    changes = ChangeLog() if previous_dates else None
    # a kabupaten/kota without a snapshot had no dossier at the last province-wide report; unless there was
    # none, its dossiers are new. After area reports only, it is not compared (no flood of "new" lines).
    latest = max(previous_dates.values(), default=None)
    whole_province_before = latest is not None and store.exists(f"reports/{latest}/{PROVINCE}/laporan.pdf")
    aggregator = Aggregator(province=scope.split(".")[0])
    paths = ReportPaths(prefix=f"reports/{date}/{scope}/", html="", pdf="")
    for kab in _kab_codes(scope, regions):
        previous = {}
        if kab in previous_dates:
            previous = load_snapshot(store, snapshot_key(previous_dates[kab], kab), scope)
        compared = changes is not None and (kab in previous_dates or whole_province_before)
        writer = SnapshotWriter() if covers_kab else None
        read_before = paths.rows_read
        for row in _rows(store, scope if "." in scope else kab, paths):
            before = previous.pop(row.dossier_id, None)
            change = change_of(row, before)
            listed = compared and change.listed
            desa = aggregator.add(row, change, listed=listed)
            if before is not None:
                aggregator.add_before(before.desa, before.tps or row.tps, before.filled)
            if listed and changes is not None:  # listed implies compared, which implies a change log
                changes.add_row(desa, row.tps, row.dossier_id, str(row.status),
                                str(row.review.decision) if row.review else None,
                                bool(row.review and row.review.override), change)
            if writer:
                writer.add(row, desa)
        if changes is not None and not compared and paths.rows_read > read_before:
            paths.not_compared.append(kab)
        if changes is not None:
            for dossier_id, gone in sorted(previous.items()):
                if gone.tps is not None:
                    aggregator.add_before(gone.desa, gone.tps, gone.filled, gone=True)
                changes.add_gone(gone.desa, gone.tps or "?", dossier_id, gone.status, gone.decision)
        if writer and (paths.rows_read > read_before or kab in previous_dates):
            key = snapshot_key(date, kab)
            store.put_bytes(key, writer.close(), content_type="application/gzip")
            paths.snapshots.append(key)
    paths.baselines = sorted({previous_dates[k] for k in _kab_codes(scope, regions) if k in previous_dates})
    paths.baseline = paths.baselines[-1] if paths.baselines else None

    levels = aggregator.finish(tps_list.tps if tps_list else None, scope)
    context = ReportContext(date=date, as_of=as_of, baselines=paths.baselines, tps_list=tps_list,
                            rules_version=rules_version, changes=changes, not_compared=paths.not_compared)
    _write_outputs(store, paths, levels, regions, context)
    log.info("report %s for %s: %d rows read, %d skipped", date, scope, paths.rows_read, paths.rows_skipped)
    return paths


def _rows(store: Store, area: str, paths: ReportPaths) -> Iterator[SummaryRow]:
    """The summary rows of `area`, each read once; unreadable ones are counted and logged, not dropped
    silently."""
    for key in iter_summary_keys(store, area_prefix(area)):
        try:
            row = SummaryRow.model_validate(store.get_json(key))
        except (ValidationError, ValueError, KeyError):
            paths.rows_skipped += 1
            log.warning("summary row %s unreadable; skipped", key)
            continue
        paths.rows_read += 1
        yield row


def _write_outputs(store: Store, paths: ReportPaths, levels: Levels, regions: RegionTable, context: ReportContext) -> None:
    scope_level = level_of(levels.scope)
    for level in LEVELS[LEVELS.index(scope_level):-1]:
        key = f"{paths.prefix}{level}.csv"
        store.put_bytes(key, area_csv(levels.table(level), regions, context.as_of), content_type="text/csv")
        paths.csv[level] = key
    paths.csv["tps"] = f"{paths.prefix}tps.csv"
    store.put_bytes(paths.csv["tps"], tps_csv(levels.tps, regions), content_type="text/csv")
    paths.tps_shortage_csv = f"{paths.prefix}tps_kurang.csv"
    store.put_bytes(paths.tps_shortage_csv, tps_csv(levels.shortage_list(), regions), content_type="text/csv")
    if context.changes is not None:
        paths.changes_csv = f"{paths.prefix}perubahan_berkas.csv"
        store.put_bytes(paths.changes_csv, context.changes.csv_bytes(), content_type="text/csv")
        paths.csv["tps_berubah"] = f"{paths.prefix}tps_berubah.csv"
        store.put_bytes(paths.csv["tps_berubah"], tps_csv(levels.changed_tps(), regions), content_type="text/csv")

    view = make_view(levels, regions, context)
    child_label = LEVEL_LABELS[view.child_level]
    view.charts = {
        "status": status_chart(view.children, child_label),
        "staffing": staffing_chart(view.children, child_label),
        "reasons": reasons_chart(view.total),
    }
    paths.html = f"{paths.prefix}laporan.html"
    store.put_bytes(paths.html, render_html(view), content_type="text/html; charset=utf-8")
    paths.pdf = f"{paths.prefix}laporan.pdf"
    store.put_bytes(paths.pdf, render_pdf(view), content_type="application/pdf")
