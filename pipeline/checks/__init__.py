"""Requirement checks: from a dossier's documents (fields, confidence, boxes) to a list of Check results.

Checks never run OCR, so they can be re-run after a verifier corrects a field or the duplicate index changes.
Check ids and reason codes are the shared vocabulary (see docs/rules.md). A check whose input is missing or
read with low confidence says `review`, never `pass`. Checks that need a document which was not submitted are
not emitted: the document's own check (doc_ktp, ...) reports the absence.
"""

from __future__ import annotations

from config.rules import Rules
from models.contract import Check, DocType, DocumentResult, FileError, Registration
from pipeline.checks.area import check_domicile
from pipeline.checks.base import CheckContext, pick_documents
from pipeline.checks.documents import (
    check_documents,
    check_fields_read,
    check_files_readable,
    check_registration,
)
from pipeline.checks.health import check_conclusion, check_date, check_issuer, check_vitals
from pipeline.checks.identity import check_duplicates, check_identity, dossier_niks
from pipeline.checks.messages import Catalogue, load_catalogue
from pipeline.checks.person import check_age, check_citizenship, check_education, check_nik
from pipeline.regions import Regions

__all__ = ["run_checks", "dossier_niks_of"]


def run_checks(
    registration: Registration | None,
    documents: list[DocumentResult],
    errors: list[FileError],
    *,
    rules: Rules,
    regions: Regions,
    duplicates: dict[str, list[str]] | None = None,
    messages: Catalogue | None = None,
) -> list[Check]:
    """All checks for one dossier. `duplicates` maps a NIK to the other dossier ids holding it (None: skip)."""
    ctx = CheckContext(
        registration=registration,
        docs=pick_documents(documents),
        unreadable=[d for d in documents if d.unreadable and d.type == DocType.UNKNOWN],
        errors=errors,
        rules=rules,
        regions=regions,
        duplicates=duplicates,
        messages=messages or load_catalogue(),
    )
    checks: list[Check] = [check_registration(ctx), *check_documents(ctx), check_files_readable(ctx)]
    if DocType.KTP in ctx.docs:
        checks += [*check_age(ctx), check_citizenship(ctx), *check_nik(ctx)]
    if DocType.IJAZAH in ctx.docs:
        checks.append(check_education(ctx))
    if DocType.SURAT_SEHAT in ctx.docs:
        checks += [check_conclusion(ctx), check_vitals(ctx), check_date(ctx), check_issuer(ctx)]
    checks += check_identity(ctx)
    checks += [c for c in (check_domicile(ctx), check_duplicates(ctx)) if c is not None]
    checks.append(check_fields_read(ctx, checks))  # last: what no other check reported as unread
    return checks


def dossier_niks_of(registration: Registration | None, documents: list[DocumentResult]) -> set[str]:
    """The NIKs a dossier holds (registration and its chosen KTP): what to put in the duplicate index."""
    return dossier_niks(registration, pick_documents(documents).get(DocType.KTP))
