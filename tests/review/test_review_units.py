"""Units of the review app: value normalisation, account rules, scoping, claims, the `berkas users` CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer
from review_helpers import FAST_HASHER
from typer.testing import CliRunner

from pipeline.regions import Regions
from pipeline.storage import keys
from review.accounts import Account, AccountError, Accounts, Role
from review.claims import ClaimedByOther, Claims
from review.db import ReviewDB, default_url
from review.migrate import head
from review.scope import covers, queue_prefix
from review.service import ReviewError, normalise_value


@pytest.mark.parametrize("field,raw,expected", [
    ("nama", "  siti   rahayu ", "SITI RAHAYU"),
    ("nik", "3575 0245 0699 0001", "3575024506990001"),
    ("tanggal_lahir", "5-6-1999", "1999-06-05"),
    ("tanggal_lahir", "1999-06-05", "1999-06-05"),
    ("tanggal_surat", "04/12/2023", "2023-12-04"),
    ("berlaku_hingga", "seumur hidup", "SEUMUR HIDUP"),
])
def test_normalise_value(field, raw, expected):
    assert normalise_value(field, raw) == expected


@pytest.mark.parametrize("field,raw", [("nik", "35750245"), ("tanggal_lahir", "30-02-2000"), ("nama", " "),
                                       ("nama", "A" * 201), ("tanggal_lahir", "kemarin")])
def test_normalise_value_refuses(field, raw):
    with pytest.raises(ReviewError):
        normalise_value(field, raw)


def acct(role: str, area: str | None) -> Account:
    return Account(username="x.y", role=Role(role), area=area, password_hash="-", created_at="-")


@pytest.mark.parametrize("role,area,inside,outside", [
    ("PPS", "35.75.02.1005", ("35.75", "35.75.02", "35.75.02.1005"), ("35.75", "35.75.02", "35.75.02.1001")),
    ("PPK", "35.75.02", ("35.75", "35.75.02", "35.75.02.1001"), ("35.75", "35.75.01", "35.75.01.1001")),
    ("KPU_KAB", "35.75", ("35.75", "35.75.01", "35.75.01.1001"), ("35.73", "35.73.01", "35.73.01.1002")),
    ("KPU_KAB", "35.75", ("35.75", "35.75.01", "35.75.01.1001"), (None, None, None)),
])
def test_covers(role, area, inside, outside):
    a = acct(role, area)
    assert covers(a, keys.AreaCodes(*inside, tps="001"))
    assert not covers(a, keys.AreaCodes(*outside, tps="001"))
    assert covers(acct("ADMIN", None), keys.AreaCodes(*outside))


def test_queue_prefix_stays_inside_the_area():
    ppk = acct("PPK", "35.75.02")
    assert queue_prefix(ppk) == "flags/35.75/35.75.02/"
    assert queue_prefix(ppk, desa="35.75.02.1005", tps="3") == "flags/35.75/35.75.02/35.75.02.1005/003/"
    assert queue_prefix(ppk, desa="35.75.01.1001") is None
    assert queue_prefix(acct("PPS", "35.75.02.1005"), tps="7") == "flags/35.75/35.75.02/35.75.02.1005/007/"


@pytest.fixture
def accounts(review_db) -> Accounts:
    return Accounts(review_db, Regions.load(), hasher=FAST_HASHER)


@pytest.mark.parametrize("username,role,area,password,message", [
    ("pps.a", "PPS", "35.75.02", "rahasia-panjang", "harus seperti 35.75.02.1005"),
    ("pps.a", "PPS", "35.75.02.9999", "rahasia-panjang", "tidak ada di tabel wilayah"),
    ("admin.a", "ADMIN", "35.75", "rahasia-panjang", "tidak memakai kode wilayah"),
    ("pps.a", "PPS", "35.75.02.1005", "pendek", "minimal 10"),
    ("Bad Name", "PPS", "35.75.02.1005", "rahasia-panjang", "Nama pengguna"),
])
def test_account_rules(accounts, username, role, area, password, message):
    with pytest.raises(AccountError, match=message):
        accounts.create(username, password, role, area)


def test_accounts_hash_passwords_and_refuse_duplicates(accounts):
    a = accounts.create("pps.a", "rahasia-panjang", "PPS", "35.75.02.1005")
    assert a.password_hash.startswith("$argon2id$") and "rahasia-panjang" not in a.password_hash
    assert accounts.authenticate("pps.a", "rahasia-panjang").username == "pps.a"
    assert accounts.authenticate("pps.a", "rahasia-salah!") is None
    with pytest.raises(AccountError, match="sudah ada"):
        accounts.create("pps.a", "rahasia-panjang", "PPK", "35.75.02")


def test_claims_expire(review_db):
    claims = Claims(review_db, timedelta(minutes=30))
    t0 = datetime(2023, 12, 12, 8, 0, tzinfo=UTC)
    claims.claim("KPPS-0001", "a.a", now=t0)
    with pytest.raises(ClaimedByOther):
        claims.claim("KPPS-0001", "b.b", now=t0 + timedelta(minutes=29))
    assert claims.get("KPPS-0001", now=t0 + timedelta(minutes=31)) is None
    assert claims.claim("KPPS-0001", "b.b", now=t0 + timedelta(minutes=31)).username == "b.b"


def test_users_cli_create_list_disable(tmp_path, monkeypatch):
    from config.settings import get_settings
    from review import commands

    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path))
    get_settings.cache_clear()
    monkeypatch.setattr(commands, "Accounts", lambda db, regions: Accounts(db, regions, hasher=FAST_HASHER))
    app = typer.Typer()
    app.command("noop")(lambda: None)
    commands.register(app)
    run = CliRunner().invoke
    try:
        r = run(app, ["users", "list"])  # no review database yet: one line says what to run
        assert r.exit_code == 1 and "berkas review migrate" in r.output
        r = run(app, ["review", "migrate"])
        assert r.exit_code == 0 and f"revisi {head()}" in r.output, r.output
        r = run(app, ["users", "create", "ppk.purworejo", "--role", "PPK", "--area", "35.75.02"],
                input="rahasia-panjang\nrahasia-panjang\n")
        assert r.exit_code == 0, r.output
        r = run(app, ["users", "create", "pps.x", "--role", "PPS", "--area", "35.75"],
                input="rahasia-panjang\nrahasia-panjang\n")
        assert r.exit_code == 1 and "35.75.02.1005" in r.output
        assert run(app, ["users", "disable", "ppk.purworejo"]).exit_code == 0
        r = run(app, ["users", "list"])
        assert "ppk.purworejo" in r.output and "tidak" in r.output
        db = ReviewDB(default_url("local", tmp_path))
        assert Accounts(db, hasher=FAST_HASHER).get("ppk.purworejo").disabled
        db.dispose()
        assert run(app, ["users", "disable", "tidak.ada"]).exit_code == 1
    finally:
        get_settings.cache_clear()
