"""Sessions kept server-side, as rows of the review database, so that signing out or disabling an account
ends them at once.

The signed cookie carries the username and a random session id; the `sessions` table holds the sha256 of
the id with its creation and expiry times. Every request checks that the row exists and has not expired:
logout deletes it, disabling an account deletes all of the account's, and an old cookie replayed
afterwards is refused. Only the hash of the id is stored, so whoever can read the database cannot take
over a session from it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from review.db import ReviewDB, SessionRow, affected, utc

log = logging.getLogger(__name__)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    def __init__(self, db: ReviewDB, hours: float = 8.0) -> None:
        self.db = db
        self.hours = hours

    def open(self, username: str) -> str:
        """A new session for `username`; returns its id (for the cookie). Expired rows of the account go."""
        sid = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.db.write() as s:
            s.execute(delete(SessionRow).where(SessionRow.username == username, SessionRow.expires_at <= now))
            s.add(SessionRow(sid_hash=_hash(sid), username=username, created_at=now,
                             expires_at=now + timedelta(hours=self.hours)))
        return sid

    def active(self, username: str, sid: str | None) -> bool:
        if not sid or not isinstance(sid, str):
            return False
        with self.db.read() as s:
            expires = s.scalar(select(SessionRow.expires_at).where(
                SessionRow.sid_hash == _hash(sid), SessionRow.username == username))
        return expires is not None and utc(expires) > datetime.now(UTC)

    def end(self, username: str, sid: str | None) -> None:
        if sid and isinstance(sid, str):
            with self.db.write() as s:
                s.execute(delete(SessionRow).where(SessionRow.sid_hash == _hash(sid),
                                                   SessionRow.username == username))

    def end_all(self, username: str) -> int:
        """End every session of the account; returns how many there were."""
        with self.db.write() as s:
            ended = affected(s.execute(delete(SessionRow).where(SessionRow.username == username)))
        if ended:
            log.info("sessions ended for %s: %d", username, ended)
        return ended

    def count(self, username: str) -> int:
        with self.db.read() as s:
            return len(s.scalars(select(SessionRow.sid_hash).where(SessionRow.username == username)).all())

    def purge_expired(self, username: str | None = None) -> int:
        now = datetime.now(UTC)
        stmt = delete(SessionRow).where(SessionRow.expires_at <= now)
        if username is not None:
            stmt = stmt.where(SessionRow.username == username)
        with self.db.write() as s:
            return affected(s.execute(stmt))
