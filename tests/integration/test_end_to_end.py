"""End to end: generate a small batch, run `berkas run` (real tesseract), compare with the ground truth.

GIVEN a generated batch with the missing-document and bad-input scenarios
WHEN the README's main job processes it on embedded defaults
THEN every page's document type is found, the missing-document scenarios end `incomplete` with the right
     missing documents, no dossier is accepted that the truth says must be flagged, and every dossier that is
     not complete is flagged in the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tesseract

SCENARIOS = "complete,missing_ktp,missing_ijazah,missing_surat_sehat,bad_ktp_file,registration_invalid,duplicate_nik"


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[dict, dict[str, dict], Path]:
    root = tmp_path_factory.mktemp("e2e")
    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(root), "--count", "8",
                    "--seed", "31", "--scenarios", SCENARIOS], check=True, capture_output=True)
    out = root / "out"
    run = subprocess.run([sys.executable, "-m", "berkas", "run", str(root / "input"), "--out", str(out),
                          "--workers", "2"], capture_output=True, text=True,
                         env=dict(os.environ, BERKAS_DEV_MODE="1"))  # synthetic data: the development key
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    truth = json.loads((root / "truth.json").read_text())
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    modes = {oct(p.stat().st_mode & 0o777) for p in out.rglob("*")}
    assert modes <= {"0o600", "0o700"}, modes  # results and the store hold NIKs and names: this user only
    return truth, results, out


def test_every_dossier_has_a_valid_result(batch):
    from models.contract import DossierResult

    truth, results, _ = batch
    assert set(results) == set(truth["dossiers"])
    for data in results.values():
        DossierResult.model_validate(data)


def test_document_types_found(batch):
    truth, results, _ = batch
    wrong = []
    for dossier_id, t in truth["dossiers"].items():
        found = {(d["file"], d["page"]): d["type"] for d in results[dossier_id]["documents"]}
        for page in t["pages"]:
            if found.get((page["file"], page["page"])) != page["type"]:
                wrong.append((dossier_id, page["file"], page["page"], page["type"], found.get((page["file"], page["page"]))))
    assert wrong == []


def test_missing_document_scenarios(batch):
    truth, results, _ = batch
    for dossier_id, t in truth["dossiers"].items():
        if t["expected_status"] == "incomplete":
            r = results[dossier_id]
            assert r["status"] == "incomplete", dossier_id
            assert set(t["expected_missing"]) <= set(r["missing_documents"]), dossier_id


def test_no_false_accepts(batch):
    truth, results, _ = batch
    false_accepts = [d for d, t in truth["dossiers"].items()
                     if results[d]["status"] == "complete" and t["expected_status"] != "complete"]
    assert false_accepts == []


def test_bad_files_are_reported(batch):
    truth, results, _ = batch
    for dossier_id, t in truth["dossiers"].items():
        for bad in t.get("bad_files", []):
            errors = {(e["file"], e["error"]) for e in results[dossier_id]["errors"]}
            assert any(f == bad["file"] for f, _ in errors), (dossier_id, bad)


def test_duplicates_name_each_other(batch):
    truth, results, _ = batch
    dups = [d for d, t in truth["dossiers"].items() if t["scenario"] == "duplicate_nik"]
    assert len(dups) == 2
    a, b = dups
    assert results[a]["duplicate_dossiers"] == [b]
    assert results[b]["duplicate_dossiers"] == [a]


def test_flags_and_originals_in_store(batch):
    import hashlib

    from config.settings import Settings
    from pipeline.storage import keys, open_store

    truth, results, out = batch
    store = open_store(Settings(store_path=out / "store"))
    flagged = {key.rsplit("/", 1)[-1].removesuffix(".json") for key in store.list("flags/")}
    for dossier_id, r in results.items():
        assert (dossier_id in flagged) == (r["status"] != "complete"), dossier_id
    for dossier_id in truth["dossiers"]:
        manifest = store.get_json(keys.manifest_key(dossier_id))
        for entry in manifest["files"]:
            data = store.get_bytes(keys.original_key(dossier_id, entry["sha256"], entry["name"]))
            submitted = (out.parent / "input" / dossier_id / entry["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256(submitted).hexdigest() == entry["sha256"]
