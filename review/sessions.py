"""Sessions kept server-side, so that signing out or disabling an account ends them at once.

The signed cookie carries the username and a random session id; the store holds
`sessions/<username>/<sha256(id)>.json` (created and expiry times). Every request checks that the record
exists and has not expired: logout deletes it, disabling an account deletes all of the account's, and an
old cookie replayed afterwards is refused. Only the hash of the id is stored, so whoever can read the
store cannot take over a session from it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta

from pipeline.errors import ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    def __init__(self, store: ObjectStore, hours: float = 8.0) -> None:
        self.store = store
        self.hours = hours

    def open(self, username: str) -> str:
        """A new session for `username`; returns its id (for the cookie). Expired records of the account go."""
        self.purge_expired(username)
        sid = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        self.store.put_json(keys.session_key(username, _hash(sid)), {
            "username": username, "created_at": now.isoformat(timespec="seconds"),
            "expires_at": (now + timedelta(hours=self.hours)).isoformat(timespec="seconds"),
        })
        return sid

    def active(self, username: str, sid: str | None) -> bool:
        if not sid or not isinstance(sid, str):
            return False
        try:
            record = self.store.get_json(keys.session_key(username, _hash(sid)))
        except (ObjectNotFound, ValueError):
            return False
        try:
            return bool(datetime.fromisoformat(record["expires_at"]) > datetime.now(UTC))
        except (KeyError, TypeError, ValueError):
            return False

    def end(self, username: str, sid: str | None) -> None:
        if sid and isinstance(sid, str):
            try:
                self.store.delete(keys.session_key(username, _hash(sid)))
            except ValueError:
                pass

    def end_all(self, username: str) -> int:
        """End every session of the account; returns how many there were."""
        ended = 0
        for key in list(self.store.list(keys.session_prefix(username))):
            self.store.delete(key)
            ended += 1
        if ended:
            log.info("sessions ended for %s: %d", username, ended)
        return ended

    def purge_expired(self, username: str) -> None:
        now = datetime.now(UTC)
        for key in list(self.store.list(keys.session_prefix(username))):
            try:
                expired = datetime.fromisoformat(self.store.get_json(key)["expires_at"]) <= now
            except (ObjectNotFound, KeyError, TypeError, ValueError):
                expired = True
            if expired:
                self.store.delete(key)
