"""The start-up self-check (pipeline/selfcheck.py), `berkas doctor`, and the entry points that must stop on it.

Each broken piece is made for the test (a template file gone, a model file gone, a corrupt requirements file,
a store and a Redis nobody answers on): the process must stop with that piece's line, and `berkas run` must not
produce a single result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from pipeline import selfcheck
from pipeline.errors import EngineMissing
from pipeline.reading.ktp import nik_templates as nt

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens there
DEAD_S3 = "127.0.0.1:1"


def _registration(dossier_id: str) -> dict:
    return {"dossier_id": dossier_id, "nama": "Contoh Satu", "nik": "3575010101900001", "tanggal_lahir": "1990-01-01",
            "wilayah": {"provinsi": "Jawa Timur", "kabupaten_kota": "Kota Pasuruan", "kecamatan": "Purworejo",
                        "desa_kelurahan": "Pohjentrek", "tps": "001"}}


@pytest.fixture
def cli(monkeypatch, tmp_path):
    from berkas.cli import app

    for var in ("BERKAS_INDEX_SECRET", "BERKAS_RULES_FILE", "BERKAS_STORE", "BERKAS_OCR_NEURAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BERKAS_DEV_MODE", "1")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_REDIS_URL", DEAD_REDIS)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), terminal_width=200)
    get_settings.cache_clear()


@pytest.fixture
def batch(tmp_path) -> Path:
    root = tmp_path / "in"
    (root / "D-1").mkdir(parents=True)
    (root / "D-1" / "registration.json").write_text(json.dumps(_registration("D-1")))
    return root


@pytest.fixture
def no_processing(monkeypatch) -> list:
    """Records any batch that gets as far as processing (none may)."""
    import workers.embedded

    calls: list = []
    monkeypatch.setattr(workers.embedded, "process_batch", lambda ids, *a, **kw: calls.append(ids) or 1 / 0)
    return calls


def _no_results(out: Path) -> bool:
    return not list(out.glob("*/result.json")) and not list((out / "store").glob("objects/results/**/*.json"))


# ---- items on their own ----------------------------------------------------------------------------------------


def test_every_item_is_ok_on_a_set_up_machine(tmp_path):
    settings = Settings(store_path=tmp_path / "store", dev_mode=True)
    from review.db import ReviewDB, default_url

    db = ReviewDB(default_url("local", settings.store_path))  # the review database, migrated as on set-up
    db.migrate()
    db.dispose()
    items = selfcheck.run_checks(settings, [n for n in selfcheck.CHECKS if n != "redis"])
    assert [i.name for i in items if not i.ok] == [], items
    assert not list((tmp_path / "store").rglob("probe-*"))  # the store probe cleans up after itself


def test_a_missing_template_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(nt, "TEMPLATES_FILE", tmp_path / "gone.npz")
    (item,) = selfcheck.run_checks(Settings(), ["nik_templates"])
    assert not item.ok and "gone.npz" in item.detail and "pip install berkas" in item.detail


def test_an_altered_template_file_fails_its_checksum(tmp_path, monkeypatch):
    bad = tmp_path / "nik_templates.npz"
    shutil.copy(nt.TEMPLATES_FILE, bad)
    bad.write_bytes(bad.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(nt, "TEMPLATES_FILE", bad)
    (item,) = selfcheck.run_checks(Settings(), ["nik_templates"])
    assert not item.ok and "sha256" in item.detail
    with pytest.raises(EngineMissing, match="sha256"):
        nt.load_templates(bad)


def test_rendering_the_templates_refuses_a_missing_font(monkeypatch):
    monkeypatch.setattr(nt, "OCRA", Path("/nonexistent/OCRA.ttf"))
    with pytest.raises(EngineMissing, match="fonts-ocr-a"):
        nt.render_templates()


@pytest.mark.skipif(not nt.OCRA.exists(), reason="the OCR-A font (Debian fonts-ocr-a) renders the templates")
def test_the_shipped_templates_are_what_the_fonts_render():
    """GIVEN the fonts of a development machine WHEN the templates are rendered again THEN they equal the shipped
    file array for array (scripts/render_nik_templates.py --check does the same)."""
    fresh, shipped = nt.render_templates(), nt.load_templates()
    assert sum(len(v) for v in shipped.values()) == 100
    for d in fresh:
        assert len(fresh[d]) == len(shipped[d])
        assert all(np.array_equal(a, b) for a, b in zip(fresh[d], shipped[d], strict=True))


def test_a_missing_model_file_says_what_to_install(tmp_path, monkeypatch):
    import pipeline.ocr.neural as neural

    monkeypatch.setattr(neural, "default_model_dir", lambda: tmp_path)
    (item,) = selfcheck.run_checks(Settings(), ["neural_models"])
    assert not item.ok and "pip install" in item.detail and "rapidocr" in item.detail
    (off,) = selfcheck.run_checks(Settings(ocr_neural="off"), ["neural_models"])
    assert off.ok and off.skipped


def test_a_corrupt_requirements_file(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: [unclosed\n")
    (item,) = selfcheck.run_checks(Settings(rules_file=bad), ["rules"])
    assert not item.ok and "rules.yaml" in item.detail and "BERKAS_RULES_FILE" in item.detail
    bad.write_text("version: x\nage: {min: 17}\n")  # valid YAML, not a valid rules file
    (item,) = selfcheck.run_checks(Settings(rules_file=bad), ["rules"])
    assert not item.ok
    (gone,) = selfcheck.run_checks(Settings(rules_file=tmp_path / "none.yaml"), ["rules"])
    assert not gone.ok and "none.yaml" in gone.detail


def test_an_unreachable_store_and_redis():
    (store,) = selfcheck.run_checks(Settings(store="s3", s3_endpoint=DEAD_S3), ["store"])
    assert not store.ok and DEAD_S3 in store.detail and "BERKAS_S3_ENDPOINT" in store.detail
    (redis,) = selfcheck.run_checks(Settings(redis_url=DEAD_REDIS), ["redis"])
    assert not redis.ok and "127.0.0.1:1" in redis.detail and "BERKAS_REDIS_URL" in redis.detail


def test_a_store_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    (item,) = selfcheck.run_checks(Settings(store_path=blocker / "store"), ["store"])
    assert not item.ok and "BERKAS_STORE_PATH" in item.detail


def test_secrets_reuse_the_settings_check():
    (item,) = selfcheck.run_checks(Settings(), ["secrets"])
    assert not item.ok and "BERKAS_INDEX_SECRET" in item.detail
    (dev,) = selfcheck.run_checks(Settings(dev_mode=True), ["secrets"])
    assert dev.ok and "BERKAS_DEV_MODE" in dev.detail


def test_require_names_every_missing_item_at_once(tmp_path):
    settings = Settings(store="s3", s3_endpoint=DEAD_S3, rules_file=tmp_path / "none.yaml", dev_mode=True,
                        ocr_neural="off")
    with pytest.raises(selfcheck.SelfCheckFailed) as e:
        selfcheck.require(settings, "report")
    assert [i.name for i in e.value.items] == ["rules", "store"]
    assert "berkas doctor" in e.value.detail


# ---- entry points ----------------------------------------------------------------------------------------------


def _stopped(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for n in needles:
        assert n in result.output, result.output


@pytest.mark.parametrize("broken", ["template", "model", "rules", "store"])
def test_berkas_run_stops_before_reading_anything(broken, cli, batch, tmp_path, monkeypatch, no_processing):
    """GIVEN one broken piece WHEN `berkas run` starts THEN it stops with that piece's line, and no dossier is
    processed, no result written."""
    needle = {"template": "nik_templates", "model": "neural_models", "rules": "rules", "store": "store"}[broken]
    if broken == "template":
        monkeypatch.setattr(nt, "TEMPLATES_FILE", tmp_path / "gone.npz")
    elif broken == "model":
        import pipeline.ocr.neural as neural

        monkeypatch.setattr(neural, "default_model_dir", lambda: tmp_path / "models")
    elif broken == "rules":
        (tmp_path / "bad.yaml").write_text(": not yaml : [")
        monkeypatch.setenv("BERKAS_RULES_FILE", str(tmp_path / "bad.yaml"))
    else:
        monkeypatch.setenv("BERKAS_STORE", "s3")
        monkeypatch.setenv("BERKAS_S3_ENDPOINT", DEAD_S3)
    get_settings.cache_clear()
    out = tmp_path / "out"
    _stopped(cli("run", str(batch), "--out", str(out)), needle, "berkas run tidak dijalankan")
    assert no_processing == [] and _no_results(out)
    assert not (out / "store" / "objects" / "originals").exists()  # not even ingested


def test_berkas_worker_and_ingest_stop_without_redis(cli, batch):
    _stopped(cli("worker", "--burst"), "redis", "BERKAS_REDIS_URL")
    _stopped(cli("ingest", str(batch)), "redis", "BERKAS_REDIS_URL")


def test_the_review_app_stops_on_a_dead_store(cli, monkeypatch):
    monkeypatch.setenv("BERKAS_STORE", "s3")
    monkeypatch.setenv("BERKAS_S3_ENDPOINT", DEAD_S3)
    get_settings.cache_clear()
    _stopped(cli("review", "serve"), "store", DEAD_S3)  # not --demo: that serves a local folder of its own


def test_doctor_lists_every_item_and_exits_by_them(cli, monkeypatch, tmp_path):
    bad = cli("doctor")
    assert bad.exit_code == 1, bad.output
    for name in selfcheck.CHECKS:
        assert name in bad.output
    assert "redis" in bad.output.split("bermasalah:")[-1]  # the dead Redis of the fixture
    good = cli("doctor", "--only", "tesseract,nik_templates,rules,store,secrets")
    assert good.exit_code == 0, good.output
    assert "Semua komponen siap" in good.output
    assert cli("doctor", "--only", "bogus").exit_code == 2


def test_missing_region_tables(tmp_path, monkeypatch):
    import pipeline.regions

    monkeypatch.setattr(pipeline.regions, "WILAYAH_DIR", tmp_path)
    (item,) = selfcheck.run_checks(Settings(), ["data"])
    assert not item.ok and "pasang ulang" in item.detail
    monkeypatch.undo()
    (item,) = selfcheck.run_checks(Settings(), ["data"])
    assert item.ok


def test_the_review_app_stops_on_a_database_not_migrated(cli, tmp_path):
    """The review database's schema must be current: serve says so in one line and what to run."""
    from review.migrate import head

    result = cli("review", "serve")
    _stopped(result, "review_db", "berkas review migrate")
    assert "aplikasi review tidak dijalankan: review_db:" in result.output
    migrated = cli("review", "migrate")
    assert migrated.exit_code == 0 and f"revisi {head()}" in migrated.output, migrated.output
    assert (tmp_path / "store.review.sqlite3").is_file()
