"""Acting on a dossier: claims, decisions, corrections (real re-check, no OCR), uploads, the audit trail."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

from PIL import Image
from review_helpers import claim_holder, latest_decision

from models.contract import CheckStatus, DossierResult
from pipeline.storage import keys
from review import audit
from review.db import ClaimRow


def trail(store, dossier_id: str) -> list[dict]:
    return audit.trail(store, dossier_id)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


# MS on KPPS-0001 (all documents, the KTP name read as SITI RAHAYI): confirmed, with a reason for the one
# check it overrides
MS_0001 = {"konfirmasi": "ya", "alasan__identity_reg_ktp_nama": "Di KTP-el aslinya tertulis RAHAYU"}


def test_claim_blocks_others_until_released(login, store, db):
    pps, ppk = login("pps.kebonagung"), login("ppk.purworejo")
    assert pps.post("/berkas/KPPS-0001/klaim", data={"csrf_token": pps.csrf}).status_code == 200
    assert claim_holder(db, "KPPS-0001") == "pps.kebonagung"

    r = ppk.post("/berkas/KPPS-0001/setujui", data={"csrf_token": ppk.csrf, **MS_0001})
    assert "sedang dikerjakan oleh pps.kebonagung" in r.text
    assert latest_decision(db, "KPPS-0001") is None

    ppk.post("/berkas/KPPS-0001/lepas", data={"csrf_token": ppk.csrf})  # not theirs: stays
    assert claim_holder(db, "KPPS-0001") is not None
    pps.post("/berkas/KPPS-0001/lepas", data={"csrf_token": pps.csrf})
    assert claim_holder(db, "KPPS-0001") is None
    ppk.post("/berkas/KPPS-0001/setujui", data={"csrf_token": ppk.csrf, **MS_0001})
    assert latest_decision(db, "KPPS-0001")["by"] == "ppk.purworejo"


def test_an_expired_claim_does_not_block(login, store, db):
    with db.write() as s:
        s.add(ClaimRow(dossier_id="KPPS-0001", username="ppk.purworejo",
                       expires_at=datetime(2023, 12, 12, 8, 0, tzinfo=UTC)))
    client = login("pps.kebonagung")
    client.post("/berkas/KPPS-0001/klaim", data={"csrf_token": client.csrf})
    assert claim_holder(db, "KPPS-0001") == "pps.kebonagung"


def test_approve_records_the_decision_and_an_audit_entry(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0001/setujui", data={"csrf_token": client.csrf, **MS_0001})
    assert "Keputusan tersimpan: Memenuhi Syarat" in r.text
    decision = latest_decision(db, "KPPS-0001")
    assert decision["decision"] == "MS" and decision["by"] == "pps.kebonagung"
    assert decision["result_processed_at"] == "2023-12-12T08:00:00+00:00"
    assert decision["override"] is True
    assert [(o["check"], o["reason"]) for o in decision["overrides"]] == [
        ("identity_reg_ktp_nama", "Di KTP-el aslinya tertulis RAHAYU")]
    entries = trail(store, "KPPS-0001")
    assert [e["action"] for e in entries] == ["approve"]
    assert entries[0]["by"] == "pps.kebonagung" and entries[0]["role"] == "PPS"
    assert entries[0]["before"] is None and entries[0]["after"]["decision"] == "MS"
    assert entries[0]["after"]["overrides"][0]["reason"] == "Di KTP-el aslinya tertulis RAHAYU"
    # the history on the dossier page names the overridden check in words, with the reason
    html = client.get("/berkas/KPPS-0001").text
    assert "mengesampingkan “Nama di pendaftaran dan KTP-el”" in html and "tertulis RAHAYU" in html


def test_reject_needs_a_reason(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0001/tolak", data={"csrf_token": client.csrf, "reason": "  ", "konfirmasi": "ya"})
    assert "Tuliskan alasan penolakan" in r.text and latest_decision(db, "KPPS-0001") is None
    client.post("/berkas/KPPS-0001/tolak", data={"csrf_token": client.csrf, "reason": "Ijazah milik orang lain",
                                                 "konfirmasi": "ya", "dasar": ["identity_reg_ktp_nama", "bukan"]})
    decision = latest_decision(db, "KPPS-0001")
    assert decision["decision"] == "TMS" and decision["reason"] == "Ijazah milik orang lain"
    assert [g["check"] for g in decision["grounds"]] == ["identity_reg_ktp_nama"]  # unknown ids are dropped
    assert decision["override"] is False


def test_documents_requested_keeps_the_list_and_history(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0002/minta-dokumen", data={"csrf_token": client.csrf})
    assert "Pilih dokumen" in r.text
    client.post("/berkas/KPPS-0002/minta-dokumen",
                data={"csrf_token": client.csrf, "documents": ["ijazah", "bukan-dokumen"]})
    client.post("/berkas/KPPS-0002/tolak", data={"csrf_token": client.csrf, "konfirmasi": "ya",
                                                 "reason": "Ijazah tidak diserahkan"})
    assert latest_decision(db, "KPPS-0002")["decision"] == "TMS"
    entries = trail(store, "KPPS-0002")
    assert [e["action"] for e in entries] == ["request_documents", "reject"]
    assert entries[0]["after"]["documents"] == ["ijazah"]
    assert entries[1]["before"]["decision"] == "DOCS_REQUESTED"  # the earlier decision is kept in the trail


def test_correcting_a_field_rechecks_and_publishes_without_ocr(login, store):
    old = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    assert any(c.reason == "NAME_MISMATCH" for c in old.checks)
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0001/koreksi",
                    data={"csrf_token": client.csrf, "document": "0", "field": "nama", "value": " siti  rahayu "})
    assert "Koreksi tersimpan" in r.text and "dikoreksi pps.kebonagung" in r.text

    new = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    assert new.documents[0].fields["nama"] == "SITI RAHAYU" and new.documents[0].confidence["nama"] == 1.0
    name_check = next(c for c in new.checks if c.id == "identity_reg_ktp_nama")
    assert name_check.status == CheckStatus.PASS
    assert new.processed_at != old.processed_at
    assert len(list(store.list(keys.result_history_prefix("KPPS-0001")))) == 1  # published through history

    [entry] = trail(store, "KPPS-0001")
    assert entry["action"] == "correct" and entry["corrected_by"] == "pps.kebonagung"
    assert entry["field"] == "nama" and entry["before"]["value"] == "SITI RAHAYI"
    assert entry["after"] == {"value": "SITI RAHAYU", "status": new.status.value}


def test_invalid_corrections_change_nothing(login, store):
    client = login("pps.kebonagung")
    before = store.get_bytes(keys.result_key("KPPS-0001"))
    for doc, field, value, message in [
        ("0", "nik", "1234", "NIK harus 16 angka"),
        ("0", "tanggal_lahir", "31-02-1999", "Tanggal harus"),
        ("0", "nama_sekolah", "SMA 1", "tidak ada pada jenis dokumen"),
        ("7", "nama", "SITI", "Dokumen tidak ada"),
        ("x", "nama", "SITI", "Dokumen tidak ada"),
        ("0", "nama", "", "tidak boleh kosong"),
    ]:
        r = client.post("/berkas/KPPS-0001/koreksi",
                        data={"csrf_token": client.csrf, "document": doc, "field": field, "value": value})
        assert message in r.text, (field, value)
    assert store.get_bytes(keys.result_key("KPPS-0001")) == before
    assert trail(store, "KPPS-0001") == []


def test_upload_stores_a_new_original_and_queues_reprocessing(login, store, enqueued):
    client = login("pps.kebonagung")
    data = png_bytes()
    r = client.post("/berkas/KPPS-0002/unggah", data={"csrf_token": client.csrf},
                    files={"file": ("../ijazah baru.png", data, "image/png")})
    assert "masuk antrean pemrosesan" in r.text
    waiting = r.text.split("Menunggu diproses", 1)[1].split("</section>", 1)[0]
    assert "ijazah baru.png" in waiting and "pps.kebonagung" in waiting
    sha = hashlib.sha256(data).hexdigest()
    assert store.get_bytes(keys.original_key("KPPS-0002", sha, "ijazah baru.png")) == data
    manifest = store.get_json(keys.manifest_key("KPPS-0002"))
    assert manifest["version"] == 2
    assert {"name": "ijazah baru.png", "sha256": sha} .items() <= next(
        f for f in manifest["files"] if f["sha256"] == sha).items()
    assert enqueued == [("KPPS-0002", 2)]
    [entry] = trail(store, "KPPS-0002")
    assert entry["action"] == "upload" and entry["reprocess"] == "queued" and entry["job_id"] == "job-KPPS-0002-v2"

    # the same bytes again: no new original, no manifest change
    client.post("/berkas/KPPS-0002/unggah", data={"csrf_token": client.csrf},
                files={"file": ("lagi.png", data, "image/png")})
    assert store.get_json(keys.manifest_key("KPPS-0002"))["version"] == 2


def test_upload_refuses_unsupported_and_empty_files(login, store, enqueued):
    client = login("pps.kebonagung")
    before = sorted(store.list("originals/KPPS-0002/"))
    for name, data, message in [("virus.exe", b"MZ...", "tidak didukung"), ("kosong.jpg", b"", "File kosong")]:
        r = client.post("/berkas/KPPS-0002/unggah", data={"csrf_token": client.csrf},
                        files={"file": (name, data, "application/octet-stream")})
        assert message in r.text
    assert sorted(store.list("originals/KPPS-0002/")) == before and enqueued == []


def test_audit_entries_are_never_overwritten(store):
    keys_written = [audit.append(store, "KPPS-0001", "claim", f"user{i}", "PPS") for i in range(5)]
    assert len(set(keys_written)) == 5
    assert [e["by"] for e in audit.trail(store, "KPPS-0001")] == [f"user{i}" for i in range(5)]


def test_no_name_nik_or_birth_date_in_the_logs(login, caplog):
    caplog.set_level("DEBUG")
    client = login("pps.kebonagung")
    client.get("/antrean")
    client.get("/berkas/KPPS-0001")
    client.post("/berkas/KPPS-0001/koreksi",
                data={"csrf_token": client.csrf, "document": "0", "field": "nik", "value": "3575024506990009"})
    client.post("/berkas/KPPS-0001/koreksi",
                data={"csrf_token": client.csrf, "document": "0", "field": "nama", "value": "SITI RAHAYU"})
    client.get("/berkas/KPPS-0003")  # refused, and logged
    text = caplog.text
    assert "KPPS-0001" in text  # the log does speak about the dossier...
    for secret in ("3575024506990001", "3575024506990009", "RAHAYU", "RAHAYI", "1999-06-05", "05-06-1999"):
        assert secret not in text  # ...but never names who is in it


def test_decision_reaches_the_report_summary_row(login, store):
    """GIVEN a dossier with a summary row WHEN a verifier approves it THEN the nightly report sees it reviewed."""
    from types import SimpleNamespace

    from models.contract import DossierResult
    from pipeline.publish import area_of
    from pipeline.regions import Regions
    from pipeline.reports.summary import SummaryRow, summary_from_result, write_summary
    from pipeline.storage import keys

    result = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    area = area_of(result, SimpleNamespace(regions=Regions.load()))
    row_key = write_summary(store, summary_from_result(result, area))
    assert SummaryRow.model_validate(store.get_json(row_key)).review is None

    client = login("pps.kebonagung")
    client.post("/berkas/KPPS-0001/setujui", data={"csrf_token": client.csrf, **MS_0001})
    row = SummaryRow.model_validate(store.get_json(row_key))
    assert row.review is not None and row.review.decision.value == "approved"
    assert row.review.override  # approved over a check in review: the report counts it apart
