"""Nightly completeness reports (issue 7). See docs/reports.md."""

from pipeline.reports.build import ReportPaths, build_report
from pipeline.reports.summary import (
    AreaCodes,
    Review,
    ReviewDecision,
    SummaryRow,
    area_codes_from_wilayah,
    record_review,
    summary_from_result,
    write_summary,
)

__all__ = [
    "AreaCodes", "ReportPaths", "Review", "ReviewDecision", "SummaryRow", "area_codes_from_wilayah",
    "build_report", "record_review", "summary_from_result", "write_summary",
]
