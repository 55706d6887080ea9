"""Dossiers sharing a NIK, processed in parallel (issue 13, finding 2): no crash, no stale re-check.

The real pipeline from the store to the published result; only the page reader is a stand-in (fake_reading).
"""

from __future__ import annotations

import io
import json

import pytest
from fake_reading import TruthReader, install
from PIL import Image

from config.settings import Settings
from models.contract import DossierResult
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from workers.embedded import process_batch
from workers.ingest import ingest

NIK = "3575024506990001"
WILAYAH = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
           "desa_kelurahan": "KEBONAGUNG", "tps": "003"}
KTP = {"nik": NIK, "nama": "SITI AMINAH", "tempat_lahir": "PASURUAN", "tanggal_lahir": "1999-06-05",
       "jenis_kelamin": "PEREMPUAN", "kel_desa": "KEBONAGUNG", "kecamatan": "PURWOREJO",
       "kabupaten_kota": "KOTA PASURUAN", "provinsi": "JAWA TIMUR", "kewarganegaraan": "WNI"}


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 190), (seed % 251, (seed * 3) % 251, 180)).save(out, "PNG")
    return out.getvalue()


def make_batch(root, reader: TruthReader, count: int, *, nik_of=lambda i: NIK) -> list[str]:
    ids = []
    for i in range(count):
        d = f"D-{i:03d}"
        folder = root / d
        folder.mkdir(parents=True)
        reg = {"dossier_id": d, "nama": "SITI AMINAH", "nik": nik_of(i), "tanggal_lahir": "1999-06-05",
               "wilayah": WILAYAH}
        (folder / "registration.json").write_text(json.dumps(reg))
        data = png(i)
        (folder / "ktp.png").write_bytes(data)
        reader.learn(data, 1, "ktp", {**KTP, "nik": nik_of(i)})
        ids.append(d)
    return ids


@pytest.fixture
def reader(monkeypatch) -> TruthReader:
    r = TruthReader()
    install(r, monkeypatch)
    return r


def test_21_dossiers_sharing_a_nik_on_two_workers(tmp_path, reader):
    """GIVEN 21 dossiers holding one NIK, processed by `berkas run --workers 2` (the embedded pool)
    THEN none crashes (before: 2 of 21 ended as processing failures with IntegrityError) and each result names
    the 20 others as duplicates."""
    ids = make_batch(tmp_path / "input", reader, 21)
    settings = Settings(store="local", store_path=tmp_path / "store")
    store = LocalStore(settings.store_path)
    ingest(tmp_path / "input", store)
    outcome = process_batch(ids, settings, processes=2)
    assert outcome.crashed == {}
    assert not list(store.list("failures/"))
    for d in ids:
        result = DossierResult.model_validate(store.get_json(keys.result_key(d)))
        assert result.duplicate_dossiers == [o for o in ids if o != d], d
        assert "DUPLICATE_NIK" in {c.reason for c in result.checks}
