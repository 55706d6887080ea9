"""Synthetic flagged dossiers and demo accounts, for tests, screenshots and the README demo.

Everything here is made up: names, NIKs and scans (PIL drawings). The results are written directly
(result, history-free), with their flags, so the review app can be shown without the OCR pipeline.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from config.settings import Settings
from models.contract import (
    Check,
    CheckStatus,
    DocType,
    DocumentResult,
    DossierResult,
    DossierStatus,
    Evidence,
    Registration,
    Wilayah,
)
from pipeline import queue_index
from pipeline.dupindex import DuplicateIndex
from pipeline.publish import flag_body
from pipeline.regions import Regions
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.accounts import Accounts
from review.db import ReviewDB

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEMO_PASSWORD = "rahasia-demo-123"

# (provinsi, kab/kota, kecamatan, desa, codes) of the synthetic areas
AREAS = {
    "kebonagung": ("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG", "35.75.02.1005"),
    "pohjentrek": ("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "POHJENTREK", "35.75.02.1001"),
    "karangketug": ("JAWA TIMUR", "KOTA PASURUAN", "GADINGREJO", "KARANGKETUG", "35.75.01.1001"),
    "arjosari": ("JAWA TIMUR", "KOTA MALANG", "BLIMBING", "ARJOSARI", "35.73.01.1002"),
}

# username -> (role, area)
DEMO_USERS = {
    "pps.kebonagung": ("PPS", "35.75.02.1005"),
    "pps.pohjentrek": ("PPS", "35.75.02.1001"),
    "ppk.purworejo": ("PPK", "35.75.02"),
    "kpu.pasuruan": ("KPU_KAB", "35.75"),
    "kpu.malang": ("KPU_KAB", "35.73"),
    "admin": ("ADMIN", None),
}


@dataclass(frozen=True)
class DemoDossier:
    dossier_id: str
    area: str
    tps: str
    nama: str
    nik: str
    born: str  # ISO
    ktp_nama: str  # as "read" from the KTP (may differ: a misread)
    flagged_at: str
    docs: tuple[str, ...] = ("ktp", "ijazah", "surat_sehat")


DOSSIERS = (
    DemoDossier("KPPS-0001", "kebonagung", "003", "SITI RAHAYU", "3575024506990001", "1999-06-05",
                "SITI RAHAYI", "2023-12-12T08:00:00+00:00"),
    DemoDossier("KPPS-0002", "kebonagung", "004", "BUDI SANTOSO", "3575021203880002", "1988-03-12",
                "BUDI SANTOSO", "2023-12-11T09:30:00+00:00", ("ktp", "surat_sehat")),
    DemoDossier("KPPS-0003", "pohjentrek", "001", "DEWI LESTARI", "3575025101950003", "1995-01-11",
                "DEWI LESTARI", "2023-12-13T10:00:00+00:00", ("ktp", "ijazah")),
    DemoDossier("KPPS-0004", "karangketug", "002", "AGUS PRASETYO", "3575010707070004", "2007-07-07",
                "AGUS PRASETYO", "2023-12-14T07:45:00+00:00"),
    DemoDossier("KPPS-0005", "arjosari", "007", "RINA WATI", "3573016208900005", "1990-08-22",
                "RINA WATl", "2023-12-12T11:15:00+00:00"),
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def draw_document(size: tuple[int, int], colour: tuple[int, int, int], header: list[str],
                  rows: list[tuple[str, str, str]]) -> tuple[bytes, dict[str, list[int]]]:
    """A document-like drawing (JPEG) and the [x, y, w, h] box of each value drawn (field -> box)."""
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    y = 30
    for line in header:
        draw.text((size[0] // 2, y), line, fill="black", font=_font(30), anchor="mt")
        y += 40
    boxes: dict[str, list[int]] = {}
    y += 30
    for field, label, value in rows:
        font = _font(34 if field == "nik" else 26)
        draw.text((40, y), label, fill="black", font=_font(24))
        draw.text((300, y), ":", fill="black", font=_font(24))
        x0, y0, x1, y1 = draw.textbbox((330, y), value, font=font)
        draw.text((330, y), value, fill="black", font=font)
        boxes[field] = [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
        y += 58
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue(), boxes


def _dmy(iso: str) -> str:
    return f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}"


def _pages(d: DemoDossier) -> list[tuple[str, DocType, dict[str, str], bytes, dict[str, list[int]]]]:
    """(file name, type, fields, JPEG bytes, boxes) of each document the dossier holds."""
    prov, kab, kec, desa, _code = AREAS[d.area]
    out = []
    if "ktp" in d.docs:
        fields = {"nik": d.nik, "nama": d.ktp_nama, "tempat_lahir": "PASURUAN", "tanggal_lahir": d.born,
                  "alamat": "JL. MELATI NO. 7", "kel_desa": desa, "kecamatan": kec, "kewarganegaraan": "WNI",
                  "provinsi": prov, "kabupaten_kota": kab,
                  "jenis_kelamin": "PEREMPUAN" if int(d.nik[6:8]) > 40 else "LAKI-LAKI"}
        rows = [("nik", "NIK", d.nik), ("nama", "Nama", d.ktp_nama),
                ("tanggal_lahir", "Tempat/Tgl Lahir", f"PASURUAN, {_dmy(d.born)}"), ("alamat", "Alamat", "JL. MELATI NO. 7"),
                ("kel_desa", "Kel/Desa", desa), ("kecamatan", "Kecamatan", kec), ("kewarganegaraan", "Kewarganegaraan", "WNI")]
        data, boxes = draw_document((1000, 630), (206, 228, 242), [f"PROVINSI {prov}", kab], rows)
        out.append(("IMG_2031.jpg", DocType.KTP, fields, data, boxes))
    if "ijazah" in d.docs:
        fields = {"nama": d.nama, "tempat_lahir": "PASURUAN", "tanggal_lahir": d.born, "jenjang": "SMA",
                  "nama_sekolah": "SMA NEGERI 1 PASURUAN", "tahun_lulus": "2017"}
        rows = [("nama", "Nama", d.nama), ("tanggal_lahir", "Tempat, tgl lahir", f"Pasuruan, {_dmy(d.born)}"),
                ("nama_sekolah", "Sekolah", "SMA NEGERI 1 PASURUAN"), ("tahun_lulus", "Lulus", "2017")]
        data, boxes = draw_document((1100, 780), (250, 247, 235), ["IJAZAH", "SEKOLAH MENENGAH ATAS"], rows)
        out.append(("scan0003.jpg", DocType.IJAZAH, fields, data, boxes))
    if "surat_sehat" in d.docs:
        fields = {"nama": d.nama, "tanggal_surat": "2023-12-04", "penerbit": "PUSKESMAS PURWOREJO",
                  "kesimpulan": "SEHAT", "tekanan_darah": "120/80"}
        rows = [("penerbit", "Dari", "PUSKESMAS PURWOREJO"), ("nama", "Nama", d.nama),
                ("tekanan_darah", "Tekanan darah", "120/80 mmHg"), ("kesimpulan", "Kesimpulan", "SEHAT"),
                ("tanggal_surat", "Tanggal", "04-12-2023")]
        data, boxes = draw_document((900, 1000), (255, 255, 255), ["SURAT KETERANGAN SEHAT"], rows)
        out.append(("surat_sehat.jpg", DocType.SURAT_SEHAT, fields, data, boxes))
    return out


def _checks(d: DemoDossier, docs: list[DocumentResult]) -> tuple[DossierStatus, list[DocType], list[Check]]:
    by_type = {doc.type: doc for doc in docs}

    def ev(t: DocType, field: str) -> Evidence:
        doc = by_type[t]
        return Evidence(file=doc.file, page=1, document=t, field=field, value=doc.fields[field],
                        box=doc.boxes.get(field), confidence=doc.confidence[field])

    labels = {DocType.KTP: "KTP-el", DocType.IJAZAH: "Ijazah", DocType.SURAT_SEHAT: "Surat keterangan sehat"}
    checks, missing = [], []
    for t, label in labels.items():
        if t in by_type:
            checks.append(Check(id=f"doc_{t.value}", status=CheckStatus.PASS, message=f"{label} ada."))
        else:
            missing.append(t)
            checks.append(Check(id=f"doc_{t.value}", status=CheckStatus.FAIL, reason=f"{t.value.upper()}_MISSING",
                                message=f"{label} tidak ditemukan di berkas. Minta pendaftar menyerahkannya."))
    ktp = by_type[DocType.KTP]
    checks.append(Check(id="nik_valid", status=CheckStatus.PASS, message="NIK sah.", evidence=[ev(DocType.KTP, "nik")]))
    under = d.born >= "2007-02-15"
    checks.append(Check(id="age_min", status=CheckStatus.FAIL if under else CheckStatus.PASS,
                        reason="UNDER_AGE" if under else None,
                        message="Umur pada 14-02-2024 kurang dari 17 tahun." if under else "Umur cukup.",
                        evidence=[ev(DocType.KTP, "tanggal_lahir")]))
    if ktp.fields["nama"] != d.nama:
        checks.append(Check(id="identity_reg_ktp_nama", status=CheckStatus.REVIEW, reason="NAME_MISMATCH",
                            message=f"Nama di pendaftaran ({d.nama}) berbeda dengan nama di KTP ({ktp.fields['nama']}).",
                            evidence=[Evidence(field="nama", value=d.nama, note="pendaftaran"), ev(DocType.KTP, "nama")]))
    if missing:
        status = DossierStatus.INCOMPLETE
    elif under:
        status = DossierStatus.NOT_ELIGIBLE
    elif any(c.status != CheckStatus.PASS for c in checks):
        status = DossierStatus.NEEDS_REVIEW
    else:
        status = DossierStatus.COMPLETE
    return status, missing, checks


def seed_dossier(store: ObjectStore, regions: Regions, d: DemoDossier, index_secret: bytes | None = None) -> DossierResult:
    """Write one synthetic dossier: registration, original scans, manifest, result, review flag and its entry
    in the keyed NIK index (what the queue's NIK search asks)."""
    prov, kab, kec, desa, _code = AREAS[d.area]
    wilayah = Wilayah(provinsi=prov, kabupaten_kota=kab, kecamatan=kec, desa_kelurahan=desa, tps=d.tps)
    reg = Registration(dossier_id=d.dossier_id, nama=d.nama, nik=d.nik, tanggal_lahir=d.born, wilayah=wilayah)
    store.put_json(keys.registration_key(d.dossier_id), reg.model_dump(mode="json", exclude_none=True))
    documents, files = [], []
    for file, doc_type, fields, data, boxes in _pages(d):
        sha = hashlib.sha256(data).hexdigest()
        store.put_if_absent(keys.original_key(d.dossier_id, sha, file), data, content_type="image/jpeg")
        files.append({"name": file, "sha256": sha, "size": len(data), "content_type": "image/jpeg", "version": 1})
        conf = {k: 0.93 for k in fields}
        if doc_type == DocType.KTP and d.ktp_nama != d.nama:
            conf["nama"] = 0.58
        documents.append(DocumentResult(file=file, page=1, type=doc_type, fields=fields, confidence=conf,
                                        boxes={k: v for k, v in boxes.items() if k in fields}, sha256=sha,
                                        type_scores={doc_type.value: 0.95}))
    store.put_json(keys.manifest_key(d.dossier_id), {"dossier_id": d.dossier_id, "version": 1, "files": files})
    status, missing, checks = _checks(d, documents)
    result = DossierResult(dossier_id=d.dossier_id, status=status, missing_documents=missing, documents=documents,
                           checks=checks, pipeline_version="demo", wilayah=wilayah, processed_at=d.flagged_at)
    store.put_json(keys.result_key(d.dossier_id), result.model_dump(mode="json"))
    area = keys.AreaCodes.from_route(regions.route(prov, kab, kec, desa), tps=d.tps)
    store.put_json(keys.flag_key(area, d.dossier_id), flag_body(result))
    queue_index.mark(store, area, d.dossier_id)
    secret = index_secret or Settings().index_secret.get_secret_value().encode()
    DuplicateIndex(store, secret).update(d.dossier_id, {d.nik})
    return result


def seed_accounts(accounts: Accounts, password: str = DEMO_PASSWORD) -> None:
    for username, (role, area) in DEMO_USERS.items():
        if accounts.get(username) is None:
            accounts.create(username, password, role, area)


def seed_demo(store: ObjectStore, regions: Regions | None = None, *, db: ReviewDB | None = None) -> list[str]:
    """Seed every demo dossier (and, given the review database `db`, the demo accounts); returns the ids."""
    regions = regions or Regions.load()
    for d in DOSSIERS:
        seed_dossier(store, regions, d)
    if db is not None:
        seed_accounts(Accounts(db, regions))
    return [d.dossier_id for d in DOSSIERS]
