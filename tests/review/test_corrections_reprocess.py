"""A verifier's correction survives the dossier being processed again from its scans.

End to end through the real pipeline (intake of the stored originals, checks, decision, publish, queue index)
and the review app's HTTP routes; only the page reader is a stand-in (`pipeline.process.read_page`), which
reads every page as the seeded demo result says, so the KTP name is misread ("SITI RAHAYI") on every run,
exactly as a real OCR misread repeats.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from models.contract import DocType, DossierResult
from pipeline import process
from pipeline.context import DocumentReading, FieldValue
from pipeline.errors import OcrFailed
from pipeline.storage import keys
from review import audit

DOSSIER = "KPPS-0001"


class Reader:
    """`read_page` stand-in: the seeded readings by (file, page); unknown pages read as nothing."""

    def __init__(self, seeded: DossierResult) -> None:
        self.docs = {(d.file, d.page): d for d in seeded.documents}
        self.unreadable: set[str] = set()
        self.as_type: dict[str, DocType] = {}

    def __call__(self, page, tools) -> DocumentReading:
        if page.file in self.unreadable:
            raise OcrFailed("unreadable in this run")
        d = self.docs.get((page.file, page.page))
        if d is None:
            return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=DocType.UNKNOWN)
        doc_type = self.as_type.get(page.file, d.type)
        fields = {k: FieldValue(v, d.confidence.get(k, 0.9), None) for k, v in d.fields.items()}
        return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=doc_type,
                               type_scores={doc_type.value: 0.95}, fields=fields)


@pytest.fixture
def reader(store, monkeypatch) -> Reader:
    r = Reader(DossierResult.model_validate(store.get_json(keys.result_key(DOSSIER))))
    monkeypatch.setattr(process, "read_page", r)
    return r


@pytest.fixture
def reprocess(store, light_runtime, reader):
    def run() -> DossierResult:
        return process.process_dossier(DOSSIER, store=store, runtime=light_runtime)
    return run


def result(store) -> DossierResult:
    return DossierResult.model_validate(store.get_json(keys.result_key(DOSSIER)))


def ktp(res: DossierResult):
    return next(d for d in res.documents if d.type == DocType.KTP)


def actions(store) -> list[str]:
    return [e["action"] for e in audit.trail(store, DOSSIER)]


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, format="PNG")
    return buf.getvalue()


def correct_name(login, current: DossierResult):
    """The PPS corrects the misread KTP name through the app; returns their client."""
    client = login("pps.kebonagung")
    index = next(i for i, d in enumerate(current.documents) if d.type == DocType.KTP)
    r = client.post(f"/berkas/{DOSSIER}/koreksi",
                    data={"csrf_token": client.csrf, "document": str(index), "field": "nama", "value": "siti rahayu"})
    assert "Koreksi tersimpan" in r.text
    return client


def test_process_correct_upload_reprocess_keeps_the_verifiers_value(login, store, reprocess):
    """GIVEN a dossier processed from its scans, whose KTP name the reader misreads
    WHEN a verifier corrects the name, uploads another scan, and the dossier is processed again
    THEN the new result holds the verifier's name (marked as theirs, with what the reader said), the name
    check passes, the queue shows the new result, and the audit trail records every step."""
    first = reprocess()
    assert ktp(first).fields["nama"] == "SITI RAHAYI" and not ktp(first).corrected
    assert next(c for c in first.checks if c.id == "identity_reg_ktp_nama").status.value == "review"

    client = correct_name(login, first)
    corrected = result(store)
    assert ktp(corrected).fields["nama"] == "SITI RAHAYU"
    assert ktp(corrected).corrected["nama"].by == "pps.kebonagung"
    [record] = list(store.list(keys.corrections_prefix(DOSSIER)))

    r = client.post(f"/berkas/{DOSSIER}/unggah", data={"csrf_token": client.csrf},
                    files={"file": ("ktp-baru.png", png(), "image/png")})
    assert r.status_code == 200
    again = reprocess()
    assert "ktp-baru.png" in {d.file for d in again.documents}  # really read from the scans again
    name = ktp(again)
    assert name.fields["nama"] == "SITI RAHAYU" and name.confidence["nama"] == 1.0
    assert name.corrected["nama"].by == "pps.kebonagung" and name.corrected["nama"].role == "PPS"
    assert name.corrected["nama"].read_value == "SITI RAHAYI" and name.corrected["nama"].correction == record
    assert next(c for c in again.checks if c.id == "identity_reg_ktp_nama").status.value == "pass"
    assert result(store).processed_at == again.processed_at

    assert actions(store) == ["correct", "upload", "corrections_reapplied"]
    reapplied = audit.trail(store, DOSSIER)[-1]
    assert reapplied["by"] == "berkas" and reapplied["after"][0]["field"] == "nama"
    assert reapplied["after"][0]["changed"] is True and reapplied["result_processed_at"] == again.processed_at

    html = client.get(f"/berkas/{DOSSIER}").text
    assert "dikoreksi pps.kebonagung" in html and "Koreksi diterapkan lagi" in html
    queue = client.get("/antrean?keadaan=semua").text
    row = re.search(rf'href="/berkas/{DOSSIER}">.*?</tr>', queue, re.S)
    assert row and "LOW_CONFIDENCE" not in row[0]  # the name checks pass now; the queue row follows


def test_a_correction_of_a_page_that_is_gone_is_dropped_once_and_audited(login, store, reprocess):
    first = reprocess()
    correct_name(login, first)
    ktp_file = ktp(first).file
    manifest = store.get_json(keys.manifest_key(DOSSIER))  # re-ingested without the KTP scan
    manifest["files"] = [f for f in manifest["files"] if f["name"] != ktp_file]
    store.put_json(keys.manifest_key(DOSSIER), manifest)

    after = reprocess()
    assert all(d.type != DocType.KTP for d in after.documents) and after.status.value == "incomplete"
    dropped = [e for e in audit.trail(store, DOSSIER) if e["action"] == "correction_dropped"]
    assert len(dropped) == 1 and dropped[0]["reason"] == "PAGE_GONE" and dropped[0]["field"] == "nama"
    reprocess()
    assert actions(store).count("correction_dropped") == 1  # once, however often it is processed
    assert "corrections_reapplied" not in actions(store)


def test_a_correction_waits_while_its_page_is_unreadable(login, store, reprocess, reader):
    first = reprocess()
    correct_name(login, first)
    reader.unreadable.add(ktp(first).file)
    during = reprocess()
    assert all(d.type != DocType.KTP for d in during.documents)
    assert "correction_dropped" not in actions(store)
    reader.unreadable.clear()
    later = reprocess()
    assert ktp(later).fields["nama"] == "SITI RAHAYU" and ktp(later).corrected["nama"].by == "pps.kebonagung"


def test_a_correction_is_dropped_when_the_page_now_reads_as_another_document_type(login, store, reprocess, reader):
    first = reprocess()
    correct_name(login, first)
    client = login("pps.kebonagung")
    index = next(i for i, d in enumerate(result(store).documents) if d.type == DocType.KTP)
    r = client.post(f"/berkas/{DOSSIER}/koreksi", data={"csrf_token": client.csrf, "document": str(index),
                                                         "field": "golongan_darah", "value": "o"})
    assert "Koreksi tersimpan" in r.text
    reader.as_type[ktp(first).file] = DocType.IJAZAH  # ijazah has a name, but no blood group
    after = reprocess()
    doc = next(d for d in after.documents if d.file == ktp(first).file)
    assert doc.fields["nama"] == "SITI RAHAYU" and "golongan_darah" not in doc.corrected
    [dropped] = [e for e in audit.trail(store, DOSSIER) if e["action"] == "correction_dropped"]
    assert dropped["reason"] == "DOCUMENT_TYPE_CHANGED" and dropped["field"] == "golongan_darah"


def test_a_second_correction_of_the_same_field_wins_and_keeps_the_machine_reading(login, store, reprocess):
    first = reprocess()
    client = correct_name(login, first)
    index = next(i for i, d in enumerate(result(store).documents) if d.type == DocType.KTP)
    client.post(f"/berkas/{DOSSIER}/koreksi", data={"csrf_token": client.csrf, "document": str(index),
                                                     "field": "nama", "value": "siti rahayu ningsih"})
    assert ktp(result(store)).corrected["nama"].read_value == "SITI RAHAYI"
    again = reprocess()
    assert ktp(again).fields["nama"] == "SITI RAHAYU NINGSIH"
    assert ktp(again).corrected["nama"].read_value == "SITI RAHAYI"


def test_no_personal_data_in_the_log_of_a_reprocessing(login, store, reprocess, caplog):
    first = reprocess()
    correct_name(login, first)
    caplog.clear()
    with caplog.at_level("DEBUG"):
        reprocess()
    text = caplog.text
    assert "RAHAY" not in text and "3575024506990001" not in text and "1999-06-05" not in text
