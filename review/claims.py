"""Claims: one verifier works a dossier at a time; a claim ends when released or when it expires.

A claim is a row of the review database's `claims` table, taken in one statement each: an insert that does
nothing when the row exists, else an update that only matches the claimant's own or an expired claim. The
database serialises both (a row lock on PostgreSQL, the write lock on SQLite), so of two verifiers racing
for a dossier exactly one gets it; the other is told who holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from review.db import ClaimRow, ReviewDB, affected, utc


class ClaimedByOther(Exception):
    def __init__(self, claim: Claim) -> None:
        super().__init__(f"claimed by {claim.username}")
        self.claim = claim


@dataclass(frozen=True)
class Claim:
    dossier_id: str
    username: str
    expires_at: datetime

    def active(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or datetime.now(UTC))

    def to_json(self) -> dict:
        return {"dossier_id": self.dossier_id, "username": self.username,
                "expires_at": self.expires_at.isoformat(timespec="seconds")}


def _claim(row: ClaimRow) -> Claim:
    return Claim(row.dossier_id, row.username, utc(row.expires_at))


class Claims:
    def __init__(self, db: ReviewDB, ttl: timedelta) -> None:
        self.db = db
        self.ttl = ttl

    def get(self, dossier_id: str, now: datetime | None = None) -> Claim | None:
        """The active claim on a dossier, or None (an expired claim counts as none)."""
        with self.db.read() as s:
            row = s.get(ClaimRow, dossier_id)
            claim = _claim(row) if row is not None else None
        return claim if claim is not None and claim.active(now) else None

    def active(self, dossier_ids: Iterable[str], now: datetime | None = None) -> dict[str, Claim]:
        """The active claims among `dossier_ids` (one query: what a queue page shows)."""
        ids = list(dossier_ids)
        if not ids:
            return {}
        now = now or datetime.now(UTC)
        with self.db.read() as s:
            rows = s.scalars(select(ClaimRow).where(ClaimRow.dossier_id.in_(ids))).all()
            claims = [_claim(r) for r in rows]
        return {c.dossier_id: c for c in claims if c.active(now)}

    def take(self, s: Session, dossier_id: str, username: str, now: datetime | None = None) -> Claim:
        """Claim (or extend one's own claim on) a dossier inside the transaction `s`; ClaimedByOther when
        someone else holds an active claim."""
        now = now or datetime.now(UTC)
        claim = Claim(dossier_id, username, now + self.ttl)
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(ClaimRow).values(dossier_id=dossier_id, username=username, expires_at=claim.expires_at)
        if affected(s.execute(stmt.on_conflict_do_nothing(index_elements=["dossier_id"]))) == 1:
            return claim
        taken = affected(s.execute(
            update(ClaimRow)
            .where(ClaimRow.dossier_id == dossier_id,
                   or_(ClaimRow.username == username, ClaimRow.expires_at <= now))
            .values(username=username, expires_at=claim.expires_at)
            .execution_options(synchronize_session=False)))
        if taken == 1:
            return claim
        row = s.get(ClaimRow, dossier_id, populate_existing=True)
        if row is None:  # released between the two statements: take it now
            return self.take(s, dossier_id, username, now)
        raise ClaimedByOther(_claim(row))

    def claim(self, dossier_id: str, username: str, now: datetime | None = None) -> Claim:
        """Claim (or extend one's own claim on) a dossier; ClaimedByOther when someone else holds it."""
        with self.db.write() as s:
            return self.take(s, dossier_id, username, now)

    def drop(self, s: Session, dossier_id: str, username: str, now: datetime | None = None) -> None:
        """Inside `s`: drop the user's own claim, or an expired one (another user's active claim stays)."""
        now = now or datetime.now(UTC)
        s.execute(delete(ClaimRow).where(ClaimRow.dossier_id == dossier_id,
                                         or_(ClaimRow.username == username, ClaimRow.expires_at <= now))
                  .execution_options(synchronize_session=False))

    def release(self, dossier_id: str, username: str) -> None:
        """Drop the user's own claim (another user's active claim is left alone)."""
        with self.db.write() as s:
            self.drop(s, dossier_id, username)
