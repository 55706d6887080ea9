"""Nightly completeness reports (issue 7). See docs/reports.md."""

from pipeline.reports.build import ReportPaths, build_report
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
