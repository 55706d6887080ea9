"""Throw-away review databases for the tests: a SQLite file, or a PostgreSQL database of its own.

PostgreSQL is the server at BERKAS_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres;
scripts/test.sh starts a throw-away cluster when none answers). Each database is created for one test under
the prefix BERKAS_TEST_POSTGRES_PREFIX (default berkas_test_) and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from review.db import ReviewDB

POSTGRES_URL = os.environ.get("BERKAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
POSTGRES_PREFIX = os.environ.get("BERKAS_TEST_POSTGRES_PREFIX", "berkas_test_")
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    name = f"{POSTGRES_PREFIX}{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        pytest.fail(f"no PostgreSQL at {make_url(POSTGRES_URL).render_as_string(hide_password=True)}: "
                    "scripts/test.sh starts one; run the tests through it")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def review_database(backend: str, folder: Path) -> Iterator[ReviewDB]:
    """A migrated, empty review database on `backend` ("sqlite": a file in `folder`)."""
    if backend == "sqlite":
        db = ReviewDB(f"sqlite:///{folder / 'review.sqlite3'}")
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_database() as url:
        db = ReviewDB(url)
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
