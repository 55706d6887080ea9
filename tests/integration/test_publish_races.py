"""Several writers publishing one dossier's result (issue 13, finding 2): none builds on stale data over a newer
result. Each race is made to happen at the worst moment by a hook, so the tests are deterministic.

The writers: the dossier's processing (pipeline.process.process_dossier), a duplicate re-check started by another
dossier (recheck_dossier), and a verifier's correction (corrections.publish_correction, what the review app calls).
"""

from __future__ import annotations

import io
import json

import pytest
from fake_reading import TruthReader, install, light_runtime
from PIL import Image

from models.contract import DocType, DossierResult
from pipeline import corrections, manifest, process
from pipeline.errors import WriteConflict
from pipeline.publish import publish_result, read_result
from pipeline.storage.local import LocalStore
from workers.ingest import ingest

WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}
NIK = "3575024506990001"
KTP = {"nik": NIK, "nama": "SITI AMINAH", "tanggal_lahir": "1999-06-05", "jenis_kelamin": "PEREMPUAN"}


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 120), (seed % 251, 40, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(tmp_path, monkeypatch):
    reader = TruthReader()
    install(reader, monkeypatch)
    store = LocalStore(tmp_path / "store", fsync=False)
    for d in ("D-1", "D-2"):
        folder = tmp_path / "input" / d
        folder.mkdir(parents=True)
        (folder / "registration.json").write_text(json.dumps(
            {"dossier_id": d, "nama": "SITI AMINAH", "nik": NIK, "tanggal_lahir": "1999-06-05", "wilayah": WILAYAH}))
        (folder / "ktp.png").write_bytes(png(1 if d == "D-1" else 2))
    reader.learn(png(1), 1, "ktp", KTP)
    reader.learn(png(2), 1, "ktp", KTP)
    ingest(tmp_path / "input", store)
    runtime = light_runtime()
    process.process_dossier("D-1", store=store, runtime=runtime)
    return store, runtime, reader


def stored(store, dossier_id="D-1") -> DossierResult:
    return read_result(store, dossier_id)[0]


def add_upload(store, reader, seed: int, doc_type: str, fields: dict) -> dict:
    data = png(seed)
    sha = reader.learn(data, 1, doc_type, fields)
    store.put_if_absent(manifest.upload_key("D-1", sha, f"up{seed}.png"), data)
    return manifest.add_upload(store, "D-1", filename=f"up{seed}.png", sha256=sha, size=len(data),
                               content_type="image/png", by="pps.x").entry


def test_publish_refuses_to_replace_a_result_it_did_not_start_from(world):
    store, runtime, _reader = world
    old, etag = read_result(store, "D-1")
    newer = old.model_copy(update={"duplicate_dossiers": ["X"]})
    publish_result(store, newer, runtime=runtime, expect=etag)
    stale = old.model_copy(update={"duplicate_dossiers": ["Y"]})
    with pytest.raises(WriteConflict):
        publish_result(store, stale, runtime=runtime, expect=etag)
    assert stored(store).duplicate_dossiers == ["X"]


def test_a_recheck_built_from_stale_data_starts_again_from_the_newer_result(world, monkeypatch):
    """GIVEN D-2 processed (so D-1 must be re-checked for the shared NIK) and, between the re-check's read and its
    publish, D-1's own run publishing a result with a new document
    THEN the re-check does not put back the old documents: the final result has the new document AND names D-2."""
    store, runtime, reader = world
    entry = add_upload(store, reader, 7, "ijazah", {"nama": "SITI AMINAH", "jenjang": "SMA"})
    real_decide = process._decide
    raced = []

    def decide_then_race(rt, dossier_id, *a, **kw):
        result = real_decide(rt, dossier_id, *a, **kw)
        if dossier_id == "D-1" and not raced:
            raced.append(1)  # D-1's own processing (with the upload) publishes right now
            process.process_dossier("D-1", store=store, runtime=runtime)
        return result

    monkeypatch.setattr(process, "_decide", decide_then_race)
    process.process_dossier("D-2", store=store, runtime=runtime)  # re-checks D-1: the race happens inside
    final = stored(store)
    assert raced
    assert entry["name"] in {d.file for d in final.documents}
    assert final.duplicate_dossiers == ["D-2"]


def test_a_correction_lands_on_the_newer_result_when_a_run_publishes_first(world):
    """GIVEN a verifier correcting the KTP name while D-1's processing (with a new upload) publishes first
    THEN the published result has the new upload's document AND the correction."""
    store, runtime, reader = world
    before = stored(store)
    ktp = next(d for d in before.documents if d.type == DocType.KTP)
    add_upload(store, reader, 8, "surat_sehat", {"nama": "SITI AMINAH", "kesimpulan": "SEHAT"})
    key, provenance = corrections.record(store, "D-1", ktp, "nama", "SITI AMINAH BINTI X", by="pps.x", role="PPS",
                                         before=ktp.fields.get("nama"))
    calls = []

    def recheck(*a, **kw):
        if not calls:
            calls.append(1)
            process.process_dossier("D-1", store=store, runtime=runtime)  # the worker wins the race
        from pipeline.process import evaluate_and_publish

        return evaluate_and_publish(*a, **kw)

    new = corrections.publish_correction(store, runtime, "D-1", doc=ktp, field_name="nama",
                                         value="SITI AMINAH BINTI X", provenance=provenance, recheck=recheck)
    final = stored(store)
    assert final.model_dump(exclude={"processed_at"}) == new.model_dump(exclude={"processed_at"})
    assert {d.type for d in final.documents} >= {DocType.KTP, DocType.SURAT_SEHAT}
    fixed = next(d for d in final.documents if d.type == DocType.KTP)
    assert fixed.fields["nama"] == "SITI AMINAH BINTI X" and fixed.corrected["nama"].correction == key


def test_a_run_whose_input_changed_meanwhile_does_not_publish_over_the_newer_run(world, monkeypatch):
    """GIVEN a run of D-1 reading its pages while a verifier uploads a file and the newer run publishes
    THEN the older run publishes nothing over it: the stored result lists the upload."""
    store, runtime, reader = world
    real_reader = process.read_page
    state = {}

    def slow_reader(page, **kw):
        if not state:
            state["entry"] = add_upload(store, reader, 9, "ijazah", {"nama": "SITI AMINAH", "jenjang": "SMA"})
            monkeypatch.setattr(process, "read_page", real_reader)
            state["newer"] = process.process_dossier("D-1", store=store, runtime=runtime)
            monkeypatch.setattr(process, "read_page", slow_reader)
        return real_reader(page, **kw)

    monkeypatch.setattr(process, "read_page", slow_reader)
    process.process_dossier("D-1", store=store, runtime=runtime)
    assert state["entry"]["name"] in {d.file for d in stored(store).documents}


def test_a_correction_recorded_while_a_run_reads_is_in_the_run_result(world, monkeypatch):
    """GIVEN a correction recorded and published while D-1 is being read again
    THEN the run's result carries it (the run's publish loses the race, and the next round re-applies records)."""
    store, runtime, _reader = world
    real_reader = process.read_page
    state = {}

    def reader_with_correction(page, **kw):
        if not state:
            current = stored(store)
            ktp = next(d for d in current.documents if d.type == DocType.KTP)
            key, prov = corrections.record(store, "D-1", ktp, "nama", "SITI AMINAH KOREKSI", by="pps.x",
                                           role="PPS", before=ktp.fields.get("nama"))
            state["key"] = key
            from review.service import recheck_default

            corrections.publish_correction(store, runtime, "D-1", doc=ktp, field_name="nama",
                                           value="SITI AMINAH KOREKSI", provenance=prov, recheck=recheck_default)
        return real_reader(page, **kw)

    monkeypatch.setattr(process, "read_page", reader_with_correction)
    result = process.process_dossier("D-1", store=store, runtime=runtime)
    ktp = next(d for d in stored(store).documents if d.type == DocType.KTP)
    assert ktp.fields["nama"] == "SITI AMINAH KOREKSI" and ktp.corrected["nama"].correction == state["key"]
    assert result.model_dump(exclude={"processed_at"}) == stored(store).model_dump(exclude={"processed_at"})
