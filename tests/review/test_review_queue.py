"""The queue: area scoping on the server, filters, oldest first, counts, decided dossiers."""

from __future__ import annotations

import re

import pytest

from pipeline import queue_index
from pipeline.storage import keys

ALL = {"KPPS-0001", "KPPS-0002", "KPPS-0003", "KPPS-0004", "KPPS-0005"}


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="id"><a href="/berkas/([^"]+)">', html)


@pytest.mark.parametrize("username,expected", [
    ("pps.kebonagung", {"KPPS-0001", "KPPS-0002"}),
    ("pps.pohjentrek", {"KPPS-0003"}),
    ("ppk.purworejo", {"KPPS-0001", "KPPS-0002", "KPPS-0003"}),
    ("kpu.pasuruan", {"KPPS-0001", "KPPS-0002", "KPPS-0003", "KPPS-0004"}),
    ("kpu.malang", {"KPPS-0005"}),
    ("admin", ALL),
])
def test_each_account_sees_only_its_own_area(login, username, expected):
    assert set(listed(login(username).get("/antrean").text)) == expected


def test_oldest_flag_comes_first(login):
    # flagged_at: 0002 on 11 Dec, 0001 and 0005 on 12 Dec (08:00, 11:15), 0003 on 13 Dec, 0004 on 14 Dec
    assert listed(login("admin").get("/antrean").text) == [
        "KPPS-0002", "KPPS-0001", "KPPS-0005", "KPPS-0003", "KPPS-0004"]


def test_counts_by_status_and_reason(login):
    html = login("kpu.pasuruan").get("/antrean").text
    assert "(4 berkas)" in html
    assert "Belum lengkap: 2" in html and "Tidak memenuhi syarat: 1" in html and "Perlu diperiksa: 1" in html
    assert "Nama tidak sama (1)" in html and "Ijazah tidak ada (1)" in html and "Belum 17 tahun (1)" in html


@pytest.mark.parametrize("query,expected", [
    ("status=not_eligible", ["KPPS-0004"]),
    ("alasan=NAME_MISMATCH", ["KPPS-0001"]),
    ("alasan=UNDER_AGE", ["KPPS-0004"]),
    ("desa=35.75.02.1001", ["KPPS-0003"]),
    ("desa=35.75.02.1005&tps=3", ["KPPS-0001"]),
    ("tps=004", ["KPPS-0002"]),
    ("status=needs_review", ["KPPS-0001"]),
    ("status=needs_review&alasan=UNDER_AGE", []),
])
def test_filters(login, query, expected):
    assert listed(login("kpu.pasuruan").get(f"/antrean?{query}").text) == expected


@pytest.mark.parametrize("username,desa", [
    ("pps.kebonagung", "35.75.02.1001"),  # a neighbouring desa
    ("ppk.purworejo", "35.75.01.1001"),  # a desa of another kecamatan
    ("kpu.malang", "35.75.02.1005"),  # another kota
])
def test_a_desa_filter_outside_the_area_is_refused(login, username, desa):
    r = login(username).get(f"/antrean?desa={desa}")
    assert r.status_code == 403
    assert listed(r.text) == []


def test_malformed_filters_are_ignored_not_trusted(login):
    html = login("pps.kebonagung").get("/antrean?desa=35.75/../..&status=<x>&alasan=a b&tps=abc").text
    assert set(listed(html)) == {"KPPS-0001", "KPPS-0002"}


def test_no_whole_nik_or_name_in_the_queue(login):
    html = login("admin").get("/antrean").text
    assert "3575024506990001" not in html and "SITI RAHAYU" not in html


def test_a_decided_dossier_leaves_the_open_queue_until_a_new_result(login, store):
    client = login("pps.kebonagung")
    r = client.post("/berkas/KPPS-0002/tolak", data={"csrf_token": client.csrf, "konfirmasi": "ya",
                                                      "reason": "Ijazah tidak diserahkan"})
    assert r.status_code == 200
    assert listed(client.get("/antrean").text) == ["KPPS-0001"]
    assert listed(client.get("/antrean?keadaan=diputuskan").text) == ["KPPS-0002"]
    assert set(listed(client.get("/antrean?keadaan=semua").text)) == {"KPPS-0001", "KPPS-0002"}
    # a newer result (e.g. after an upload was re-processed) reopens the dossier
    flag = "flags/35.75/35.75.02/35.75.02.1005/004/KPPS-0002.json"
    body = store.get_json(flag)
    body["flagged_at"] = "2023-12-20T10:00:00+00:00"
    store.put_json(flag, body)
    queue_index.mark(store, keys.area_from_flag_key(flag), "KPPS-0002")  # as every flag writer does
    assert listed(client.get("/antrean").text) == ["KPPS-0001", "KPPS-0002"]


def test_a_claim_shows_in_the_queue(login):
    client = login("pps.kebonagung")
    client.post("/berkas/KPPS-0001/klaim", data={"csrf_token": client.csrf})
    html = login("ppk.purworejo").get("/antrean").text
    row = re.search(r'href="/berkas/KPPS-0001">.*?</tr>', html, re.S)[0]
    assert "pps.kebonagung" in row
