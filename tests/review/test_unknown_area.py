"""Finding 8 (issue 13): a registered area that is not matched confidently is filed under `unknown`, which only an
admin sees; the match scores travel on the flag and in result.json."""

from __future__ import annotations

import re

import pytest
from review_helpers import FAST_HASHER

from models.contract import DossierResult, Wilayah
from pipeline.publish import area_match_info, publish_result
from pipeline.storage import keys
from review.accounts import Accounts
from review.demo import DEMO_PASSWORD


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="id"><a href="/berkas/([^"]+)">', html)


@pytest.mark.parametrize(("kecamatan", "desa", "best_guess_pps", "best_guess_area"), [
    # `-` used to resolve to the first kecamatan of the kota (Gadingrejo), whose desa Karangketug then matched
    ("-", "KARANGKETUG", "pps.karangketug", "35.75.01.1001"),
    # a desa that scores best as Kebonagung, but weakly
    ("PURWOREJO", "KBNGNG", "pps.kebonagung", "35.75.02.1005"),
])
def test_a_weakly_matched_area_is_seen_by_admin_only(store, db, light_runtime, login, kecamatan, desa, best_guess_pps,
                                                      best_guess_area):
    Accounts(db, light_runtime.regions, hasher=FAST_HASHER).create(
        "pps.karangketug", DEMO_PASSWORD, "PPS", "35.75.01.1001")
    old = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    result = old.model_copy(update={"wilayah": Wilayah(provinsi="JAWA TIMUR", kabupaten_kota="KOTA PASURUAN",
                                                        kecamatan=kecamatan, desa_kelurahan=desa, tps="003")})
    result.area_match = area_match_info(result.wilayah, light_runtime.regions)
    assert publish_result(store, result, runtime=light_runtime)

    flags = [k for k in store.list("flags/") if k.endswith("/KPPS-0001.json")]
    assert flags == ["flags/unknown/unknown/unknown/003/KPPS-0001.json"]
    flag = store.get_json(flags[0])
    assert flag["area_match"]["confident"] is False and flag["area_match"]["min_score"] == 0.85
    assert min(flag["area_match"]["scores"][k] for k in ("kecamatan", "desa")) < 0.85
    stored = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    assert stored.area_match is not None and stored.area_match.confident is False
    assert not any(k.startswith(f"summaries/{best_guess_area[:5]}/") and k.endswith("/KPPS-0001.json")
                   for k in store.list("summaries/"))

    for username in (best_guess_pps, "ppk.purworejo", "kpu.pasuruan"):
        client = login(username)
        assert "KPPS-0001" not in listed(client.get("/antrean").text), username
        page = client.get("/berkas/KPPS-0001")
        assert page.status_code == 403 and "3575024506990001" not in page.text, username
    admin = login("admin")
    assert "KPPS-0001" in listed(admin.get("/antrean").text)
    assert admin.get("/berkas/KPPS-0001").status_code == 200


def test_a_confident_area_is_filed_under_its_codes(store, light_runtime, login):
    old = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    result = old.model_copy(update={"wilayah": Wilayah(provinsi="JAWA TIMUR", kabupaten_kota="Kota Pasuruan",
                                                        kecamatan="Kec. Purworejo", desa_kelurahan="Kebon Agung",
                                                        tps="3")})
    result.area_match = area_match_info(result.wilayah, light_runtime.regions)
    publish_result(store, result, runtime=light_runtime)
    assert store.exists("flags/35.75/35.75.02/35.75.02.1005/003/KPPS-0001.json")
    flag = store.get_json("flags/35.75/35.75.02/35.75.02.1005/003/KPPS-0001.json")
    assert flag["area_match"]["confident"] is True
    assert flag["area_match"]["matched"]["desa"] == "35.75.02.1005"
    assert "KPPS-0001" in listed(login("pps.kebonagung").get("/antrean").text)


def test_a_processing_failure_of_a_weak_area_is_flagged_under_unknown(store, light_runtime):
    """The failure flag (workers/failures.py) files by the same rule as a published result."""
    from workers.failures import area_of_dossier, record_failure

    reg = store.get_json(keys.registration_key("KPPS-0004"))
    reg["wilayah"]["kecamatan"] = "-"
    store.put_json(keys.registration_key("KPPS-0004"), reg)
    assert area_of_dossier(store, "KPPS-0004", light_runtime.regions) == keys.AreaCodes(tps="002")
    record_failure(store, "KPPS-0004", job_id="j1", error=None, error_type="Boom", attempt=1, final=True,
                   regions=light_runtime.regions)
    flag = store.get_json("flags/unknown/unknown/unknown/002/KPPS-0004.json")
    assert flag["reasons"] == ["PROCESSING_FAILED"]
    assert flag["area_match"]["confident"] is False and flag["area_match"]["scores"]["kecamatan"] == 0.0
