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


# ---- what a registration may hold (issue 13, finding 7) -------------------------------------------------


@pytest.mark.parametrize("nik", ["35750245069900AB", "3575O24506990001", "٣٥٧٥٠٢٤٥٠٦٩٩٠٠٠١", "３５７５０２４５０６９９０００１",
                                 "", "1" * 40])
def test_registration_refuses_a_nik_that_is_not_ascii_digits(nik):
    with pytest.raises(ValidationError) as e:
        Registration.model_validate(_reg(nik=nik))
    assert [err["loc"] for err in e.value.errors()] == [("nik",)]


def test_registration_takes_a_nik_written_in_groups():
    assert Registration.model_validate(_reg(nik=" 3575 0245-0699.0001 ")).nik == "3575 0245-0699.0001"


def test_registration_refuses_a_huge_name():
    with pytest.raises(ValidationError):
        Registration.model_validate(_reg(nama="A" * 60_000))
    assert Registration.model_validate(_reg(nama="A" * 200)).nama == "A" * 200


@pytest.mark.parametrize("tps", ['002"><script>alert(1)</script>', "0024x", "12345", "", "TPS"])
def test_registration_refuses_a_tps_that_is_not_a_number(tps):
    data = _reg()
    data["wilayah"]["tps"] = tps
    with pytest.raises(ValidationError):
        Registration.model_validate(data)


@pytest.mark.parametrize("tps", ["003", "3", "TPS 003", "tps-12"])
def test_registration_takes_tps_numbers(tps):
    data = _reg()
    data["wilayah"]["tps"] = tps
    assert Registration.model_validate(data).wilayah.tps == tps


def test_registration_refuses_markup_in_area_names():
    data = _reg()
    data["wilayah"]["kecamatan"] = "PURWOREJO<script>"
    with pytest.raises(ValidationError):
        Registration.model_validate(data)


def test_non_ascii_digits_never_reach_the_index_encoder():
    """The NIK index hashes ASCII digits only; Arabic-Indic digits used to raise UnicodeEncodeError there."""
    from pipeline.storage.keys import nik_hmac

    assert nik_hmac("٣٥٧٥٠٢٤٥٠٦٩٩٠٠٠١", "s") == nik_hmac("", "s")


def test_an_invalid_registration_names_the_fields_for_the_verifier():
    import json

    from pipeline.errors import RegistrationInvalid
    from pipeline.intake import read_registration

    data = _reg(nik="35750245069900AB")
    data["wilayah"]["tps"] = '002"><script>'
    with pytest.raises(RegistrationInvalid) as e:
        read_registration(json.dumps(data).encode(), folder_name=data["dossier_id"])
    assert "nik" in e.value.message_id and "wilayah.tps" in e.value.message_id
    assert "35750245069900AB" not in e.value.message_id + str(e.value)


def test_registration_takes_a_plain_wilayah_and_checks_it():
    from models.contract import Wilayah

    area = {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
            "desa_kelurahan": "KEBONAGUNG"}
    reg = Registration(**{**_reg(), "wilayah": Wilayah(**area, tps="003")})
    assert reg.wilayah.tps == "003"
    with pytest.raises(ValidationError):
        Registration(**{**_reg(), "wilayah": Wilayah(**area, tps="0024x")})


def test_result_schema_carries_the_provenance():
    """Requirements (version, sha256), pipeline version and code revision per result; engines per page."""
    schema = schemas()["result.schema.json"]
    assert "provenance" in schema["properties"]
    defs = schema["$defs"]
    assert set(defs["Provenance"]["properties"]) == {"requirements", "pipeline_version", "code_revision"}
    assert set(defs["RulesInfo"]["properties"]) == {"file", "version", "sha256"}
    assert {"name", "version", "data", "sha256", "files"} <= set(defs["EngineInfo"]["properties"])
    assert "read_with" in defs["DocumentResult"]["properties"]
