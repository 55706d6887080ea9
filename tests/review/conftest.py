"""Fixtures of the review app tests: a local store seeded with synthetic dossiers, and a review database
(SQLite, beside the store as by default) seeded with the accounts.

The seeded store and database (review.demo: five made-up dossiers in four desa of Kota Pasuruan and Kota
Malang, six accounts) are built once per session and copied for each test, so password hashing runs once.
`review_db` is a migrated empty database on each backend in turn (SQLite and PostgreSQL, db_helpers.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from db_helpers import BACKENDS, review_database
from fastapi.testclient import TestClient
from review_helpers import FAST_HASHER, csrf_of

from config.settings import Settings
from pipeline.regions import Regions
from pipeline.storage.local import LocalStore
from review.accounts import Accounts
from review.app import create_app
from review.db import SQLITE_SUFFIX, ReviewDB, default_url
from review.demo import DEMO_PASSWORD, seed_accounts, seed_demo
from review.service import ReviewService
from review.settings import ReviewSettings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the review app in a real browser (system chromium)")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-template")
    store = LocalStore(root / "store", fsync=False)
    seed_demo(store)
    db = ReviewDB(default_url("local", root / "store"))
    db.migrate()
    accounts = Accounts(db, Regions.load(), hasher=FAST_HASHER)
    seed_accounts(accounts)
    accounts.create("pps.tanpanik", DEMO_PASSWORD, "PPS", "35.75.02.1005", nik_access=False)
    accounts.create("pps.nonaktif", DEMO_PASSWORD, "PPS", "35.75.02.1005")
    accounts.set_disabled("pps.nonaktif")
    db.dispose()
    return root


@pytest.fixture
def store_root(seeded_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(seeded_template / "store", root)
    shutil.copyfile(seeded_template / f"store{SQLITE_SUFFIX}", tmp_path / f"store{SQLITE_SUFFIX}")
    return root


@pytest.fixture
def store(store_root: Path) -> LocalStore:
    return LocalStore(store_root, fsync=False)


@pytest.fixture
def db(store_root: Path) -> Iterator[ReviewDB]:
    """The seeded review database beside the test's store (where the settings' default puts it)."""
    db = ReviewDB(default_url("local", store_root))
    yield db
    db.dispose()


@pytest.fixture(params=BACKENDS)
def review_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewDB]:
    """A migrated, empty review database: SQLite, then PostgreSQL."""
    with review_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture(scope="session")
def light_runtime():
    """Rules and regions for re-checks, built once (what ReviewService builds lazily in production)."""
    from config.rules import load_rules
    from pipeline.runtime import Runtime
    from review.service import NoOcrEngine

    settings = Settings()
    return Runtime(settings=settings, engine=NoOcrEngine(), nlp=None, rules=load_rules(settings.rules_file),
                   regions=Regions.load())


class Enqueued(list):
    def __call__(self, dossier_id: str, version: int) -> str:
        self.append((dossier_id, version))
        return f"job-{dossier_id}-v{version}"


@pytest.fixture
def enqueued() -> Enqueued:
    return Enqueued()


@pytest.fixture
def app(store: LocalStore, store_root: Path, db: ReviewDB, light_runtime, enqueued: Enqueued):
    settings = Settings(store_path=store_root)
    review = ReviewSettings(secret="test-secret-" + "x" * 32, cookie_secure=True)
    service = ReviewService(store, settings, review, runtime_factory=lambda: light_runtime, enqueue=enqueued,
                            db=db)
    return create_app(settings, review, store=store, service=service,
                      accounts=Accounts(db, service.regions, hasher=FAST_HASHER))


@pytest.fixture
def anon(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def login(app) -> Callable[[str], TestClient]:
    """A signed-in client for a seeded account; `client.csrf` holds the session's CSRF token."""

    def _login(username: str, password: str = DEMO_PASSWORD) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        token = csrf_of(client.get("/masuk").text)
        r = client.post("/masuk", data={"username": username, "password": password, "csrf_token": token})
        assert r.status_code == 200 and r.url.path == "/antrean", f"login of {username} failed"
        client.csrf = csrf_of(r.text)
        return client

    return _login
