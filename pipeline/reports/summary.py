"""Per-dossier summary rows: the only input of the nightly reports.

The pipeline calls `write_summary(store, summary_from_result(result, area))` after each result
(pipeline/publish.py); the review app calls `record_review(...)` after each decision. A row holds area
codes, status and reason codes, never a name, NIK or birth date. Rows live at
`summaries/<kab>/<kec>/<desa>/<dossier_id>.json` (keys built by pipeline.storage.keys), so the report of
an area lists one prefix. Unresolved area codes are written `unknown` and reported as such.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from models.contract import CheckStatus, DossierResult, DossierStatus
from pipeline.errors import ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.cas import update_json
from pipeline.storage.keys import AreaCodes

log = logging.getLogger(__name__)

UNKNOWN = keys.UNKNOWN


class Store(Protocol):
    """The object-store methods reports use (pipeline.storage.ObjectStore provides them)."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str = ...) -> Any: ...
    def get_bytes(self, key: str) -> bytes: ...
    def put_json(self, key: str, obj: Any, **conditions: Any) -> Any: ...
    def get_json(self, key: str) -> Any: ...
    def get_json_etag(self, key: str) -> tuple[Any, str]: ...
    def list(self, prefix: str) -> Iterator[str]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    DOCUMENTS_REQUESTED = "documents_requested"


class Review(BaseModel):
    decision: ReviewDecision
    at: str = Field(description="ISO 8601 UTC time of the decision")
    override: bool = Field(
        False, description="an approval (MS) given over checks in fail or review: counted apart in the report"
    )


class SummaryRow(BaseModel):
    dossier_id: str
    kab: str = Field(description="kabupaten/kota code, e.g. 35.75, or 'unknown'")
    kec: str
    desa: str
    tps: str = Field(description="TPS number, 3 digits, or 'unknown'")
    status: DossierStatus
    reasons: list[str] = Field(default_factory=list, description="reason codes of checks not passed")
    missing: list[str] = Field(default_factory=list, description="missing document types")
    review: Review | None = None
    received_at: str
    updated_at: str

    def area(self) -> AreaCodes:
        return AreaCodes(self.kab, self.kec, self.desa, self.tps)


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without zone is taken as UTC."""
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def summary_from_result(
    result: DossierResult,
    area_codes: AreaCodes,
    review: Review | None = None,
    *,
    received_at: str | None = None,
) -> SummaryRow:
    """The summary row of one result. `received_at` defaults to the result's processed_at (or now);
    `write_summary` keeps the first one when the row is rewritten."""
    kab, kec, desa, tps = area_codes.segments()
    tps = keys.normalise_tps(tps) or tps
    reasons = sorted({c.reason for c in result.checks if c.status != CheckStatus.PASS and c.reason})
    stamp = result.processed_at or _now_iso()
    return SummaryRow(
        dossier_id=result.dossier_id,
        kab=kab,
        kec=kec,
        desa=desa,
        tps=tps,
        status=result.status,
        reasons=reasons,
        missing=sorted(str(d) for d in result.missing_documents),
        review=review,
        received_at=received_at or stamp,
        updated_at=stamp,
    )


def summary_key(row: SummaryRow) -> str:
    return keys.summary_key(row.area(), row.dossier_id)


def write_summary(store: Store, row: SummaryRow) -> str:
    """Write (or replace) the dossier's summary row; returns its key.

    When a row is already stored under the same key, its first `received_at` is kept, and so is its
    review decision unless that was a request for documents (new results answer such a request).
    A dossier whose area changed must have its old row removed with `delete_summary`.
    """
    key = summary_key(row)

    def merge(current: Any) -> Any:  # compare-and-swap: a verifier's decision written meanwhile is kept
        new = row
        if current is not None:
            old = SummaryRow.model_validate(current)
            if parse_time(old.received_at) < parse_time(new.received_at):
                new = new.model_copy(update={"received_at": old.received_at})
            if new.review is None and old.review and old.review.decision != ReviewDecision.DOCUMENTS_REQUESTED:
                new = new.model_copy(update={"review": old.review})
        return new.model_dump(mode="json")

    update_json(store, key, merge)
    return key


def delete_summary(store: Store, area: AreaCodes, dossier_id: str) -> None:
    """Remove a dossier's row from an area it no longer belongs to."""
    key = keys.summary_key(area, dossier_id)
    if store.exists(key):
        store.delete(key)


def record_review(
    store: Store,
    area: AreaCodes,
    dossier_id: str,
    decision: ReviewDecision | str,
    *,
    at: str | None = None,
    override: bool = False,
) -> SummaryRow:
    """Store a verifier's decision on the dossier's summary row (ObjectNotFound if there is no row).

    `override=True` marks an approval given over checks in fail or review (the review app's decision
    record says so); the report counts such approvals apart. It is refused on other decisions."""
    decision = ReviewDecision(decision)
    if override and decision != ReviewDecision.APPROVED:
        raise ValueError(f"override applies to an approval, not to {decision}")
    key = keys.summary_key(area, dossier_id)
    review = Review(decision=decision, at=at or _now_iso(), override=override)

    def decide(current: Any) -> Any:  # compare-and-swap: a result published meanwhile is kept
        if current is None:
            raise ObjectNotFound(f"summaries/.../{dossier_id}.json")
        row = SummaryRow.model_validate(current)
        return row.model_copy(update={"review": review, "updated_at": review.at}).model_dump(mode="json")

    return SummaryRow.model_validate(update_json(store, key, decide))


def iter_summary_keys(store: Store, prefix: str) -> Iterator[str]:
    for item in store.list(prefix):
        key = getattr(item, "key", item)
        if key.endswith(".json"):
            yield key


def area_prefix(area: str) -> str:
    """Store prefix holding the rows of a kabupaten, kecamatan or desa code (or 'unknown')."""
    parts = area.split(".")
    if area == UNKNOWN or len(parts) < 2:
        return keys.summary_prefix(area if area == UNKNOWN else None)
    return keys.summary_prefix(*(".".join(parts[:n]) for n in range(2, len(parts) + 1)))
