"""The requirement rules file (config/requirements/*.yaml): loader and typed model.

`load_rules(path)` validates the whole file and raises ConfigError naming the offending key, so a typo in the
rules stops a worker at start-up instead of silently changing verdicts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.contract import DocType
from pipeline.errors import ConfigError

Verdict = Literal["incomplete", "not_eligible", "needs_review"]
DEFAULT_RULES = Path(__file__).resolve().parent / "requirements" / "kpps-2024.yaml"

# Every check the engine emits; the rules file must give each its verdict.
CHECK_IDS = (
    "doc_ktp", "doc_ijazah", "doc_surat_sehat", "files_readable", "registration", "age_min", "age_max",
    "education", "health_conclusion", "health_vitals", "health_date", "health_issuer", "domicile",
    "identity_reg_ktp_nama", "identity_ktp_ijazah_nama", "identity_ktp_sehat_nama", "identity_reg_ktp_nik",
    "identity_reg_ktp_dob", "identity_ktp_ijazah_dob", "nik_valid", "nik_consistent", "citizenship",
    "duplicate_nik", "fields_read",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferenceDates(_Strict):
    voting_day: date
    registration_end: date


class AgeRule(_Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class EducationRule(_Strict):
    accepted: list[str]
    too_low: list[str]
    aliases: dict[str, str] = Field(default_factory=dict)


class VitalThresholds(_Strict):
    enabled: bool = False
    systolic_max: int = 160
    diastolic_max: int = 100
    gula_darah_max: float = 200
    kolesterol_max: float = 240


class VitalsRule(_Strict):
    required: list[str]
    thresholds: VitalThresholds = Field(default_factory=VitalThresholds)


class HealthRule(_Strict):
    conclusion_ok: list[str]
    conclusion_not_ok: list[str]
    window_months: int = Field(ge=0)
    accepted_issuers: list[str]
    vitals: VitalsRule


class NameRule(_Strict):
    match: float = Field(ge=0, le=1)


class AreaRule(_Strict):
    match: float = Field(ge=0, le=1)
    floor: float = Field(ge=0, le=1)


class ConfidenceRule(_Strict):
    """How sure a reading must be. The reading code's confidence policy (`pipeline.reading.confidence`) is
    derived from these values; the checks use `min_field`."""

    min_field: float = Field(ge=0, le=1)
    corroborate: bool = True  # a low-confidence field confirmed exactly by another source counts as read
    disagree_cap: float = Field(ge=0, le=1)  # two readings that disagree: at most this (below min_field)
    weak_reading: float = Field(ge=0, le=1)  # a reading below this is no evidence against another one
    reread_below: float = Field(ge=0, le=1)  # a value read less surely than this is read once more
    # the neural engine's own confidence that counts as `min_field` (its scale is not tesseract's: docs/ocr.md)
    neural_sure: float = Field(0.90, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> ConfidenceRule:
        if self.disagree_cap >= self.min_field:
            raise ValueError(f"disagree_cap ({self.disagree_cap}) must be below min_field ({self.min_field}): "
                             "a value two readings disagree on must go to review")
        if self.weak_reading > self.min_field:
            raise ValueError(f"weak_reading ({self.weak_reading}) must not be above min_field ({self.min_field}): "
                             "a reading good enough to pass review is evidence")
        if self.reread_below < self.min_field:
            raise ValueError(f"reread_below ({self.reread_below}) must not be below min_field "
                             f"({self.min_field}): a value that would go to review is read once more first")
        return self


class CheckRule(_Strict):
    rule: str
    source: str
    reason: str  # the reason code the check reports when it fails
    verdict: Verdict


class Rules(_Strict):
    version: str
    sources: dict[str, str]
    reference_dates: ReferenceDates
    required_documents: list[DocType]
    age: AgeRule
    education: EducationRule
    health: HealthRule
    names: NameRule
    area: AreaRule
    confidence: ConfidenceRule
    checks: dict[str, CheckRule]

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        missing = [c for c in CHECK_IDS if c not in self.checks]
        if missing:
            raise ValueError(f"checks: no entry for {', '.join(missing)}")
        unknown = [c for c in self.checks if c not in CHECK_IDS]
        if unknown:
            raise ValueError(f"checks: unknown check id {', '.join(unknown)}")
        bad = [f"checks.{k}.source={v.source}" for k, v in self.checks.items() if v.source not in self.sources]
        if bad:
            raise ValueError(f"source not listed under 'sources': {', '.join(bad)}")
        if self.age.min > self.age.max:
            raise ValueError("age.min is greater than age.max")
        return self

    def verdict(self, check_id: str) -> Verdict:
        rule = self.checks.get(check_id)
        return rule.verdict if rule else "needs_review"


def _where(err: Any) -> str:
    return ".".join(str(p) for p in err["loc"]) or "(file)"


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and validate a rules file; ConfigError names the key that is wrong."""
    path = Path(path or DEFAULT_RULES)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"rules file {path} cannot be read: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"rules file {path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"rules file {path}: top level must be a mapping")
    try:
        return Rules.model_validate(data)
    except ValidationError as e:
        details = "; ".join(f"{_where(err)}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"rules file {path}: {details}") from e
