"""Report vocabulary: reason codes grouped by section (config/report_reasons.yaml), with Indonesian labels.

The reason table is data, read and validated once per process; what the code keeps here are the fixed
words of the report itself (statuses, decisions, levels).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from config.settings import CONFIG_DIR
from pipeline.errors import ConfigError

REASONS_FILE = CONFIG_DIR / "report_reasons.yaml"
NEEDED_PER_TPS = 7  # 1 ketua + 6 anggota KPPS
OTHER = "LAINNYA"

Section = Literal["calon", "bacaan"]
CANDIDATE: Section = "calon"
READING: Section = "bacaan"
Kind = Literal["missing", "not_eligible", "review"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SectionInfo(_Strict):
    label: str
    note: str


class ReasonInfo(_Strict):
    section: Section
    kind: Kind
    label: str


class ReasonTable(_Strict):
    sections: dict[Section, SectionInfo]
    documents: dict[str, str]
    reasons: dict[str, ReasonInfo]

    def section_of(self, code: str) -> Section:
        """`bacaan` for reading problems; `calon` for everything else, codes not in the table included."""
        info = self.reasons.get(code)
        return info.section if info else CANDIDATE

    def label(self, code: str) -> str:
        if code == OTHER:
            return "Lainnya"
        info = self.reasons.get(code)
        return info.label if info else code

    def codes(self, kind: Kind) -> tuple[str, ...]:
        """Reason codes of one kind, in file order."""
        return tuple(code for code, info in self.reasons.items() if info.kind == kind)

    def reading_codes(self) -> frozenset[str]:
        return frozenset(code for code, info in self.reasons.items() if info.section == READING)


def load_reason_table(path: Path = REASONS_FILE) -> ReasonTable:
    """Read and validate the reason table; ConfigError (REPORT_REASONS_INVALID) names the wrong key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}", code="REPORT_REASONS_INVALID") from e
    try:
        return ReasonTable.model_validate(data)
    except ValidationError as e:
        where = "; ".join(".".join(str(p) for p in err["loc"]) + f": {err['msg']}" for err in e.errors())
        raise ConfigError(f"{path}: {where}", code="REPORT_REASONS_INVALID") from e


@lru_cache(maxsize=1)
def reason_table() -> ReasonTable:
    """The packaged table, loaded once per process."""
    return load_reason_table()


_TABLE = reason_table()
MISSING_DOCS = tuple(_TABLE.documents)
MISSING_LABELS = dict(_TABLE.documents)
NOT_ELIGIBLE_REASONS = _TABLE.codes("not_eligible")
REVIEW_REASONS = _TABLE.codes("review")
READING_REASONS = _TABLE.reading_codes()

STATUS_LABELS = {
    "complete": "Lengkap",
    "incomplete": "Belum lengkap",
    "needs_review": "Perlu diperiksa",
    "not_eligible": "Tidak memenuhi syarat",
}
DECISION_LABELS = {
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "documents_requested": "Diminta melengkapi",
}
LEVEL_LABELS = {
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten/Kota",
    "kecamatan": "Kecamatan",
    "desa": "Desa/Kelurahan",
    "tps": "TPS",
}
