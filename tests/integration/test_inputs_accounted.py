"""Every input accounted for, hostile names kept, verifiers' uploads kept, damaged originals repaired
(issue 13, findings 5-8 and the "every input accounted for" bullet).

GIVEN inputs shaped the way careless operators and zips made on Windows shape them
THEN each file and folder ends as a document, a file error, or a line of the "skipped, and why" list that
`berkas run` prints and the batch record keeps.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from fake_reading import TruthReader, install, light_runtime
from PIL import Image
from typer.testing import CliRunner

from models.contract import DossierResult
from pipeline import manifest, process
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from workers.ingest import ingest

WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}
NIK = "3575024506990001"


def png(seed: int) -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", (200, 120), (seed % 251, 90, (seed * 5) % 251)).save(out, "PNG")
    return out.getvalue()


def registration(dossier_id: str, **over) -> bytes:
    return json.dumps({"dossier_id": dossier_id, "nama": "SITI AMINAH", "nik": NIK, "tanggal_lahir": "1999-06-05",
                       "wilayah": WILAYAH, **over}).encode()


def dossier(root, name: str, files: dict[str, bytes], *, reg: bytes | None = None):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "registration.json").write_bytes(reg if reg is not None else registration(name))
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
    return folder


@pytest.fixture
def hostile_input(tmp_path):
    """A folder of dossiers with every kind of odd name, and the pages the stand-in reader knows."""
    root = tmp_path / "input"
    reader = TruthReader()
    ok = dossier(root, "D-1", {"ktp.png": png(1), "..ktp2.png": png(2), "scan\\ijazah.png": png(3),
                               f"KTP {NIK}.png": png(4), ".DS_Store": b"\x00\x01"})
    reader.learn(png(1), 1, "ktp", {"nik": NIK, "nama": "SITI AMINAH"})
    for name in ["D 2 spasi", "Désa-3", "-D4", "D" * 140]:
        dossier(root, name, {"a.png": png(9)})
    real = dossier(tmp_path / "elsewhere", "D-5", {"a.png": png(5)})
    (root / "D-5").symlink_to(real, target_is_directory=True)
    (root / "catatan.txt").write_text("loose file beside the dossier folders")
    (root / ".DS_Store").write_bytes(b"\x00")
    dossier(root, "D.6", {"a.png": png(6)})  # a dot: valid by the contract
    dossier(root, "D-9", {}, reg=b"[" * 30_000 + b"]" * 30_000)  # 60 KB of nesting: under the size cap
    return root, reader, ok


def test_every_input_is_a_dossier_a_file_or_a_skipped_line(tmp_path, hostile_input):
    root, _reader, _ok = hostile_input
    store = LocalStore(tmp_path / "store", fsync=False)
    summary = ingest(root, store)
    assert summary.dossier_ids == ["D-1", "D-9", "D.6"]
    skipped = {s.path: s.reason for s in summary.skipped_inputs}
    assert skipped == {
        "D 2 spasi": "DOSSIER_ID_INVALID", "Désa-3": "DOSSIER_ID_INVALID", "-D4": "DOSSIER_ID_INVALID",
        "D" * 140: "DOSSIER_ID_INVALID", "D-5": "SYMLINK", "catatan.txt": "NOT_IN_A_DOSSIER_FOLDER",
        ".DS_Store": "SYSTEM_FILE", "D-1/.DS_Store": "SYSTEM_FILE",
    }
    assert all(s.message for s in summary.skipped_inputs)
    record = store.get_json(summary.batch_key)
    assert {s["path"] for s in record["skipped_inputs"]} == set(skipped)
    assert record["dossiers"] == ["D-1", "D-9", "D.6"]

    files = store.get_json(keys.manifest_key("D-1"))["files"]
    by_original = {f.get("original_name", f["name"]): f for f in files}
    assert set(by_original) == {"ktp.png", "..ktp2.png", "scan\\ijazah.png", f"KTP {NIK}.png"}
    assert by_original["scan\\ijazah.png"]["name"] == "scan/ijazah.png"
    assert by_original["..ktp2.png"]["name"] == "ktp2.png"
    assert by_original[f"KTP {NIK}.png"]["name"] == "KTP NIK-disamarkan.png"
    assert not [k for k in store.list("") if NIK in k]  # never in a key
    for f in files:  # each stored under a safe key, bytes intact
        assert hashlib.sha256(store.get_bytes(f["key"])).hexdigest() == f["sha256"]


def test_a_windows_zip_unpacked_on_linux(tmp_path):
    """Backslash names beside the dossier folders (`D-7\\ktp.png`) are read as paths, not dropped."""
    root = tmp_path / "input"
    root.mkdir()
    (root / "D-7\\registration.json").write_bytes(registration("D-7"))
    (root / "D-7\\scans\\ktp.png").write_bytes(png(7))
    dossier(root, "D-8", {"a.png": png(8)})
    store = LocalStore(tmp_path / "store", fsync=False)
    summary = ingest(root, store)
    assert summary.dossier_ids == ["D-7", "D-8"] and summary.skipped_inputs == []
    assert [f["name"] for f in store.get_json(keys.manifest_key("D-7"))["files"]] == ["scans/ktp.png"]


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_DEV_MODE", "1")  # synthetic data: the development index key is fine
    from config.settings import get_settings

    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    yield
    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None


def test_run_prints_what_it_skipped_and_processes_every_dossier(tmp_path, hostile_input, monkeypatch, cli_env):
    from berkas.cli import app

    root, reader, _ok = hostile_input
    install(reader, monkeypatch)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(root), "--out", str(out), "--workers", "2"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Dilewati" in res.output
    for line in ["D 2 spasi", "-D4", "catatan.txt", "DOSSIER_ID_INVALID", "SYMLINK", "SYSTEM_FILE"]:
        assert line in res.output
    assert NIK not in res.output
    results = {p.parent.name for p in out.glob("*/result.json")}
    assert results == {"D-1", "D-9", "D.6"}  # the nested registration too (it stopped the whole run)
    d9 = DossierResult.model_validate_json((out / "D-9" / "result.json").read_text())
    assert "REGISTRATION_INVALID" in {e.error for e in d9.errors}
    d1 = DossierResult.model_validate_json((out / "D-1" / "result.json").read_text())
    seen = {d.file for d in d1.documents} | {e.file for e in d1.errors}
    assert {"ktp.png", "ktp2.png", "scan/ijazah.png", "KTP NIK-disamarkan.png"} <= seen
    assert NIK not in str([d.file for d in d1.documents] + [e.file for e in d1.errors])


# ---- re-runs keep verifiers' uploads; damaged stored copies are repaired --------------------------------


def test_a_rerun_keeps_the_verifiers_uploads(tmp_path):
    root = tmp_path / "input"
    dossier(root, "D-1", {"ktp.png": png(1)})
    store = LocalStore(tmp_path / "store", fsync=False)
    ingest(root, store)
    data = png(50)
    sha = hashlib.sha256(data).hexdigest()
    store.put_if_absent(manifest.upload_key("D-1", sha, "ijazah.png"), data)
    manifest.add_upload(store, "D-1", filename="ijazah.png", sha256=sha, size=len(data), content_type="image/png",
                        by="pps.kebonagung")
    (root / "D-1" / "surat.png").write_bytes(png(51))  # the folder changes too
    again = ingest(root, store)
    names = [f["name"] for f in store.get_json(keys.manifest_key("D-1"))["files"]]
    assert names == ["ijazah.png", "ktp.png", "surat.png"]
    assert again.dossiers["D-1"].removed == []


def test_a_damaged_stored_original_is_a_file_error_and_reingest_repairs_it(tmp_path, monkeypatch):
    """GIVEN a stored KTP whose bytes changed underneath the store
    THEN processing reports CHECKSUM_MISMATCH for that file and reviews the KTP (not 'KTP tidak ditemukan');
    AND ingesting the good file again writes it back, queues a new version and the KTP is found again."""
    reader = TruthReader()
    install(reader, monkeypatch)
    root = tmp_path / "input"
    dossier(root, "D-1", {"ktp.png": png(1)})
    reader.learn(png(1), 1, "ktp", {"nik": NIK, "nama": "SITI AMINAH"})
    store = LocalStore(tmp_path / "store", fsync=False)
    ingest(root, store)
    entry = store.get_json(keys.manifest_key("D-1"))["files"][0]
    (store.root / "objects" / entry["key"]).write_bytes(b"bit rot")
    runtime = light_runtime()
    result = process.process_dossier("D-1", store=store, runtime=runtime)
    assert [(e.file, e.error) for e in result.errors] == [("ktp.png", "CHECKSUM_MISMATCH")]
    assert "penyimpanan rusak" in result.errors[0].message
    doc_ktp = next(c for c in result.checks if c.id == "doc_ktp")
    assert (doc_ktp.status.value, doc_ktp.reason) == ("review", "ORIGINAL_DAMAGED")
    assert "ktp" not in [d.value for d in result.missing_documents]

    again = ingest(root, store)
    assert again.dossiers["D-1"].repaired == ["ktp.png"] and again.dossiers["D-1"].changed
    assert store.get_bytes(entry["key"]) == png(1)
    result = process.process_dossier("D-1", store=store, runtime=runtime)
    assert result.errors == [] and any(d.type.value == "ktp" for d in result.documents)


def test_a_too_large_registration_is_reported_as_too_large(tmp_path):
    root = tmp_path / "input"
    dossier(root, "D-1", {}, reg=registration("D-1", catatan="x" * 200_000))
    store = LocalStore(tmp_path / "store", fsync=False)
    ingest(root, store)
    ctx = process.DossierContext(dossier_id="D-1", store=store, runtime=None)
    process.load_registration(ctx)
    assert ctx.registration_error.error == "REGISTRATION_INVALID"
    assert "terlalu besar" in ctx.registration_error.message
    assert "tidak ada" not in ctx.registration_error.message


def test_nested_brackets_are_an_invalid_registration_not_a_crash(tmp_path):
    root = tmp_path / "input"
    dossier(root, "D-1", {}, reg=b"[" * 30_000 + b"]" * 30_000)
    store = LocalStore(tmp_path / "store", fsync=False)
    ingest(root, store)
    ctx = process.DossierContext(dossier_id="D-1", store=store, runtime=None)
    process.load_registration(ctx)
    assert ctx.registration_error.error == "REGISTRATION_INVALID"
    from pipeline.errors import StorageError

    with pytest.raises(StorageError) as e:
        store.get_json(keys.registration_key("D-1"))
    assert e.value.code == "OBJECT_NOT_JSON"
    assert os.path.getsize(root / "D-1" / "registration.json") < 64 * 1024


def test_a_damaged_manifest_is_reported_and_the_other_dossiers_go_on(tmp_path):
    """Finding 1's aftermath: a manifest.json that cannot be read back stopped `berkas run` at that dossier.
    Ingestion now reports it (MANIFEST_UNREADABLE), leaves it as it is (it may list a verifier's uploads), and
    goes on with the others."""
    root = tmp_path / "input"
    dossier(root, "D-1", {"ktp.png": png(1)})
    dossier(root, "D-2", {"ktp.png": png(2)})
    store = LocalStore(tmp_path / "store", fsync=False)
    ingest(root, store)
    broken = store.root / "objects" / keys.manifest_key("D-1")
    broken.write_bytes(b'{"files": [')
    (root / "D-2" / "surat.png").write_bytes(png(3))
    again = ingest(root, store)
    assert [(r.dossier_id, r.reason) for r in again.rejected] == [("D-1", "MANIFEST_UNREADABLE")]
    assert again.dossiers["D-2"].changed and again.dossiers["D-2"].stored == ["surat.png"]
    assert broken.read_bytes() == b'{"files": ['
