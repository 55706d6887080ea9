"""Claims: one verifier works a dossier at a time; a claim ends when released or when it expires."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipeline.errors import ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore


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


class Claims:
    def __init__(self, store: ObjectStore, ttl: timedelta) -> None:
        self.store = store
        self.ttl = ttl

    def get(self, dossier_id: str, now: datetime | None = None) -> Claim | None:
        """The active claim on a dossier, or None (an expired claim counts as none)."""
        try:
            body = self.store.get_json(keys.claim_key(dossier_id))
        except ObjectNotFound:
            return None
        claim = Claim(dossier_id, body["username"], datetime.fromisoformat(body["expires_at"]))
        return claim if claim.active(now) else None

    def claimed_ids(self) -> set[str]:
        return {k[len(keys.CLAIMS_PREFIX):-len(".json")] for k in self.store.list(keys.CLAIMS_PREFIX)}

    def claim(self, dossier_id: str, username: str, now: datetime | None = None) -> Claim:
        """Claim (or extend one's own claim on) a dossier; ClaimedByOther when someone else holds it."""
        now = now or datetime.now(UTC)
        claim = Claim(dossier_id, username, now + self.ttl)
        data = json.dumps(claim.to_json()).encode()
        key = keys.claim_key(dossier_id)
        if self.store.put_if_absent(key, data, content_type="application/json"):
            return claim
        current = self.get(dossier_id, now)
        if current is not None and current.username != username:
            raise ClaimedByOther(current)
        self.store.put_json(key, claim.to_json())
        return claim

    def release(self, dossier_id: str, username: str) -> None:
        """Drop the user's own claim (another user's active claim is left alone)."""
        current = self.get(dossier_id)
        if current is None or current.username == username:
            self.store.delete(keys.claim_key(dossier_id))
