"""Per-dossier summary rows: the only input of the nightly reports.

The pipeline calls `write_summary(store, summary_from_result(...))` after each result; the review app
calls `record_review(...)` after each decision. A row holds area codes, status and reason codes, never a
name, NIK or birth date. Rows live at `summaries/<kab>/<kec>/<desa>/<dossier_id>.json`, so a report for
one area lists one prefix. `summary-index/<dossier_id>.json` points at the row, so a dossier whose area
changes leaves no stale row behind and keeps its first received time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from models.contract import CheckStatus, DossierResult, DossierStatus, Wilayah
from pipeline.errors import ConfigError
from pipeline.reports.areas import RegionTable, default_regions

log = logging.getLogger(__name__)

SUMMARY_PREFIX = "summaries/"
INDEX_PREFIX = "summary-index/"


class Store(Protocol):
    """The object-store methods reports use (pipeline.storage provides them)."""

    def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> Any: ...
    def get_bytes(self, key: str) -> bytes: ...
    def put_json(self, key: str, obj: Any) -> Any: ...
    def get_json(self, key: str) -> Any: ...
    def list(self, prefix: str) -> Any: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> Any: ...


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    DOCUMENTS_REQUESTED = "documents_requested"


class Review(BaseModel):
    decision: ReviewDecision
    at: str = Field(description="ISO 8601 UTC time of the decision")


class AreaCodes(BaseModel):
    """Kemendagri codes of the registered area plus the TPS number (3 digits)."""

    kab: str
    kec: str
    desa: str
    tps: str


class SummaryRow(BaseModel):
    dossier_id: str
    kab: str
    kec: str
    desa: str
    tps: str
    status: DossierStatus
    reasons: list[str] = Field(default_factory=list, description="reason codes of checks not passed")
    missing: list[str] = Field(default_factory=list, description="missing document types")
    review: Review | None = None
    received_at: str
    updated_at: str


def normalise_tps(tps: str) -> str:
    """`3`, `03` and `TPS 003` all become `003`."""
    digits = "".join(ch for ch in str(tps) if ch.isdigit())
    return digits.zfill(3) if digits else str(tps).strip().upper()


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without zone is taken as UTC."""
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def area_codes_from_wilayah(wilayah: Wilayah, regions: RegionTable | None = None) -> AreaCodes:
    """Resolve registered area names (or codes) to Kemendagri codes, level by level.

    Desa names repeat across kecamatan, so each name is looked up only below its parent.
    Raises ConfigError (code AREA_UNKNOWN) when a name is not in the region table.
    """
    table = regions or default_regions()
    prov = table.find_province(wilayah.provinsi)
    kab = table.find_child(prov, wilayah.kabupaten_kota) if prov else None
    kec = table.find_child(kab, wilayah.kecamatan) if kab else None
    desa = table.find_child(kec, wilayah.desa_kelurahan) if kec else None
    if desa is None or kec is None or kab is None:
        raise ConfigError("wilayah tidak ditemukan di tabel kode wilayah", code="AREA_UNKNOWN")
    return AreaCodes(kab=kab, kec=kec, desa=desa, tps=normalise_tps(wilayah.tps))


def summary_from_result(
    result: DossierResult,
    area_codes: AreaCodes,
    review: Review | None = None,
    *,
    received_at: str | None = None,
) -> SummaryRow:
    """The summary row of one result. `received_at` defaults to the result's processed_at (or now)."""
    reasons = sorted({c.reason for c in result.checks if c.status != CheckStatus.PASS and c.reason})
    stamp = result.processed_at or _now_iso()
    return SummaryRow(
        dossier_id=result.dossier_id,
        kab=area_codes.kab,
        kec=area_codes.kec,
        desa=area_codes.desa,
        tps=normalise_tps(area_codes.tps),
        status=result.status,
        reasons=reasons,
        missing=sorted(str(d) for d in result.missing_documents),
        review=review,
        received_at=received_at or stamp,
        updated_at=stamp,
    )


def summary_key(row: SummaryRow) -> str:
    return f"{SUMMARY_PREFIX}{row.kab}/{row.kec}/{row.desa}/{row.dossier_id}.json"


def write_summary(store: Store, row: SummaryRow) -> str:
    """Write (or replace) the dossier's summary row; returns its key.

    Keeps the first `received_at` and an existing review decision when the row is rewritten, and
    deletes the old row when the dossier's area changed.
    """
    key = summary_key(row)
    index_key = f"{INDEX_PREFIX}{row.dossier_id}.json"
    if store.exists(index_key):
        previous = store.get_json(index_key)
        old_key = previous.get("key")
        first = previous.get("received_at")
        if first and parse_time(first) < parse_time(row.received_at):
            row = row.model_copy(update={"received_at": first})
        kept = previous.get("review")
        if row.review is None and kept and kept.get("decision") != ReviewDecision.DOCUMENTS_REQUESTED:
            # a decision stands across re-processing; a request for documents is answered by new results
            row = row.model_copy(update={"review": Review.model_validate(kept)})
        if old_key and old_key != key and store.exists(old_key):
            store.delete(old_key)
            log.info("summary of %s moved to another area", row.dossier_id)
    store.put_json(key, row.model_dump(mode="json"))
    store.put_json(
        index_key,
        {"key": key, "received_at": row.received_at, "review": row.review and row.review.model_dump(mode="json")},
    )
    return key


def record_review(
    store: Store, dossier_id: str, decision: ReviewDecision | str, *, at: str | None = None
) -> SummaryRow:
    """Store a verifier's decision on the dossier's summary row (the row must exist)."""
    index = store.get_json(f"{INDEX_PREFIX}{dossier_id}.json")
    row = SummaryRow.model_validate(store.get_json(index["key"]))
    review = Review(decision=ReviewDecision(decision), at=at or _now_iso())
    row = row.model_copy(update={"review": review, "updated_at": review.at})
    write_summary(store, row)
    return row


def iter_summary_keys(store: Store, prefix: str = SUMMARY_PREFIX) -> Iterator[str]:
    for item in store.list(prefix):
        key = getattr(item, "key", item)
        if key.endswith(".json"):
            yield key


def area_prefix(area: str | None) -> str:
    """Store prefix holding the rows of an area code (None: everything)."""
    if not area:
        return SUMMARY_PREFIX
    parts = area.split(".")
    if len(parts) == 1:
        return SUMMARY_PREFIX  # one province per deployment; rows are filtered by code
    return SUMMARY_PREFIX + "/".join(".".join(parts[:n]) for n in range(2, len(parts) + 1)) + "/"
