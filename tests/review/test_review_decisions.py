"""Decisions with their weight: MS refused while documents are missing, MS over failing or doubtful checks
only with a reason per check, MS/TMS only after a confirmation, then the next dossier of the queue."""

from __future__ import annotations

import io

from PIL import Image
from review_helpers import claim_holder, latest_decision

from pipeline.audit import trail
from pipeline.storage import keys

MS_0001 = {"konfirmasi": "ya", "alasan__identity_reg_ktp_nama": "Di KTP-el aslinya tertulis RAHAYU"}


def test_ms_on_a_dossier_with_missing_documents_is_refused_by_the_server(login, store, db):
    """GIVEN KPPS-0002 without its ijazah WHEN MS is posted directly, confirmed THEN nothing is decided."""
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0002/setujui", data={"csrf_token": client.csrf, "konfirmasi": "ya"})
    assert "MS tidak dapat diberikan: dokumen belum lengkap (ijazah)" in r.text
    assert latest_decision(db, "KPPS-0002") is None and trail(store, "KPPS-0002") == []
    # the page offers no MS button, and the confirmation page refuses too
    assert 'href="/berkas/KPPS-0002/setujui"' not in client.get("/berkas/KPPS-0002").text
    assert "MS tidak dapat diberikan" in client.get("/berkas/KPPS-0002/setujui").text


def test_ms_over_a_doubtful_check_needs_a_reason_for_it(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0001/setujui", data={"csrf_token": client.csrf, "konfirmasi": "ya",
                                                         "alasan__identity_reg_ktp_nama": "   "})
    assert "Tuliskan alasan untuk setiap pemeriksaan yang dikesampingkan (1 belum diisi)" in r.text
    assert latest_decision(db, "KPPS-0001") is None


def test_ms_and_tms_need_the_confirmation(login, store, db):
    client = login("pps.kebonagung")
    for action, data in (("setujui", {"alasan__identity_reg_ktp_nama": "ok"}), ("tolak", {"reason": "x"})):
        r = client.post(f"/berkas/KPPS-0001/{action}", data={"csrf_token": client.csrf, **data})
        assert "belum dikonfirmasi" in r.text
    assert latest_decision(db, "KPPS-0001") is None


def test_the_confirmation_pages_list_what_the_decision_overrides_or_rests_on(login):
    client = login("pps.kebonagung")
    ms = client.get("/berkas/KPPS-0001/setujui").text
    assert "Anda mengesampingkan 1 pemeriksaan" in ms
    assert 'name="alasan__identity_reg_ktp_nama"' in ms and "required" in ms
    assert 'name="konfirmasi" value="ya" required' in ms
    tms = login("admin").get("/berkas/KPPS-0004/tolak").text  # under age: a failing check, ticked as a ground
    assert "Dasar penolakan" in tms
    assert 'name="dasar" value="age_min" checked' in tms
    # on the dossier page MS and TMS are links to these pages, never buttons side by side
    page = client.get("/berkas/KPPS-0001").text
    assert 'action="/berkas/KPPS-0001/setujui"' not in page and 'action="/berkas/KPPS-0001/tolak"' not in page


def test_after_a_decision_the_next_dossier_opens(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0001/setujui", data={"csrf_token": client.csrf, **MS_0001, "lanjut": "ya"})
    assert r.url.path == "/berkas/KPPS-0002" and "Ini berkas berikutnya di antrean" in r.text
    assert claim_holder(db, "KPPS-0002") == "pps.kebonagung"  # claimed for them
    r = client.post("/berkas/KPPS-0002/tolak", data={"csrf_token": client.csrf, "konfirmasi": "ya",
                                                      "reason": "Ijazah tidak ada", "lanjut": "ya"})
    assert r.url.path == "/antrean" and "Tidak ada berkas lain yang menunggu" in r.text


def test_the_next_dossier_skips_one_claimed_by_someone_else(login):
    other, me = login("ppk.purworejo"), login("pps.kebonagung")
    other.post("/berkas/KPPS-0002/klaim", data={"csrf_token": other.csrf})
    r = me.post("/berkas/KPPS-0001/setujui", data={"csrf_token": me.csrf, **MS_0001, "lanjut": "ya"})
    assert r.url.path == "/antrean"


def test_the_crop_of_a_field_is_the_part_of_the_page_around_its_box(login, store):
    client = login("pps.kebonagung")
    r = client.get("/berkas/KPPS-0001/halaman/0/isian/nama")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    w, h = Image.open(io.BytesIO(r.content)).size
    assert 48 <= h < 200 and w < 1000  # a strip around the name, not the 1000x630 card
    assert client.get("/berkas/KPPS-0001/halaman/0/isian/tidak_ada").status_code == 404
    assert login("kpu.malang").get("/berkas/KPPS-0001/halaman/0/isian/nama").status_code == 403


def test_request_documents_offers_every_document_the_rules_ask_for(login, store, db):
    """OUT_OF_AREA asks for a domicile letter: the form offers it, pre-ticked, and the request records it."""
    from models.contract import Check, CheckStatus, DossierResult

    result = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    result.checks.append(Check(id="domicile", status=CheckStatus.REVIEW, reason="OUT_OF_AREA",
                               message="Alamat KTP-el di luar wilayah pendaftaran."))
    store.put_json(keys.result_key("KPPS-0001"), result.model_dump(mode="json"))
    client = login("pps.kebonagung")
    html = client.get("/berkas/KPPS-0001").text
    for label in ("KTP-el", "Ijazah", "Surat keterangan sehat", "Surat keterangan domisili",
                  "Pindaian ulang yang lebih jelas"):
        assert f"> {label}" in html
    assert 'value="surat_domisili" checked' in html and 'value="ijazah" checked' not in html
    client.post("/berkas/KPPS-0001/minta-dokumen", data={"csrf_token": client.csrf, "documents": ["surat_domisili"]})
    assert latest_decision(db, "KPPS-0001")["documents"] == ["surat_domisili"]
