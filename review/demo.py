"""Synthetic flagged dossiers and demo accounts, for tests, screenshots and the README demo.

Everything here is made up: names, NIKs and scans (PIL drawings). The results are written directly
(result, history-free), with their flags, so the review app can be shown without the OCR pipeline.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

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
from pipeline.publish import flag_body
from pipeline.regions import Regions
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review.accounts import Accounts

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


DOSSIERS = (
    DemoDossier("KPPS-0001", "kebonagung", "003", "SITI RAHAYU", "3575024506990001", "1999-06-05",
                "SITI RAHAYI", "2023-12-12T08:00:00+00:00"),
    DemoDossier("KPPS-0002", "kebonagung", "004", "BUDI SANTOSO", "3575021203880002", "1988-03-12",
                "BUDI SANTOSO", "2023-12-11T09:30:00+00:00"),
    DemoDossier("KPPS-0003", "pohjentrek", "001", "DEWI LESTARI", "3575025101950003", "1995-01-11",
                "DEWI LESTARI", "2023-12-13T10:00:00+00:00"),
    DemoDossier("KPPS-0004", "karangketug", "002", "AGUS PRASETYO", "3575010707070004", "2007-07-07",
                "AGUS PRASETYO", "2023-12-14T07:45:00+00:00"),
    DemoDossier("KPPS-0005", "arjosari", "007", "RINA WATI", "3573016208900005", "1990-08-22",
                "RINA WATI", "2023-12-12T11:15:00+00:00"),
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def draw_ktp(d: DemoDossier) -> tuple[bytes, dict[str, list[int]]]:
    """A KTP-like drawing (JPEG) and the [x, y, w, h] box of each value drawn."""
    prov, kab, kec, desa, _code = AREAS[d.area]
    img = Image.new("RGB", (1000, 630), (206, 228, 242))
    draw = ImageDraw.Draw(img)
    draw.text((500, 30), f"PROVINSI {prov}", fill="black", font=_font(30), anchor="mt")
    draw.text((500, 70), kab, fill="black", font=_font(30), anchor="mt")
    born = f"{d.born[8:10]}-{d.born[5:7]}-{d.born[:4]}"
    rows = [("nik", "NIK", d.nik), ("nama", "Nama", d.ktp_nama), ("tanggal_lahir", "Tempat/Tgl Lahir", f"PASURUAN, {born}"),
            ("alamat", "Alamat", "JL. MELATI NO. 7"), ("kel_desa", "Kel/Desa", desa), ("kecamatan", "Kecamatan", kec),
            ("kewarganegaraan", "Kewarganegaraan", "WNI")]
    boxes: dict[str, list[int]] = {}
    y = 130
    for field, label, value in rows:
        size = 34 if field == "nik" else 26
        draw.text((40, y), label, fill="black", font=_font(24))
        draw.text((300, y), ":", fill="black", font=_font(24))
        x0, y0, x1, y1 = draw.textbbox((330, y), value, font=_font(size))
        draw.text((330, y), value, fill="black", font=_font(size))
        boxes[field] = [x0, y0, x1 - x0, y1 - y0]
        y += 58
    draw.rectangle((760, 140, 940, 380), outline="gray", fill=(235, 235, 235))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue(), boxes


def _ktp_document(d: DemoDossier, file: str, sha: str, boxes: dict[str, list[int]]) -> DocumentResult:
    _prov, kab, kec, desa, _code = AREAS[d.area]
    fields = {"nik": d.nik, "nama": d.ktp_nama, "tempat_lahir": "PASURUAN", "tanggal_lahir": d.born,
              "alamat": "JL. MELATI NO. 7", "kel_desa": desa, "kecamatan": kec, "kewarganegaraan": "WNI",
              "provinsi": "JAWA TIMUR", "kabupaten_kota": kab}
    conf = {k: 0.93 for k in fields}
    if d.ktp_nama != d.nama:
        conf["nama"] = 0.58
    return DocumentResult(file=file, page=1, type=DocType.KTP, fields=fields, confidence=conf,
                          boxes={k: v for k, v in boxes.items() if k in fields}, sha256=sha,
                          type_scores={"ktp": 0.97, "ijazah": 0.02, "surat_sehat": 0.01})


def _checks(d: DemoDossier, ktp: DocumentResult) -> tuple[DossierStatus, list[DocType], list[Check]]:
    def ev(field: str) -> Evidence:
        return Evidence(file=ktp.file, page=1, document=DocType.KTP, field=field, value=ktp.fields[field],
                        box=ktp.boxes.get(field), confidence=ktp.confidence[field])

    checks = [
        Check(id="doc_ktp", status=CheckStatus.PASS, message="KTP-el ada."),
        Check(id="doc_ijazah", status=CheckStatus.FAIL, reason="IJAZAH_MISSING",
              message="Ijazah tidak ditemukan di berkas. Minta pendaftar menyerahkan fotokopi ijazah."),
        Check(id="doc_surat_sehat", status=CheckStatus.PASS if d.dossier_id != "KPPS-0003" else CheckStatus.FAIL,
              reason=None if d.dossier_id != "KPPS-0003" else "SURAT_SEHAT_MISSING",
              message="Surat keterangan sehat ada." if d.dossier_id != "KPPS-0003"
              else "Surat keterangan sehat tidak ditemukan."),
    ]
    if d.ktp_nama != d.nama:
        checks.append(Check(id="identity_reg_ktp_nama", status=CheckStatus.REVIEW, reason="NAME_MISMATCH",
                            message=f"Nama di pendaftaran ({d.nama}) berbeda dengan nama di KTP ({d.ktp_nama}).",
                            evidence=[Evidence(field="nama", value=d.nama, note="pendaftaran"), ev("nama")]))
    if d.born.startswith("2007"):
        checks.append(Check(id="age_min", status=CheckStatus.FAIL, reason="UNDER_AGE",
                            message="Umur pada 14-02-2024 kurang dari 17 tahun.", evidence=[ev("tanggal_lahir")]))
    checks.append(Check(id="nik_valid", status=CheckStatus.PASS, message="NIK sah.", evidence=[ev("nik")]))
    missing = [c for c in checks if c.id.startswith("doc_") and c.status == CheckStatus.FAIL]
    status = DossierStatus.INCOMPLETE if missing else DossierStatus.NEEDS_REVIEW
    if d.born.startswith("2007") and not missing:
        status = DossierStatus.NOT_ELIGIBLE
    docs = [DocType(c.id[4:]) for c in missing]
    return status, docs, checks


def seed_dossier(store: ObjectStore, regions: Regions, d: DemoDossier) -> DossierResult:
    """Write one synthetic dossier: registration, original scan, manifest, result and review flag."""
    prov, kab, kec, desa, _code = AREAS[d.area]
    wilayah = Wilayah(provinsi=prov, kabupaten_kota=kab, kecamatan=kec, desa_kelurahan=desa, tps=d.tps)
    reg = Registration(dossier_id=d.dossier_id, nama=d.nama, nik=d.nik, tanggal_lahir=d.born, wilayah=wilayah)
    store.put_json(keys.registration_key(d.dossier_id), reg.model_dump(mode="json", exclude_none=True))
    data, boxes = draw_ktp(d)
    sha = hashlib.sha256(data).hexdigest()
    file = "IMG_2031.jpg"
    store.put_if_absent(keys.original_key(d.dossier_id, sha, file), data, content_type="image/jpeg")
    store.put_json(keys.manifest_key(d.dossier_id),
                   {"dossier_id": d.dossier_id, "files": [{"name": file, "sha256": sha, "size": len(data)}]})
    ktp = _ktp_document(d, file, sha, boxes)
    status, missing, checks = _checks(d, ktp)
    result = DossierResult(dossier_id=d.dossier_id, status=status, missing_documents=missing, documents=[ktp],
                           checks=checks, pipeline_version="demo", wilayah=wilayah, processed_at=d.flagged_at)
    store.put_json(keys.result_key(d.dossier_id), result.model_dump(mode="json"))
    match = regions.resolve_area(prov, kab, kec, desa)
    store.put_json(keys.flag_key(keys.AreaCodes.from_match(match, tps=d.tps), d.dossier_id), flag_body(result))
    return result


def seed_accounts(accounts: Accounts, password: str = DEMO_PASSWORD) -> None:
    for username, (role, area) in DEMO_USERS.items():
        if accounts.get(username) is None:
            accounts.create(username, password, role, area)


def seed_demo(store: ObjectStore, regions: Regions | None = None, *, with_accounts: bool = True) -> list[str]:
    """Seed every demo dossier (and the demo accounts); returns the dossier ids."""
    regions = regions or Regions.load()
    for d in DOSSIERS:
        seed_dossier(store, regions, d)
    if with_accounts:
        seed_accounts(Accounts(store, regions))
    return [d.dossier_id for d in DOSSIERS]
