"""Fixtures of the worker tests against the real Redis (test_workers.py, test_handover.py): a local store and
the settings pointing at the flushed test database, and the worker process state reset around each test.

Import them into a test module (`from tests.integration.worker_fixtures import ...`); the `store` here takes
the place of conftest's store fixture, which runs each test on both backends."""

from __future__ import annotations

import pytest

from config.settings import Settings
from pipeline.storage.local import LocalStore
from tests.integration.conftest import REDIS_DB
from workers import jobs


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store", fsync=False)


@pytest.fixture
def settings(tmp_path):
    return Settings(store="local", store_path=tmp_path / "store", redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}")


@pytest.fixture(autouse=True)
def _fresh_process_state():
    jobs.reset_process()
    yield
    jobs.reset_process()
