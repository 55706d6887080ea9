"""Nightly completeness reports (issue 7). See docs/reports.md.

`build_report` (and with it the renderers: matplotlib, ReportLab) is imported on first use only: publishing a
result imports `pipeline.reports.summary`, and a worker that only publishes must not load the renderers.
"""

from typing import Any

from pipeline.reports.summary import (
    Review,
    ReviewDecision,
    SummaryRow,
    delete_summary,
    record_review,
    summary_from_result,
    write_summary,
)

__all__ = [
    "ReportPaths", "Review", "ReviewDecision", "SummaryRow", "delete_summary",
    "build_report", "record_review", "summary_from_result", "write_summary",
]

_LAZY = {"ReportPaths", "build_report"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from pipeline.reports import build

        return getattr(build, name)
    raise AttributeError(f"module 'pipeline.reports' has no attribute {name!r}")
