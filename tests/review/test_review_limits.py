"""Finding 10 of issue 13: request bodies bounded before parsing, password hashing bounded in concurrency."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from review_helpers import FAST_HASHER, csrf_of

from config.settings import Settings
from review.accounts import Accounts, HashGate, HashingBusy
from review.app import create_app
from review.demo import DEMO_PASSWORD
from review.service import ReviewService
from review.settings import ReviewSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_app(store, store_root, db, light_runtime, enqueued):
    def _make(accounts: Accounts | None = None, **overrides):
        settings = Settings(store_path=store_root)
        review = ReviewSettings(secret="test-secret-" + "x" * 32, cookie_secure=True, **overrides)
        service = ReviewService(store, settings, review, runtime_factory=lambda: light_runtime, enqueue=enqueued,
                                db=db)
        return create_app(settings, review, store=store, service=service,
                          accounts=accounts or Accounts(db, service.regions, hasher=FAST_HASHER))

    return _make


def _drive(app, path: str, chunks, headers: list[tuple[bytes, bytes]]) -> tuple[int, int, bytes]:
    """Run one POST through the ASGI app; returns (status, body bytes the app pulled, response body)."""
    pulled = 0
    sent: list[dict] = []
    it = iter(chunks)

    async def receive():
        nonlocal pulled
        try:
            chunk = next(it)
        except StopIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("203.0.113.9", 5000),
             "server": ("testserver", 443)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], pulled, body


def _endless(total: int, size: int = 64 * 1024):
    chunk = b"username=" + b"a" * (size - 9)
    for _ in range(total // size):
        yield chunk


FORM = [(b"content-type", b"application/x-www-form-urlencoded")]


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(app):
    status, pulled, body = _drive(app, "/masuk", _endless(16 << 20), [*FORM, (b"content-length", b"1073741824")])
    assert status == 413 and pulled == 0
    assert "terlalu besar" in body.decode()


def test_a_chunked_body_is_counted_and_aborted_past_the_limit_before_the_csrf_check(app):
    """GIVEN an anonymous chunked POST of (up to) 16 MiB to the login page and no CSRF token
    THEN the app stops reading just past the 8 KiB login limit and answers 413, not 403 after spooling it all."""
    status, pulled, _ = _drive(app, "/masuk", _endless(16 << 20), FORM)
    assert status == 413
    assert pulled <= app.state.review_settings.max_login_bytes + 64 * 1024


def test_a_client_sending_more_than_it_declared_is_cut_off(app):
    status, pulled, _ = _drive(app, "/masuk", _endless(4 << 20), [*FORM, (b"content-length", b"100")])
    assert status == 413 and pulled <= 64 * 1024


def test_the_upload_route_has_the_larger_limit_and_forms_the_small_one(make_app, login):
    app = make_app(max_form_bytes=4096, max_upload_bytes=300_000)
    client = TestClient(app, base_url="https://testserver")
    token = csrf_of(client.get("/masuk").text)
    r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.url.path == "/antrean"
    token = csrf_of(r.text)
    # a form over the form limit, on an ordinary action
    r = client.post("/berkas/KPPS-0001/koreksi", data={"csrf_token": token, "value": "x" * 8000})
    assert r.status_code == 413
    # 100 KB is over the form limit but inside the upload limit: it reaches the route (which stores it)
    payload = b"\x89PNG\r\n\x1a\n" + b"\0" * 100_000
    r = client.post("/berkas/KPPS-0001/unggah", data={"csrf_token": token},
                    files={"file": ("scan.png", payload, "image/png")}, follow_redirects=False)
    assert r.status_code != 413
    r = client.post("/berkas/KPPS-0001/unggah", data={"csrf_token": token},
                    files={"file": ("scan.png", b"\0" * 400_000, "image/png")}, follow_redirects=False)
    assert r.status_code == 413
    assert "File terlalu besar" in r.text and 'href="/berkas/KPPS-0001"' in r.text


def test_the_upload_limit_defaults_to_the_file_limit_plus_the_envelope(app):
    from review.limits import BodyLimit

    stack = app.build_middleware_stack()
    while not isinstance(stack, BodyLimit):
        stack = stack.app
    assert stack.upload_bytes == app.state.settings.limits.max_file_bytes + 64 * 1024
    assert stack.limit_for("/berkas/KPPS-0001/unggah") == stack.upload_bytes
    assert stack.limit_for("/masuk") == app.state.review_settings.max_login_bytes


# ---- password hashing ------------------------------------------------------------------------------------


class CountingHasher(PasswordHasher):
    """FAST_HASHER's parameters; records how many verifications run at once."""

    def __init__(self, pause: float = 0.05) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.pause = pause
        self.now = self.peak = self.calls = 0
        self._lock = threading.Lock()

    def verify(self, hash, password):  # noqa: A002 - the library's own parameter name
        with self._lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.pause)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.now -= 1


