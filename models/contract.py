"""The dossier contract: what a candidate declares, and what Berkas says about the dossier.

Later work extends these models with optional fields; it never renames or removes one.
`models/schema/result.schema.json` is generated from `DossierResult` (see `models/schema.py`)
and a test keeps the two in step.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

DOSSIER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# What a registration may hold (docs/limits.md): a NIK of ASCII digits (spaces, dots or dashes between groups are
# allowed and dropped by its readers), a TPS number with an optional "TPS" before it, area names without markup
# or control characters, a name of at most 200 characters.
NIK_DECLARED_RE = re.compile(r"^[0-9](?:[0-9 .-]{0,30}[0-9])?$")
TPS_RE = re.compile(r"^(?:[Tt][Pp][Ss][ .-]?)?[0-9]{1,3}$")
MAX_NAME_CHARS = 200
MAX_AREA_CHARS = 100
Trimmed = Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]
_MARKUP_OR_CONTROL = re.compile(r"[<>\"`\x00-\x1f\x7f]")


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


class RegisteredWilayah(Wilayah):
    """The area as a registration may declare it: names of at most 100 characters without markup or control
    characters, a TPS number of 1-3 digits (`003`, `TPS 3`). Results keep the plain `Wilayah`."""

    provinsi: str = Field(max_length=MAX_AREA_CHARS)
    kabupaten_kota: str = Field(max_length=MAX_AREA_CHARS)
    kecamatan: str = Field(max_length=MAX_AREA_CHARS)
    desa_kelurahan: str = Field(max_length=MAX_AREA_CHARS)
    tps: Trimmed = Field(pattern=TPS_RE.pattern, description="TPS number, 1-3 digits, optionally after 'TPS'")

    @field_validator("provinsi", "kabupaten_kota", "kecamatan", "desa_kelurahan")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if _MARKUP_OR_CONTROL.search(v) or not v.strip():
            raise ValueError("area names hold letters, digits, spaces and . , ' ( ) / - only")
        return v


class Registration(BaseModel):
    """What the candidate declared at registration (`registration.json`)."""

    model_config = ConfigDict(extra="ignore")

    dossier_id: str
    nama: str = Field(max_length=MAX_NAME_CHARS)
    nik: Trimmed = Field(pattern=NIK_DECLARED_RE.pattern, max_length=32,
                     description="16 digits 0-9; spaces, dots or dashes between groups are ignored")
    tanggal_lahir: date | None = None
    wilayah: RegisteredWilayah
    tanggal_daftar: date | None = Field(
        default=None, description="registration date; the rules file's registration end date when absent"
    )

    @field_validator("wilayah", mode="before")
    @classmethod
    def _checked_area(cls, v: object) -> object:
        return v.model_dump() if isinstance(v, Wilayah) and not isinstance(v, RegisteredWilayah) else v

    @field_validator("nama")
    @classmethod
    def _plain_text(cls, v: str) -> str:
        if _MARKUP_OR_CONTROL.search(v.replace('"', "")) or not v.strip():
            raise ValueError("nama must be non-empty text without markup or control characters")
        return v

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


class EngineInfo(BaseModel):
    """One engine that read a page, as it was when it read: enough to say after the fact what produced a value."""

    name: str = Field(description="tesserocr, pytesseract, ppocr, nik_templates, pdf_text_layer, ...")
    version: str | None = Field(default=None, description="the engine's own version (tesseract 5.5.0, ...)")
    data: str | None = Field(default=None, description="language data or model set it read with (e.g. 'ind')")
    sha256: str | None = Field(default=None, description="sha256 of that language data / template file")
    files: dict[str, str] = Field(default_factory=dict, description="model role -> sha256, for multi-file engines")


class RulesInfo(BaseModel):
    """The requirements file a decision was made under."""

    file: str = Field(description="file name of the requirements file")
    version: str = Field(description="its `version` key")
    sha256: str = Field(description="full sha256 hex digest of the file's bytes")


class Provenance(BaseModel):
    """How a result was decided: requirements, pipeline, code. The engines are per page (DocumentResult.read_with)."""

    requirements: RulesInfo
    pipeline_version: str
    code_revision: str | None = Field(default=None, description="git revision of the code, when known")


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
    read_with: list[EngineInfo] = Field(
        default_factory=list, description="the engines that read this page (kept through re-checks without OCR)")


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
    provenance: Provenance | None = Field(
        None, description="requirements file (version, sha256), pipeline version and code revision of the decision")
