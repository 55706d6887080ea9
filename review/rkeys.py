"""Object keys the review app needs that `pipeline.storage.keys` does not (yet) build.

Built here only until the storage module takes them over; every one goes through the same
validation as the shared keys.

    accounts/<username>.json              reviewer accounts (password hash, role, area)
    claims/<dossier_id>.json              who works a dossier now, until when (deleted on release)
    decisions/<dossier_id>.json           the verifier's latest decision (MS / TMS / documents requested)
"""

from __future__ import annotations

import re

from pipeline.storage import keys

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def _user(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise ValueError("username: 3-40 lower-case letters, digits, '.', '_' or '-'")
    return username


def _dossier(dossier_id: str) -> str:
    # reuse the shared validation through a shared key builder
    keys.result_key(dossier_id)
    return dossier_id


ACCOUNTS_PREFIX = "accounts/"
CLAIMS_PREFIX = "claims/"
DECISIONS_PREFIX = "decisions/"


def account_key(username: str) -> str:
    return f"{ACCOUNTS_PREFIX}{_user(username)}.json"


def claim_key(dossier_id: str) -> str:
    return f"{CLAIMS_PREFIX}{_dossier(dossier_id)}.json"


def decision_key(dossier_id: str) -> str:
    return f"{DECISIONS_PREFIX}{_dossier(dossier_id)}.json"
