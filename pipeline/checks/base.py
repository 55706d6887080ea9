"""What every check needs: the chosen documents, field reads with confidence, and building a Check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config.rules import Rules
from models.contract import Check, CheckStatus, DocType, DocumentResult, Evidence, FileError, Registration
from pipeline.checks.messages import Catalogue
from pipeline.names import normalise_name
from pipeline.regions import Regions

FIELD_UNREADABLE = "FIELD_UNREADABLE"
LOW_CONFIDENCE = "LOW_CONFIDENCE"


def pick_documents(documents: list[DocumentResult]) -> dict[DocType, DocumentResult]:
    """One document per type: the most confident page (mean field confidence, then type score)."""

    def rank(d: DocumentResult) -> tuple[float, float]:
        conf = sum(d.confidence.values()) / len(d.confidence) if d.confidence else 0.0
        return conf, d.type_scores.get(d.type.value, 0.0)

    best: dict[DocType, DocumentResult] = {}
    for d in documents:
        if d.type == DocType.UNKNOWN:
            continue
        if d.type not in best or rank(d) > rank(best[d.type]):
            best[d.type] = d
    return best


@dataclass(frozen=True)
class FieldRead:
    """One field of one document, or of the registration (doc is None)."""

    name: str
    value: Any
    confidence: float | None
    doc: DocumentResult | None
    source: str  # "ktp" / "ijazah" / "surat_sehat" / "registration"

    def evidence(self, value: Any = None) -> Evidence:
        d = self.doc
        return Evidence(
            file=d.file if d else None,
            page=d.page if d else None,
            document=d.type if d else None,
            field=self.name,
            value=self.value if value is None else value,
            box=d.boxes.get(self.name) if d else None,
            confidence=self.confidence,
            note=None if d else "registration.json",
        )

    @property
    def present(self) -> bool:
        return self.value is not None and str(self.value).strip() != ""


@dataclass
class CheckContext:
    registration: Registration | None
    docs: dict[DocType, DocumentResult]
    errors: list[FileError]
    rules: Rules
    regions: Regions
    duplicates: dict[str, list[str]] | None
    messages: Catalogue
    unreadable: list[DocumentResult] = field(default_factory=list)  # pages that may be a document, unread

    def read(self, doc_type: DocType, name: str) -> FieldRead:
        d = self.docs.get(doc_type)
        value = d.fields.get(name) if d else None
        conf = d.confidence.get(name, 1.0) if d and value is not None else None
        return FieldRead(name, value, conf, d, doc_type.value)

    def read_registration(self, name: str, value: Any) -> FieldRead:
        return FieldRead(name, value, None, None, "registration")

    def corroborated(self, read: FieldRead) -> bool:
        """True when another source (registration.json or another document type) gives exactly the same value
        for the same field: two independent readings agreeing digit for digit are not an OCR accident."""
        if read.doc is None or not read.present:
            return False
        mine = comparable(read.name, read.value)
        sources: list[Any] = []
        reg = self.registration
        if reg is not None and read.name in ("nik", "nama", "tanggal_lahir"):
            sources.append(getattr(reg, read.name))
        sources += [d.fields.get(read.name) for t, d in self.docs.items() if t != read.doc.type]
        return any(v is not None and str(v).strip() and comparable(read.name, v) == mine for v in sources)

    def unsure(self, reads: list[FieldRead]) -> FieldRead | None:
        """The first read that is missing or below the confidence threshold (None when all are usable).

        With `confidence.corroborate` in the rules, a low-confidence read that another source confirms
        exactly counts as usable."""
        for r in reads:
            if not r.present:
                return r
        threshold = self.rules.confidence.min_field
        for r in reads:
            if r.confidence is not None and r.confidence < threshold:
                if not (self.rules.confidence.corroborate and self.corroborated(r)):
                    return r
        return None

    def make(
        self,
        check_id: str,
        status: CheckStatus,
        reason: str | None = None,
        values: dict[str, Any] | None = None,
        evidence: list[Evidence] | None = None,
    ) -> Check:
        outcome = "pass" if status == CheckStatus.PASS else reason or FIELD_UNREADABLE
        msg, msg_en = self.messages.render(check_id, outcome, values or {})
        return Check(
            id=check_id,
            status=status,
            message=msg,
            message_en=msg_en,
            reason=None if status == CheckStatus.PASS else reason,
            evidence=evidence or [],
        )

    def review_for(
        self, check_id: str, read: FieldRead, extra: list[Evidence] | None = None, *, reason: str | None = None
    ) -> Check:
        """`review` because `read` is missing (FIELD_UNREADABLE) or uncertain (LOW_CONFIDENCE)."""
        reason = reason or (LOW_CONFIDENCE if read.present else FIELD_UNREADABLE)
        values = {
            "field": self.messages.field(read.name),
            "field_en": self.messages.field(read.name, en=True),
            "document": self.messages.document(read.source),
            "document_en": self.messages.document(read.source, en=True),
            "value": read.value,
        }
        return self.make(check_id, CheckStatus.REVIEW, reason, values, [read.evidence(), *(extra or [])])


_OCR_TO_DIGIT = str.maketrans({"O": "0", "D": "0", "I": "1", "L": "1"})


def nik_digits(value: object) -> str:
    """The NIK without spaces, dots or dashes, OCR letters for digits (O, D, I, L) mapped back when that
    leaves only digits; otherwise the text as it is (so validation reports it)."""
    text = re.sub(r"[\s.\-]", "", str(value or "")).upper()
    fixed = text.translate(_OCR_TO_DIGIT)
    return fixed if fixed.isdigit() else text


def comparable(name: str, value: Any) -> str:
    """A field value in the form used to decide that two sources say exactly the same thing."""
    if name == "nik":
        return nik_digits(value)
    if name == "nama":
        return normalise_name(str(value))
    d = as_date(value)
    if d is not None:
        return d.isoformat()
    return " ".join(str(value).upper().split())


_DMY_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def as_date(value: Any) -> date | None:
    """A date from a contract value (date, ISO string, or DD-MM-YYYY as typed by a verifier); else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    m = _DMY_RE.match(text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


def age_on(born: date, day: date) -> int:
    """Whole years on `day`. A 29 February birthday counts from 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def fmt_date(d: date) -> str:
    return d.strftime("%d-%m-%Y")
