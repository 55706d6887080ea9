"""A page's document type set by hand: recorded, audited, re-queued, and honoured by the next reading."""

from __future__ import annotations

import pytest

from models.contract import DocType, DossierResult
from pipeline import page_types, process
from pipeline.context import DocumentReading, FieldValue, PageInput
from pipeline.nlp import build_nlp
from pipeline.reading import read_page
from pipeline.storage import keys
from review import audit
from tests.unit.ocr_fakes import fake_page, tools
from tests.unit.test_extract import SEHAT_ROWS


def test_setting_a_type_records_it_and_queues_a_new_reading(login, store, enqueued):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0002/halaman/0/jenis", data={"csrf_token": client.csrf, "jenis": "ijazah"})
    assert "halaman dibaca ulang sebagai jenis itu" in r.text
    assert "Jenis diubah menjadi Ijazah; menunggu dibaca ulang" in r.text
    result = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0002")))
    d = result.documents[0]
    assert page_types.load(store, "KPPS-0002") == {(d.sha256, 1): DocType.IJAZAH}
    assert enqueued == [("KPPS-0002", 1)]
    [entry] = audit.trail(store, "KPPS-0002")
    assert entry["action"] == "set_page_type" and entry["before"]["type"] == "ktp" and entry["after"]["type"] == "ijazah"
    assert "Jenis halaman ditentukan" in r.text and "KTP-el → Ijazah" in r.text


@pytest.mark.parametrize("jenis", ["unknown", "paspor", ""])
def test_only_a_real_document_type_is_accepted(login, store, enqueued, jenis):
    client = login("pps.kebonagung")
    client.post("/berkas/KPPS-0002/halaman/0/jenis", data={"csrf_token": client.csrf, "jenis": jenis})
    assert page_types.load(store, "KPPS-0002") == {} and enqueued == []


def test_another_area_cannot_set_a_type(login, store):
    client = login("kpu.malang")
    r = client.post("/berkas/KPPS-0001/halaman/0/jenis", data={"csrf_token": client.csrf, "jenis": "ijazah"})
    assert r.status_code == 403 and page_types.load(store, "KPPS-0001") == {}


def test_without_a_processing_queue_the_page_says_when_it_will_be_read(store, light_runtime, login, app):
    app.state.service.enqueue = None
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0002/halaman/0/jenis", data={"csrf_token": client.csrf, "jenis": "ijazah"})
    assert "akan dibaca pada pemrosesan berikutnya" in r.text
    assert "Akan diproses pada pemrosesan berikutnya" in r.text


def test_the_next_processing_reads_the_page_as_that_type(store, light_runtime, monkeypatch):
    """GIVEN KPPS-0002's KTP page typed by hand as an ijazah WHEN the dossier is processed again THEN that
    page is read as an ijazah and the checks run on it (the KTP is now missing)."""
    seeded = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0002")))
    by_page = {(d.file, d.page): d for d in seeded.documents}
    asked: list[DocType | None] = []

    def reader(page, tools, doc_type=None) -> DocumentReading:
        asked.append(doc_type)
        d = by_page[(page.file, page.page)]
        fields = {k: FieldValue(v, 0.9, None) for k, v in d.fields.items()}
        return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=doc_type or d.type,
                               type_scores={d.type.value: 0.95}, fields=fields)

    monkeypatch.setattr(process, "read_page", reader)
    ktp = seeded.documents[0]
    page_types.set_type(store, "KPPS-0002", sha256=ktp.sha256, page=1, file=ktp.file, doc_type=DocType.IJAZAH,
                        by="pps.kebonagung", role="PPS")
    result = process.process_dossier("KPPS-0002", store=store, runtime=light_runtime)
    assert DocType.IJAZAH in asked
    assert result.documents[0].type == DocType.IJAZAH
    assert DocType.KTP in result.missing_documents


def test_read_page_reads_as_the_type_it_is_given():
    page = PageInput(file="berkas.pdf", page=1, sha256="0" * 64, text_layer=fake_page(SEHAT_ROWS), kind="pdf")
    t = tools(build_nlp(), None)
    assert read_page(page, t).type == DocType.SURAT_SEHAT
    forced = read_page(page, t, doc_type=DocType.IJAZAH)
    assert forced.type == DocType.IJAZAH
    assert forced.type_scores["surat_sehat"] > forced.type_scores["ijazah"]  # the classifier's view is kept
