"""Sign-in, sessions, CSRF on the login and logout forms, throttling, disabled accounts."""

from __future__ import annotations

import pytest
from review_helpers import FAST_HASHER, csrf_of, decision_and_claim_rows

from review.accounts import Accounts
from review.demo import DEMO_PASSWORD

PROTECTED_GETS = ["/antrean", "/berkas/KPPS-0001", "/berkas/KPPS-0001/halaman/0"]
PROTECTED_POSTS = ["/berkas/KPPS-0001/klaim", "/berkas/KPPS-0001/lepas", "/berkas/KPPS-0001/setujui",
                   "/berkas/KPPS-0001/tolak", "/berkas/KPPS-0001/minta-dokumen", "/berkas/KPPS-0001/koreksi",
                   "/berkas/KPPS-0001/unggah", "/keluar"]


def test_login_sets_a_secure_strict_httponly_session_cookie(anon):
    token = csrf_of(anon.get("/masuk").text)
    r = anon.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, "csrf_token": token},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/antrean"
    cookie = r.headers["set-cookie"].lower()
    assert "berkas_sesi=" in cookie and "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "pps.kebonagung" in anon.get("/antrean").text


@pytest.mark.parametrize("username,password", [
    ("pps.kebonagung", "salah-sekali-123"), ("tidak.ada", DEMO_PASSWORD), ("pps.nonaktif", DEMO_PASSWORD),
])
def test_bad_credentials_and_disabled_accounts_are_refused(anon, username, password):
    token = csrf_of(anon.get("/masuk").text)
    r = anon.post("/masuk", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in r.text
    assert anon.get("/antrean", follow_redirects=False).headers["location"] == "/masuk"


def test_login_without_or_with_a_wrong_csrf_token_is_refused(anon):
    anon.get("/masuk")
    for data in ({}, {"csrf_token": "palsu"}):
        r = anon.post("/masuk", data={"username": "pps.kebonagung", "password": DEMO_PASSWORD, **data})
        assert r.status_code == 403
    assert anon.get("/antrean", follow_redirects=False).status_code == 303


def test_repeated_failures_block_the_username_even_with_the_right_password(anon, app):
    token = csrf_of(anon.get("/masuk").text)
    for _ in range(app.state.review_settings.login_attempts):
        anon.post("/masuk", data={"username": "ppk.purworejo", "password": "salah-sekali-123", "csrf_token": token})
    r = anon.post("/masuk", data={"username": "ppk.purworejo", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 429


@pytest.mark.parametrize("path", PROTECTED_GETS)
def test_every_page_needs_a_signed_in_account(anon, path):
    r = anon.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk"


@pytest.mark.parametrize("path", PROTECTED_POSTS)
def test_every_action_needs_a_signed_in_account(anon, store, db, path):
    token = csrf_of(anon.get("/masuk").text)
    before = [sorted(store.list("audit/")), decision_and_claim_rows(db)]
    r = anon.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code in (303, 403)
    if r.status_code == 303:
        assert r.headers["location"] == "/masuk"
    assert [sorted(store.list("audit/")), decision_and_claim_rows(db)] == before


def test_logout_needs_csrf_and_ends_the_session(login):
    client = login("pps.kebonagung")
    assert client.post("/keluar", data={}).status_code == 403
    assert client.get("/antrean").status_code == 200
    r = client.post("/keluar", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert r.headers["location"] == "/masuk"
    assert client.get("/antrean", follow_redirects=False).headers["location"] == "/masuk"


def test_disabling_an_account_ends_its_open_session(login, db):
    client = login("pps.kebonagung")
    Accounts(db, hasher=FAST_HASHER).set_disabled("pps.kebonagung")
    assert client.get("/antrean", follow_redirects=False).headers["location"] == "/masuk"


def test_pages_carry_security_headers(anon):
    r = anon.get("/masuk")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
