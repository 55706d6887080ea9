"""Operations bullets of issue 14: the demo never writes into another store; plain-HTTP deployments on a LAN."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from review_helpers import FAST_HASHER, csrf_of
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from pipeline.storage.local import LocalStore
from review import commands
from review.accounts import Accounts
from review.app import create_app
from review.demo import DEMO_PASSWORD
from review.demostore import MARKER_KEY, DemoStoreRefused, open_demo_store
from review.service import ReviewService
from review.settings import ReviewSettings


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """`berkas review serve ...` with uvicorn replaced; returns (result, the app it would have served)."""
    served: list = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.append(app))
    monkeypatch.setattr(commands, "Accounts", lambda db, regions: Accounts(db, regions, hasher=FAST_HASHER))
    monkeypatch.setattr("review.demo.Accounts", lambda db, regions: Accounts(db, regions, hasher=FAST_HASHER))
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    app.command("noop")(lambda: None)
    commands.register(app)

    def _run(*args: str):
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["review", "serve", *args])
        finally:
            get_settings.cache_clear()
        return result, (served[-1] if served else None)

    return _run


def test_demo_leaves_the_configured_store_untouched_and_uses_its_own_folder(serve, monkeypatch, store_root, tmp_path):
    """GIVEN a real store holding dossiers with the demo's ids (KPPS-0001 ...)
    WHEN `berkas review serve --demo` runs with that store configured
    THEN not one byte of it changes; the demo lives in var/demo-review, marked as the demo's."""
    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(store_root))
    before = _snapshot(store_root)
    result, app = serve("--demo")
    assert result.exit_code == 0, result.output
    assert _snapshot(store_root) == before
    demo_dir = tmp_path / "var" / "demo-review"
    assert LocalStore(demo_dir).exists(MARKER_KEY)
    assert Path(app.state.settings.store_path) == Path("var/demo-review")
    assert app.state.store.exists("results/KPPS-0001/result.json") or any(app.state.store.list("results/"))
    assert app.state.review_settings.use_queue is False
    # a second start reuses its own folder
    result, _ = serve("--demo")
    assert result.exit_code == 0, result.output


def test_demo_refuses_a_folder_that_holds_other_data(serve, store_root):
    before = _snapshot(store_root)
    result, app = serve("--demo", "--demo-dir", str(store_root))
    assert result.exit_code == 1 and app is None
    assert "bukan data demo" in result.output
    assert _snapshot(store_root) == before


def test_demo_dir_without_demo_is_an_error(serve, tmp_path):
    result, app = serve("--demo-dir", str(tmp_path / "x"))
    assert result.exit_code == 1 and app is None


def test_open_demo_store_marks_an_empty_folder_and_refuses_a_file(tmp_path):
    store = open_demo_store(tmp_path / "demo")
    assert store.exists(MARKER_KEY)
    (tmp_path / "file").write_text("x")
    with pytest.raises(DemoStoreRefused):
        open_demo_store(tmp_path / "file")
    other = tmp_path / "dokumen"
    other.mkdir()
    (other / "catatan.txt").write_text("bukan penyimpanan")
    with pytest.raises(DemoStoreRefused):
        open_demo_store(other)
    assert [p.name for p in other.iterdir()] == ["catatan.txt"]


# ---- plain HTTP ------------------------------------------------------------------------------------------


@pytest.fixture
def make_app(store, store_root, db, light_runtime, enqueued):
    def _make(**overrides):
        settings = Settings(store_path=store_root)
        review = ReviewSettings(secret="test-secret-" + "x" * 32, **overrides)
        service = ReviewService(store, settings, review, runtime_factory=lambda: light_runtime, enqueue=enqueued,
                                db=db)
        return create_app(settings, review, store=store, service=service,
                          accounts=Accounts(db, service.regions, hasher=FAST_HASHER))

    return _make


def test_login_over_plain_http_names_the_real_cause(make_app):
    """GIVEN the app with HTTPS-only cookies reached over plain HTTP (the browser drops the Secure cookie)
    THEN the login error says so, instead of "Formulir sudah kedaluwarsa ... Muat ulang halaman"."""
    client = TestClient(make_app(), base_url="http://kantor-pps.lan")
    token = csrf_of(client.get("/masuk").text)
    r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 403
    assert "HTTP biasa" in r.text and "BERKAS_REVIEW_PLAIN_HTTP" in r.text
    assert "kedaluwarsa" not in r.text
    assert 'name="username"' in r.text  # the login form again, with the reason above it


def test_a_missing_cookie_over_https_is_not_blamed_on_http(make_app):
    client = TestClient(make_app(), base_url="https://testserver")
    token = csrf_of(client.get("/masuk").text)
    client.cookies.clear()
    r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 403 and "cookie" in r.text and "HTTP biasa" not in r.text


def test_plain_http_setting_lets_a_lan_server_work_and_warns(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="review")
    app = make_app(plain_http=True)
    assert any("PLAIN HTTP" in r.getMessage() for r in caplog.records)
    client = TestClient(app, base_url="http://kantor-pps.lan")
    page = client.get("/masuk")
    assert "HTTP biasa, tanpa enkripsi" in page.text
    token = csrf_of(page.text)
    r = client.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and "secure" not in r.headers["set-cookie"].lower()
    assert client.get("/antrean").status_code == 200


def test_the_https_login_page_carries_no_plain_http_warning(make_app):
    assert "HTTP biasa" not in TestClient(make_app(), base_url="https://testserver").get("/masuk").text


def test_plain_http_from_the_environment(monkeypatch):
    monkeypatch.setenv("BERKAS_REVIEW_PLAIN_HTTP", "1")
    r = ReviewSettings(secret="x" * 40)
    assert r.plain_http and not r.secure_cookies


# ---- the same in a real browser (Debian's chromium), on a host name that is not loopback ---------------------


def _serve_in_thread(app):
    import socket
    import threading

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    return srv, thread, port


@pytest.mark.e2e
@pytest.mark.parametrize("plain_http", [False, True])
def test_a_browser_on_a_plain_http_lan_address(make_app, plain_http):
    """GIVEN chromium reaching the app as http://kantor-pps.lan (not loopback, so a Secure cookie is dropped)
    THEN with HTTPS-only cookies the login page names plain HTTP as the cause; with BERKAS_REVIEW_PLAIN_HTTP
    the verifier signs in, after a warning on the login page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    srv, thread, port = _serve_in_thread(make_app(plain_http=plain_http))
    base = f"http://kantor-pps.lan:{port}"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync",
                      "--host-resolver-rules=MAP kantor-pps.lan 127.0.0.1"])
            try:
                page = browser.new_page()
                page.goto(f"{base}/masuk")
                assert ("HTTP biasa, tanpa enkripsi" in page.content()) == plain_http
                page.fill("input[name=username]", "pps.kebonagung")
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                if plain_http:
                    page.wait_for_url(f"{base}/antrean")
                else:
                    text = page.inner_text("body")
                    assert "HTTP biasa" in text and "kedaluwarsa" not in text
            finally:
                browser.close()
    finally:
        srv.should_exit = True
        thread.join(10)
