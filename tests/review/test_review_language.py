"""One language: every page of the app, rendered over realistic data, shows no raw code.

The data is the demo store after a working day: claims, a correction (of a field that had no value), an MS
over a doubtful check, a TMS with its grounds, a request for documents, an upload, corrections re-applied and
dropped by a re-processing, a damaged file. Each page's visible text (and its title/alt/aria attributes)
must hold no reason code (LOW_CONFIDENCE), no check or field id (identity_ktp_ijazah_nama, tanggal_lahir),
no status id (needs_review), no 'None', no ISO date or UTC time, no bare score (0.1545).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from models.contract import DossierResult, FileError
from pipeline.audit import append
from pipeline.storage import keys

RAW = [
    (re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"), "reason code"),
    (re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b"), "id in snake_case"),
    (re.compile(r"\bNone\b|\bnull\b|\bTrue\b|\bFalse\b"), "Python/JSON value"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "ISO date"),
    (re.compile(r"\bUTC\b|\d{2}:\d{2}:\d{2}"), "UTC time"),
    (re.compile(r"(?<![\d.])0\.\d{2,}\b"), "bare score"),
    (re.compile(r"name score|reference date|registration\.json|area code"), "English note"),
]
FILE_NAME = re.compile(r"\S+\.(?:jpe?g|png|pdf|tiff?)\b", re.I)  # a file's own name is shown as uploaded
SHOWN_ATTRS = ("title", "alt", "aria-label", "placeholder")


class Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in SHOWN_ATTRS and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def raw_codes(html: str) -> list[str]:
    p = Visible()
    p.feed(html)
    text = FILE_NAME.sub(" ", " ".join(p.parts))
    return [f"{what}: {m[0]!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…"
            for rx, what in RAW for m in rx.finditer(text)]


@pytest.fixture
def working_day(login, store):
    """The demo store after a day of work in Kecamatan Purworejo (see the module docstring)."""
    pps = login("pps.kebonagung")
    csrf = {"csrf_token": pps.csrf}
    pps.post("/berkas/KPPS-0001/klaim", data=csrf)
    pps.post("/berkas/KPPS-0001/lepas", data=csrf)
    # a field the reading left empty, corrected: the history shows "-" -> value, never "None"
    result = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    result.documents[0].fields["tanggal_lahir"] = None
    result.errors.append(FileError(file="scan_rusak.pdf", page=2, error="PAGE_UNREADABLE"))
    store.put_json(keys.result_key("KPPS-0001"), result.model_dump(mode="json"))
    pps.post("/berkas/KPPS-0001/koreksi", data={**csrf, "document": "0", "field": "tanggal_lahir",
                                                 "value": "05-06-1999"})
    rechecked = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    reasons = {f"alasan__{c.id}": "Dilihat pada dokumen asli" for c in rechecked.checks if c.status.value != "pass"}
    r = pps.post("/berkas/KPPS-0001/setujui", data={**csrf, "konfirmasi": "ya", **reasons})
    assert "Keputusan tersimpan" in r.text
    pps.post("/berkas/KPPS-0002/minta-dokumen", data={**csrf, "documents": ["ijazah", "surat_domisili"]})
    pps.post("/berkas/KPPS-0002/unggah", data=csrf,
             files={"file": ("ijazah_baru.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")})
    ppk = login("ppk.purworejo")
    ppk.post("/berkas/KPPS-0003/tolak", data={"csrf_token": ppk.csrf, "konfirmasi": "ya",
                                              "reason": "Surat sehat tidak diserahkan", "dasar": ["doc_surat_sehat"]})
    append(store, "KPPS-0001", "corrections_reapplied", "pipeline", "SYSTEM",
           after=[{"field": "tanggal_lahir", "value": "1999-06-05"}], kept=[{"field": "nama"}])
    append(store, "KPPS-0001", "correction_dropped", "pipeline", "SYSTEM", field="nama",
           reason="DOCUMENT_TYPE_CHANGED")
    return {"pps": pps, "ppk": ppk, "admin": login("admin"), "kpu": login("kpu.pasuruan")}


def pages(clients) -> dict[str, str]:
    admin, pps = clients["admin"], clients["pps"]
    out = {"login": admin.get("/masuk").text, "error 404": admin.get("/berkas/TIDAK-ADA").text,
           "error 403": clients["kpu"].get("/berkas/KPPS-0005").text}
    for state in ("terbuka", "diputuskan", "semua"):
        for who in ("admin", "kpu", "pps"):
            out[f"queue {state} {who}"] = clients[who].get(f"/antrean?keadaan={state}&urut=status").text
    out["queue searched"] = admin.post("/antrean", data={"csrf_token": admin.csrf, "nama": "BUDI"}).text
    for i in range(1, 6):
        did = f"KPPS-000{i}"
        out[f"dossier {did}"] = admin.get(f"/berkas/{did}").text
        out[f"MS page {did}"] = admin.get(f"/berkas/{did}/setujui").text
        out[f"TMS page {did}"] = admin.get(f"/berkas/{did}/tolak").text
    out["dossier without NIK access"] = clients["pps"].get("/berkas/KPPS-0001").text
    # pages right after an action carry its flash message
    out["after a correction"] = pps.post("/berkas/KPPS-0001/koreksi", data={
        "csrf_token": pps.csrf, "document": "0", "field": "nama", "value": "SITI RAHAYU"}).text
    out["after a claim"] = clients["ppk"].post("/berkas/KPPS-0003/klaim", data={"csrf_token": clients["ppk"].csrf}).text
    ppk = clients["ppk"]  # the upload left KPPS-0002 claimed by pps.kebonagung
    out["claimed by another"] = ppk.post("/berkas/KPPS-0002/klaim", data={"csrf_token": ppk.csrf}).text
    return out


def test_every_page_speaks_bahasa_without_raw_codes(working_day):
    rendered = pages(working_day)
    found = {name: raw_codes(html) for name, html in rendered.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    # and the pages really hold what the day produced
    history = rendered["dossier KPPS-0001"]
    assert "Koreksi isian" in history and "05-06-1999" in history and "WIB" in history
    assert "mengesampingkan" in history and "dasar: Surat keterangan sehat ada" in rendered["dossier KPPS-0003"]
    assert "Surat keterangan domisili" in rendered["dossier KPPS-0002"]
    assert "sedang dikerjakan oleh pps.kebonagung" in rendered["claimed by another"]


def test_the_walker_catches_raw_codes():
    """The check itself can fail: each kind of raw code is found."""
    for html in ("<p>LOW_CONFIDENCE</p>", "<p>identity_ktp_ijazah_nama</p>", "<p>Status sekarang: needs_review</p>",
                 '<p>"None" -&gt; "1974-10-16"</p>', "<p>name score 0.1545</p>", "<p>08:00:00 UTC</p>",
                 '<img alt="tanggal_lahir" src="x">'):
        assert raw_codes(html), html
    assert raw_codes("<p>surat_sehat.jpg · 12-12-2023 15:00 WIB · 58%</p><script>a_b</script>") == []