def test_concurrent_logins_are_bounded_and_the_excess_refused_quickly(db):
    hasher = CountingHasher(pause=0.2)
    accounts = Accounts(db, hasher=hasher, gate=HashGate(slots=2, queue=2, wait=1.0))
    outcomes: list[tuple[str, float]] = []

    def attempt(i: int) -> None:
        t0 = time.monotonic()
        try:
            accounts.authenticate(f"tidak.ada.{i}", "salah-sekali-123")
            outcomes.append(("done", time.monotonic() - t0))
        except HashingBusy:
            outcomes.append(("busy", time.monotonic() - t0))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.peak <= 2
    busy = [s for kind, s in outcomes if kind == "busy"]
    assert len(busy) >= 24 - 2 - 2 - 6  # slots + queue, and a few that came after others finished
    assert max(busy) < 1.5  # refused at once or after the short wait, never queued behind all 24


def test_unknown_names_verify_a_dummy_of_the_same_cost_through_the_same_gate(db):
    hasher = CountingHasher(pause=0)
    accounts = Accounts(db, hasher=hasher)
    assert extract_parameters(accounts._dummy_hash) == extract_parameters(hasher.hash("x" * 12))
    assert accounts.authenticate("tidak.ada", DEMO_PASSWORD) is None
    assert accounts.authenticate("NAMA TIDAK SAH", DEMO_PASSWORD) is None
    assert hasher.calls == 2


def test_the_login_page_answers_503_at_once_when_hashing_is_saturated(make_app, db):
    gate = HashGate(slots=1, queue=0, wait=5.0)
    app = make_app(accounts=Accounts(db, hasher=FAST_HASHER, gate=gate))
    client = TestClient(app, base_url="https://testserver")
    token = csrf_of(client.get("/masuk").text)
    with gate.slot():  # another login is hashing
        t0 = time.monotonic()
        r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token})
        assert r.status_code == 503 and r.headers["retry-after"]
        assert time.monotonic() - t0 < 1.0
    r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.url.path == "/antrean"


def test_24_concurrent_logins_with_production_argon2_stay_within_a_few_hashes_of_memory():
    """GIVEN the production argon2id parameters (64 MiB per hash) and the default gate
    WHEN 24 logins with unknown names arrive at once
    THEN peak memory grows by a few hashes' worth (1.47 GB without the gate: scripts/bench_login_memory.py)."""
    from scripts.bench_login_memory import run_case

    r = ReviewSettings(secret="x" * 40)
    out = run_case(r.hash_slots, r.hash_queue, r.hash_wait_seconds, 24)
    assert out["verified"] + out["busy"] == 24 and out["verified"] >= r.hash_slots
    assert out["growth_mb"] < 400, out


def test_a_waiting_login_gets_the_slot_when_one_frees_within_the_wait():
    gate = HashGate(slots=1, queue=1, wait=2.0)
    got: list[float] = []

    def waiter() -> None:
        t0 = time.monotonic()
        with gate.slot():
            got.append(time.monotonic() - t0)

    with gate.slot():
        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.2)
        with pytest.raises(HashingBusy):  # the one place in line is taken
            with gate.slot():
                pass
    t.join()
    assert len(got) == 1 and 0.15 < got[0] < 2.0
