"""The dossier contract: what a candidate declares, and what Berkas says about the dossier.

Later work extends these models with optional fields; it never renames or removes one.
`models/schema/result.schema.json` is generated from `DossierResult` (see `models/schema.py`)
and a test keeps the two in step.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

DOSSIER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class DocType(StrEnum):
    KTP = "ktp"
    IJAZAH = "ijazah"
    SURAT_SEHAT = "surat_sehat"
    UNKNOWN = "unknown"


class DossierStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    NEEDS_REVIEW = "needs_review"
    NOT_ELIGIBLE = "not_eligible"


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"


# Field names per document type, as the contract fixes them.
KTP_FIELDS = (
    "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah", "alamat",
    "rt_rw", "kel_desa", "kecamatan", "agama", "status_perkawinan", "pekerjaan", "kewarganegaraan",
    "berlaku_hingga", "provinsi", "kabupaten_kota",
)
IJAZAH_FIELDS = (
    "nama", "tempat_lahir", "tanggal_lahir", "jenjang", "nomor_ijazah", "nisn", "nama_sekolah", "tahun_lulus",
)
SURAT_SEHAT_FIELDS = ("nama", "tanggal_surat", "penerbit", "kesimpulan", "nomor_surat", "tekanan_darah")
FIELDS_BY_TYPE: dict[DocType, tuple[str, ...]] = {
    DocType.KTP: KTP_FIELDS,
    DocType.IJAZAH: IJAZAH_FIELDS,
    DocType.SURAT_SEHAT: SURAT_SEHAT_FIELDS,
    DocType.UNKNOWN: (),
}


class Wilayah(BaseModel):
    """The TPS area the candidate registered for. Values are names as written (or Kemendagri codes)."""

    model_config = ConfigDict(extra="ignore")

    provinsi: str
    kabupaten_kota: str
    kecamatan: str
    desa_kelurahan: str
    tps: str


class Registration(BaseModel):
    """What the candidate declared at registration (`registration.json`)."""

    model_config = ConfigDict(extra="ignore")

    dossier_id: str
    nama: str
    nik: str
    tanggal_lahir: date | None = None
    wilayah: Wilayah
    tanggal_daftar: date | None = Field(
        default=None, description="registration date; the rules file's registration end date when absent"
    )

    @field_validator("dossier_id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        if not DOSSIER_ID_RE.match(v):
            raise ValueError("dossier_id may hold only letters, digits, '.', '_' and '-' (max 128)")
        return v


class Evidence(BaseModel):
    """What a check rests on: a document field (with its OCR box) or a plain value."""

    file: str | None = None
    page: int | None = None
    document: DocType | None = None
    field: str | None = None
    value: Any = None
    box: list[int] | None = Field(default=None, description="[x, y, w, h] in page pixels")
    confidence: float | None = None
    note: str | None = None


class Check(BaseModel):
    id: str = Field(description="stable check id, e.g. 'age_min'")
    status: CheckStatus
    message: str = Field(description="plain-language reason in Bahasa Indonesia")
    message_en: str | None = None
    reason: str | None = Field(default=None, description="reason code when not pass, e.g. 'UNDER_AGE'")
    evidence: list[Evidence] = Field(default_factory=list)


class FieldCorrection(BaseModel):
    """Where a field's value comes from when a verifier set it in the review app (not the reading)."""

    by: str = Field(description="username of the verifier")
    role: str | None = Field(default=None, description="PPS, PPK, KPU_KAB or ADMIN")
    at: str = Field(description="when the correction was made (UTC, ISO 8601)")
    read_value: Any = Field(default=None, description="what the reading gave for this field (None: nothing)")
    correction: str | None = Field(default=None, description="store key of the correction record")


class DocumentResult(BaseModel):
    file: str
    page: int = Field(ge=1, description="1-based page within the file")
    type: DocType
    fields: dict[str, Any] = Field(default_factory=dict)
    confidence: dict[str, float] = Field(default_factory=dict)
    boxes: dict[str, list[int]] = Field(default_factory=dict, description="field -> [x, y, w, h]")
    type_scores: dict[str, float] = Field(default_factory=dict)
    sha256: str | None = None
    corrected: dict[str, FieldCorrection] = Field(
        default_factory=dict,
        description="field -> the verifier correction its value comes from; other fields come from the reading",
    )
    unreadable: bool = Field(
        False,
        description="type unknown, yet the page looks like a document whose text could not be read (blurred, "
        "dark, tiny): it may be a required document, so its absence is reviewed, not taken as missing",
    )


class FileError(BaseModel):
    file: str
    page: int | None = None
    error: str = Field(description="reason code, e.g. 'FILE_TRUNCATED'")
    message: str | None = None


class AreaMatchInfo(BaseModel):
    """How the registered area matched the region table (config/wilayah), and so where the dossier is filed.

    The dossier is filed under the `matched` codes (review queue of that desa, reports) only when `confident`:
    kabupaten/kota, kecamatan and desa each scored at least `min_score`. Otherwise it waits in the `unknown`
    queue, which only an admin sees; `matched` then only says what scored best.
    """

    confident: bool
    min_score: float
    scores: dict[str, float] = Field(default_factory=dict, description="level -> match score 0..1")
    matched: dict[str, str] = Field(default_factory=dict, description="level -> best Kemendagri code (dotted)")


class DossierResult(BaseModel):
    dossier_id: str
    status: DossierStatus
    missing_documents: list[DocType] = Field(default_factory=list)
    documents: list[DocumentResult] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    errors: list[FileError] = Field(default_factory=list)
    pipeline_version: str
    wilayah: Wilayah | None = None
    area_match: AreaMatchInfo | None = Field(None, description="where the registered area was filed, and why")
    duplicate_dossiers: list[str] = Field(
        default_factory=list, description="other dossiers holding the same NIK (ids only)"
    )
    processed_at: str | None = None
