"""Small helpers shared by the review app tests."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page holds no CSRF token"
    return m[1]


# argon2id with small parameters: the same code path as production, at test speed
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def claim_holder(db, dossier_id: str) -> str | None:
    """Who holds the claim row of a dossier (expired or not), or None."""
    from review.db import ClaimRow

    with db.read() as s:
        row = s.get(ClaimRow, dossier_id)
        return row.username if row is not None else None


def latest_decision(db, dossier_id: str) -> dict | None:
    """The dossier's latest decision row, as the app shows it, or None."""
    from sqlalchemy import select

    from review.db import DecisionRow

    with db.read() as s:
        row = s.scalars(select(DecisionRow).where(DecisionRow.dossier_id == dossier_id)
                        .order_by(DecisionRow.id.desc()).limit(1)).first()
        return row.to_json() if row is not None else None


def decision_and_claim_rows(db) -> list:
    """Every decision and claim row of the review database (what an action on a dossier may write there)."""
    from sqlalchemy import select

    from review.db import ClaimRow, DecisionRow

    with db.read() as s:
        decisions = [r.to_json() for r in s.scalars(select(DecisionRow).order_by(DecisionRow.id))]
        claims = [(r.dossier_id, r.username) for r in s.scalars(select(ClaimRow).order_by(ClaimRow.dossier_id))]
    return [decisions, claims]
