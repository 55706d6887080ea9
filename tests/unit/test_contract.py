"""The published contract: models, JSON Schema file, registration validation."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from models import DossierResult, Registration
from models.schema import SCHEMA_DIR, schemas


def test_committed_schemas_match_the_models():
    for name, schema in schemas().items():
        committed = json.loads((SCHEMA_DIR / name).read_text())
        assert committed == schema, f"{name} is stale: run `python -m models.schema`"


def test_result_schema_names_the_contract_fields():
    props = schemas()["result.schema.json"]["properties"]
    for key in ("dossier_id", "status", "missing_documents", "documents", "checks", "errors", "pipeline_version"):
        assert key in props
    status_enum = schemas()["result.schema.json"]["$defs"]["DossierStatus"]["enum"]
    assert sorted(status_enum) == ["complete", "incomplete", "needs_review", "not_eligible"]


def _reg(**over):
    base = {
        "dossier_id": "D-0001", "nama": "SITI AMINAH", "nik": "3575024506990001", "tanggal_lahir": "1999-06-05",
        "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
                    "desa_kelurahan": "KEBONAGUNG", "tps": "003"},
    }
    base.update(over)
    return base


def test_registration_parses_iso_date():
    reg = Registration.model_validate(_reg())
    assert reg.tanggal_lahir.isoformat() == "1999-06-05"


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "x" * 200, "id with space"])
def test_registration_rejects_unsafe_dossier_ids(bad):
    with pytest.raises(ValidationError):
        Registration.model_validate(_reg(dossier_id=bad))


def test_registration_requires_wilayah():
    data = _reg()
    del data["wilayah"]
    with pytest.raises(ValidationError):
        Registration.model_validate(data)


def test_result_rejects_unknown_status():
    with pytest.raises(ValidationError):
        DossierResult.model_validate({"dossier_id": "x", "status": "ok", "pipeline_version": "0"})
