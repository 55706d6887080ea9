"""Finding 9 (issue 13): no process that writes the NIK index or serves the review app starts with a default or
short secret, unless development mode is asked for explicitly."""

from __future__ import annotations

import logging
import secrets

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from config.settings import (
    DEV_INDEX_SECRET,
    Settings,
    check_secrets,
    get_settings,
    require_secrets,
)
from pipeline.errors import SecretUnsafe

GOOD = secrets.token_urlsafe(32)
GOOD_2 = secrets.token_urlsafe(32)


@pytest.mark.parametrize("value", [DEV_INDEX_SECRET, "change-me-too", "", "s3cr3t-but-short", "ab" * 40,
                                   "minioadmin"])
def test_weak_index_secrets_are_named(value):
    problems = check_secrets(Settings(index_secret=value))
    assert [p.variable for p in problems] == ["BERKAS_INDEX_SECRET"]
    assert value not in str(problems[0]) or not value  # the value itself is never echoed


def test_a_random_secret_passes_and_the_review_secret_is_checked_only_when_asked():
    settings = Settings(index_secret=GOOD)
    assert check_secrets(settings) == []
    assert [p.variable for p in check_secrets(settings, review_secret=None)] == ["BERKAS_REVIEW_SECRET"]
    assert check_secrets(settings, review_secret=SecretStr(GOOD_2)) == []
    assert check_secrets(settings, review_secret="x" * 40)[0].problem.startswith("terlalu sedikit")


def test_require_refuses_outside_development_mode(caplog):
    with pytest.raises(SecretUnsafe) as ei:
        require_secrets(Settings(), what="worker")
    assert ei.value.code == "SECRET_UNSAFE"
    assert "BERKAS_INDEX_SECRET" in ei.value.detail and DEV_INDEX_SECRET not in ei.value.detail
    with caplog.at_level(logging.WARNING):
        problems = require_secrets(Settings(dev_mode=True), what="worker")
    assert len(problems) == 1 and "development mode" in caplog.text and DEV_INDEX_SECRET not in caplog.text
    assert require_secrets(Settings(index_secret=GOOD), what="worker") == []


# ---- the entry points ----------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, tmp_path):
    from berkas.cli import app

    for var in ("BERKAS_INDEX_SECRET", "BERKAS_DEV_MODE", "BERKAS_REVIEW_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing may get as far as Redis
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def _one_line_refusal(result, variable: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and variable in result.output
    assert "BERKAS_DEV_MODE=1" in result.output


def test_berkas_run_refuses_the_default_secret(cli, tmp_path, monkeypatch):
    import workers.embedded

    (tmp_path / "in" / "D1").mkdir(parents=True)
    (tmp_path / "in" / "D1" / "registration.json").write_text("{}")
    processed = []
    monkeypatch.setattr(workers.embedded, "process_batch", lambda ids, *a, **kw: processed.append(ids) or 1 / 0)
    result = cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    _one_line_refusal(result, "BERKAS_INDEX_SECRET")
    assert not (tmp_path / "out").exists() and processed == []

    monkeypatch.setenv("BERKAS_DEV_MODE", "1")
    get_settings.cache_clear()
    cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert processed == [["D1"]]  # past the check


def test_berkas_worker_refuses_a_short_secret(cli, monkeypatch):
    monkeypatch.setenv("BERKAS_INDEX_SECRET", "pendek")
    get_settings.cache_clear()
    _one_line_refusal(cli("worker", "--burst"), "BERKAS_INDEX_SECRET")


def test_review_app_needs_both_secrets_unless_demo(cli, monkeypatch, tmp_path):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    monkeypatch.setenv("BERKAS_INDEX_SECRET", GOOD)
    get_settings.cache_clear()
    _one_line_refusal(cli("review", "serve"), "BERKAS_REVIEW_SECRET")  # unset: a random key per process
    monkeypatch.setenv("BERKAS_REVIEW_SECRET", "rahasia")
    _one_line_refusal(cli("review", "serve"), "BERKAS_REVIEW_SECRET")
    assert started == []

    monkeypatch.setenv("BERKAS_REVIEW_SECRET", GOOD_2)
    migrated = cli("review", "migrate")  # the review database beside the store must be current to serve
    assert migrated.exit_code == 0, migrated.output
    assert cli("review", "serve").exit_code == 0 and len(started) == 1
    monkeypatch.delenv("BERKAS_INDEX_SECRET")
    monkeypatch.delenv("BERKAS_REVIEW_SECRET")
    get_settings.cache_clear()
    demo = cli("review", "serve", "--demo", "--demo-dir", str(tmp_path / "demo"))
    assert demo.exit_code == 0 and len(started) == 2  # synthetic data: allowed
