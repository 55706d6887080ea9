"""The orchestrator's re-check path (no OCR): publishing, flags, duplicates across dossiers, idempotency."""

from __future__ import annotations

import pytest

from config.rules import load_rules
from config.settings import Settings
from models.contract import DocType, DocumentResult, DossierResult, Registration
from pipeline.process import evaluate_and_publish, recheck_dossier
from pipeline.regions import Regions
from pipeline.runtime import Runtime
from pipeline.storage import keys
from pipeline.storage.local import LocalStore


class NoEngine:
    name = "none"

    def read(self, image, *, psm=3, whitelist=None):
        raise AssertionError("re-checks must not OCR")


@pytest.fixture
def runtime(tmp_path) -> Runtime:
    settings = Settings(store_path=tmp_path / "store")
    return Runtime(settings=settings, engine=NoEngine(), nlp=None, rules=load_rules(settings.rules_file),
                   regions=Regions.load())


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def registration(dossier_id: str, nik: str, tps: str = "003") -> Registration:
    return Registration.model_validate({
        "dossier_id": dossier_id, "nama": "SITI AMINAH", "nik": nik, "tanggal_lahir": "1999-06-05",
        "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
                    "desa_kelurahan": "KEBONAGUNG", "tps": tps},
    })


def ktp(nik: str) -> DocumentResult:
    fields = {"nik": nik, "nama": "SITI AMINAH", "tanggal_lahir": "1999-06-05", "jenis_kelamin": "PEREMPUAN"}
    return DocumentResult(file="ktp.jpg", page=1, type=DocType.KTP, fields=fields,
                          confidence=dict.fromkeys(fields, 0.99))


def publish(store, runtime, dossier_id, nik, tps="003") -> DossierResult:
    reg = registration(dossier_id, nik, tps)
    store.put_json(keys.registration_key(dossier_id), reg.model_dump(mode="json"))
    return evaluate_and_publish(store, runtime, dossier_id, reg, [ktp(nik)], [])


NIK_A = "3575024506990001"
NIK_B = "3575024506990002"


def test_incomplete_dossier_is_flagged_in_its_area(store, runtime):
    result = publish(store, runtime, "D1", NIK_A)
    assert result.status.value == "incomplete"  # no ijazah, no surat sehat
    flags = list(store.list("flags/"))
    assert flags == [keys.flag_key(keys.AreaCodes.from_match(
        runtime.regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG"), tps="003"), "D1")]
    assert flags[0].startswith("flags/35.75/35.75.02/35.75.02.1005/003/")
    assert result.area_match.confident and result.area_match.matched["desa"] == "35.75.02.1005"
    assert store.get_json(flags[0])["area_match"]["scores"]["desa"] == 1.0


def test_same_result_twice_is_written_once(store, runtime):
    publish(store, runtime, "D1", NIK_A)
    publish(store, runtime, "D1", NIK_A)
    assert len(list(store.list(keys.result_history_prefix("D1")))) == 1


def test_duplicates_flag_both_dossiers_and_name_each_other(store, runtime):
    first = publish(store, runtime, "D1", NIK_A)
    assert first.duplicate_dossiers == []
    second = publish(store, runtime, "D2", NIK_A, tps="004")
    assert second.duplicate_dossiers == ["D1"]
    stored_first = DossierResult.model_validate(store.get_json(keys.result_key("D1")))
    assert stored_first.duplicate_dossiers == ["D2"]
    dup_check = next(c for c in stored_first.checks if c.id == "duplicate_nik")
    assert dup_check.status.value != "pass" and "D2" in dup_check.message


def test_reprocessing_with_another_nik_clears_the_duplicate(store, runtime):
    publish(store, runtime, "D1", NIK_A)
    publish(store, runtime, "D2", NIK_A)
    publish(store, runtime, "D2", NIK_B)  # e.g. a verifier corrected a misread NIK
    stored_first = DossierResult.model_validate(store.get_json(keys.result_key("D1")))
    assert stored_first.duplicate_dossiers == []
    assert all(c.reason != "DUPLICATE_NIK" for c in stored_first.checks)


def test_recheck_without_a_result_does_nothing(store, runtime):
    assert recheck_dossier("NOPE", store=store, runtime=runtime) is None
