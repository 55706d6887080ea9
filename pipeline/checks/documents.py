"""Checks on what was submitted: the three documents, unreadable files, registration.json."""

from __future__ import annotations

from models.contract import Check, CheckStatus, DocType, Evidence
from pipeline.checks.base import CheckContext

DOC_CHECKS = {
    DocType.KTP: ("doc_ktp", "KTP_MISSING"),
    DocType.IJAZAH: ("doc_ijazah", "IJAZAH_MISSING"),
    DocType.SURAT_SEHAT: ("doc_surat_sehat", "SURAT_SEHAT_MISSING"),
}


def check_documents(ctx: CheckContext) -> list[Check]:
    out = []
    for doc_type in ctx.rules.required_documents:
        if doc_type not in DOC_CHECKS:
            continue
        check_id, reason = DOC_CHECKS[doc_type]
        d = ctx.docs.get(doc_type)
        if d is None:
            out.append(ctx.make(check_id, CheckStatus.FAIL, reason))
        else:
            ev = Evidence(file=d.file, page=d.page, document=doc_type, value=d.type_scores.get(doc_type.value))
            out.append(ctx.make(check_id, CheckStatus.PASS, evidence=[ev]))
    return out


def check_files_readable(ctx: CheckContext) -> Check:
    """Scan files that could not be read; registration.json problems belong to the `registration` check."""
    errors = [e for e in ctx.errors if not e.error.startswith("REGISTRATION_")]
    if not errors:
        return ctx.make("files_readable", CheckStatus.PASS)
    files = sorted({e.file for e in errors})
    evidence = [Evidence(file=e.file, page=e.page, value=e.error, note=e.message) for e in errors]
    values = {"count": len(files), "files": ", ".join(files)}
    return ctx.make("files_readable", CheckStatus.REVIEW, "FILE_UNREADABLE", values, evidence)


def check_registration(ctx: CheckContext) -> Check:
    if ctx.registration is None:
        return ctx.make("registration", CheckStatus.FAIL, "REGISTRATION_INVALID")
    ev = Evidence(value=ctx.registration.dossier_id, note="registration.json")
    return ctx.make("registration", CheckStatus.PASS, evidence=[ev])
