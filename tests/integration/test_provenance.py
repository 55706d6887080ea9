"""Provenance: every result and flag says under which requirements file (version, sha256 of its bytes), with
which pipeline and code, and which engines read each page; a change of the requirements file shows in
`berkas status` and `berkas requeue --stale-rules` re-checks the older results without OCR."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fake_reading import TruthReader, install, light_runtime
from typer.testing import CliRunner

from config.rules import DEFAULT_RULES, load_rules
from config.settings import get_settings
from models.contract import DocType, DossierResult
from pipeline import __version__, rules_index
from pipeline.process import process_dossier
from pipeline.publish import read_result
from pipeline.storage.local import LocalStore
from workers.ingest import ingest


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("prov")
    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(root), "--count", "3",
                    "--seed", "41", "--scenarios", "complete,missing_ijazah"], check=True, capture_output=True)
    return root


@pytest.fixture
def processed(generated, tmp_path, monkeypatch) -> tuple[LocalStore, object, dict[str, DossierResult]]:
    install(TruthReader.from_truth(generated), monkeypatch)
    store = LocalStore(tmp_path / "store")
    summary = ingest(generated / "input", store, queue=None)
    runtime = light_runtime()
    runtime = replace(runtime, settings=runtime.settings.model_copy(update={"store_path": tmp_path / "store"}))
    results = {d: process_dossier(d, store=store, runtime=runtime) for d in sorted(summary.dossier_ids)}
    return store, runtime, results


def test_every_result_names_its_requirements_pipeline_code_and_engines(processed):
    store, _runtime, results = processed
    digest = hashlib.sha256(DEFAULT_RULES.read_bytes()).hexdigest()
    seen: set[str] = set()
    for result in results.values():
        p = result.provenance
        assert p is not None
        assert p.requirements.version == load_rules(DEFAULT_RULES).version
        assert p.requirements.sha256 == digest and len(p.requirements.sha256) == 64
        assert p.requirements.file == DEFAULT_RULES.name
        assert p.pipeline_version == __version__
        assert p.code_revision  # this tree is a git work tree
        assert result.documents
        for doc in result.documents:
            names = [e.name for e in doc.read_with]
            if names == ["pdf_text_layer"]:  # a PDF page read from its text layer: no OCR engine
                assert doc.file.endswith(".pdf")
                continue
            seen.update(names)
            assert names[0] == "none"  # the stand-in engine of this test
            assert ("nik_templates" in names) == (doc.type == DocType.KTP)
        stored, _ = read_result(store, result.dossier_id)
        assert stored is not None and stored.provenance == p
        assert rules_index.marker_key(digest, result.dossier_id) in set(store.list(rules_index.PREFIX))
    assert {"none", "nik_templates"} <= seen  # KTP images were among the pages


def test_every_flag_carries_the_short_provenance(processed):
    store, _runtime, results = processed
    flags = [store.get_json(k) for k in store.list("flags/")]
    assert flags and len(flags) == sum(r.status.value != "complete" for r in results.values())
    for flag in flags:
        prov = flag["provenance"]
        assert prov["requirements_version"] == "kpps-2024" and len(prov["requirements_sha256"]) == 64
        assert prov["pipeline_version"] == __version__


def test_a_new_requirements_file_shows_in_status_and_requeue_rechecks_without_ocr(processed, tmp_path, monkeypatch):
    """GIVEN results decided under kpps-2024 WHEN the requirements file changes (a new version) THEN `berkas status`
    counts them as decided under an older version, and `berkas requeue --stale-rules` re-decides them from the
    stored readings (the stand-in engine would fail if asked to read) under the new file."""
    store, _runtime, results = processed
    new_rules = tmp_path / "kpps-2024b.yaml"
    new_rules.write_text(DEFAULT_RULES.read_text().replace("version: kpps-2024", "version: kpps-2024-revisi", 1))
    new_digest = hashlib.sha256(new_rules.read_bytes()).hexdigest()
    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_RULES_FILE", str(new_rules))
    monkeypatch.setenv("BERKAS_DEV_MODE", "1")
    get_settings.cache_clear()

    from workers.commands import print_stale_rules

    groups = rules_index.stale(store, new_digest)
    assert [(g.version, len(g.dossier_ids)) for g in groups] == [("kpps-2024", len(results))]
    from rich.console import Console

    import workers.commands as commands

    console = Console(record=True, width=200)
    monkeypatch.setattr(commands, "console", console)
    print_stale_rules(get_settings())
    text = console.export_text()
    assert f"hasil dengan persyaratan lama: {len(results)}" in text and "kpps-2024-revisi" in text

    from berkas.cli import app

    before = {d: r.documents for d, r in results.items()}
    try:
        out = CliRunner().invoke(app, ["requeue", "--stale-rules"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    for d in results:
        now, _ = read_result(store, d)
        assert now is not None and now.provenance is not None
        assert now.provenance.requirements.version == "kpps-2024-revisi"
        assert now.provenance.requirements.sha256 == new_digest
        assert now.documents == before[d]  # the stored readings, engines included: nothing read again
    assert rules_index.stale(store, new_digest) == []
    assert sorted(rules_index.dossiers_under(store, new_digest)) == sorted(results)
    history = [k for k in store.list("results/") if "/history/" in k]
    assert len(history) == 2 * len(results)


def test_requeue_stale_rules_with_nothing_stale(processed, tmp_path, monkeypatch):
    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("BERKAS_DEV_MODE", "1")
    monkeypatch.delenv("BERKAS_RULES_FILE", raising=False)
    get_settings.cache_clear()
    from berkas.cli import app

    try:
        out = CliRunner().invoke(app, ["requeue", "--stale-rules"], terminal_width=200)
        bad = CliRunner().invoke(app, ["requeue", "--reread"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0 and "Tidak ada hasil" in out.output, out.output
    assert bad.exit_code == 2


@pytest.mark.tesseract
def test_a_tesseract_engine_names_its_language_data_by_hash():
    from pipeline.ocr.factory import make_engine
    from pipeline.provenance import engine_info

    engine = make_engine("auto", lang="ind")
    info = engine_info(engine, "ind")
    assert info.name in {"tesserocr", "pytesseract"} and info.version and info.data == "ind"
    assert info.sha256 and len(info.sha256) == 64


@pytest.mark.neural
def test_the_neural_engine_names_its_model_files_by_hash():
    from pipeline.ocr.neural import MODELS, resources
    from pipeline.provenance import engine_info

    class Neural:  # what NeuralEngine exposes, without loading the sessions
        name = "ppocr"
        models = resources()

    info = engine_info(Neural(), "ind")
    assert info.files == {role: digest for role, (_name, digest) in MODELS.items()}


def test_failure_flags_name_the_code_that_failed(tmp_path):
    from workers.failures import failure_flag

    flag = failure_flag("D-1", "failures/D-1/x.json", "RuntimeError", __import__("datetime").datetime.now())
    assert flag["provenance"]["pipeline_version"] == __version__
    assert flag["provenance"]["requirements_version"] is None


def test_the_review_line_names_the_engines(processed):
    """The dossier page's "diperiksa dengan" line renders from a result's provenance (template only)."""
    from review.web import templates

    _store, _runtime, results = processed
    result = next(iter(results.values()))
    tmpl = templates.env.from_string(
        (Path(__file__).resolve().parents[2] / "review" / "templates" / "dossier.html").read_text()
        .split("{% set pv = v.result.provenance %}")[1].split("\n")[0].join(["{% set pv = v.result.provenance %}", ""]))
    html = tmpl.render(v={"result": result})
    assert "diperiksa dengan persyaratan kpps-2024" in html and "nik_templates" in html
    assert shutil.which("git") is None or (result.provenance and result.provenance.code_revision) in html
