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
