"""The queue's tools: name and NIK search (POSTed), orders, CSV of the view, claim-and-next, area names."""

from __future__ import annotations

import csv
import io
import re

from review_helpers import claim_holder, latest_decision


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="id"><a href="/berkas/([^"]+)">', html)


def test_search_by_name_is_fuzzy_and_scoped(login):
    admin = login("admin")
    r = admin.post("/antrean", data={"csrf_token": admin.csrf, "nama": "siti rahaju"})
    assert listed(r.text) == ["KPPS-0001"] and "hasil pencarian" in r.text
    assert "siti rahaju" not in str(r.url)  # the name never lands in a URL
    kpu = login("kpu.malang")  # SITI RAHAYU is in Kota Pasuruan: not found from Kota Malang
    assert listed(kpu.post("/antrean", data={"csrf_token": kpu.csrf, "nama": "SITI RAHAYU"}).text) == []


def test_search_by_nik_is_exact_and_through_the_keyed_index(login, store):
    client = login("ppk.purworejo")
    r = client.post("/antrean", data={"csrf_token": client.csrf, "nik": "3575 0212 0388 0002"})
    assert listed(r.text) == ["KPPS-0002"]
    assert "3575021203880002" not in str(r.url) and 'name="nik" value=""' in r.text  # not echoed back
    one_off = client.post("/antrean", data={"csrf_token": client.csrf, "nik": "3575021203880003"})
    assert listed(one_off.text) == []
    bad = client.post("/antrean", data={"csrf_token": client.csrf, "nik": "123"})
    assert "NIK harus 16 angka" in bad.text
    # the index holds keyed hashes only: the NIK itself is in no key of the store
    nik_keys = store.list("index/nik/")
    assert nik_keys and not any("3575021203880002" in k for k in nik_keys)


def test_the_search_needs_the_csrf_token(login):
    client = login("admin")
    assert client.post("/antrean", data={"nama": "SITI"}).status_code == 403


def test_orders(login):
    admin = login("admin")
    assert listed(admin.get("/antrean?urut=baru").text) == [
        "KPPS-0004", "KPPS-0003", "KPPS-0005", "KPPS-0001", "KPPS-0002"]
    by_status = listed(admin.get("/antrean?urut=status").text)
    assert by_status[0] == "KPPS-0004"  # not eligible first
    assert listed(admin.get("/antrean?urut=xx").text) == [
        "KPPS-0002", "KPPS-0001", "KPPS-0005", "KPPS-0003", "KPPS-0004"]  # unknown order: oldest first


def test_pagination(app, login):
    app.state.review_settings.page_size = 2
    admin = login("admin")
    first, third = admin.get("/antrean").text, admin.get("/antrean?hal=3").text
    assert listed(first) == ["KPPS-0002", "KPPS-0001"] and "Halaman 1 dari 3" in first
    assert listed(third) == ["KPPS-0004"]


def test_area_shows_kabupaten_kecamatan_and_desa(login):
    html = login("admin").get("/antrean").text
    assert re.search(r"KEBONAGUNG\s*<span class=\"muted\">· Kec\. PURWOREJO · KOTA PASURUAN</span>", html, re.I)


def test_csv_export_is_the_view_in_words_for_the_own_area(login):
    client = login("pps.kebonagung")
    r = client.get("/antrean.csv?urut=lama")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["berkas"] for row in rows] == ["KPPS-0002", "KPPS-0001"]
    assert rows[0]["alasan"] == "Ijazah tidak ada" and rows[0]["dokumen_kurang"] == "Ijazah"
    assert rows[1]["status"] == "Perlu diperiksa" and rows[1]["ditandai_wib"] == "12-12-2023 15:00 WIB"
    assert rows[1]["desa_kelurahan"].upper() == "KEBONAGUNG" and rows[1]["kecamatan"].upper() == "PURWOREJO"
    assert "RAHAYU" not in r.text and "3575024506990001" not in r.text  # no names, no NIKs
    searched = client.post("/antrean.csv", data={"csrf_token": client.csrf, "nama": "BUDI SANTOSO"})
    assert [row["berkas"] for row in csv.DictReader(io.StringIO(searched.content.decode("utf-8-sig")))] == [
        "KPPS-0002"]


def test_claim_next_claims_the_oldest_open_dossier(login, store, db):
    client = login("pps.kebonagung")
    r = client.post("/antrean/berikutnya", data={"csrf_token": client.csrf})
    assert r.url.path == "/berkas/KPPS-0002"
    assert claim_holder(db, "KPPS-0002") == "pps.kebonagung"
    other = login("ppk.purworejo")
    r = other.post("/antrean/berikutnya", data={"csrf_token": other.csrf})
    assert r.url.path == "/berkas/KPPS-0001"  # 0002 is taken: the next one


def test_dossier_ids_do_not_wrap_and_shortcuts_are_listed(login):
    html = login("admin").get("/antrean").text
    assert '<td class="id">' in html and "Pintasan papan ketik" in html
    assert 'src="/static/queue.js"' in html


def test_bulk_request_documents_for_a_selection(login, store, db):
    other = login("ppk.purworejo")
    other.post("/berkas/KPPS-0003/klaim", data={"csrf_token": other.csrf})
    client = login("kpu.pasuruan")
    r = client.post("/antrean/minta-dokumen", data={
        "csrf_token": client.csrf, "berkas": ["KPPS-0001", "KPPS-0002", "KPPS-0003", "KPPS-0005"],
        "documents": ["surat_domisili", "bukan"]})
    assert "Dokumen diminta untuk 2 berkas. 2 berkas dilewati" in r.text  # 0003 claimed, 0005 not in the area
    for did in ("KPPS-0001", "KPPS-0002"):
        d = latest_decision(db, did)
        assert d["decision"] == "DOCS_REQUESTED" and d["documents"] == ["surat_domisili"]
    assert latest_decision(db, "KPPS-0003") is None and latest_decision(db, "KPPS-0005") is None
    r = client.post("/antrean/minta-dokumen", data={"csrf_token": client.csrf, "berkas": ["KPPS-0004"]})
    assert "Centang berkas dan dokumen" in r.text
