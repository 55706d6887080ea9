"""Checks on what was submitted: the three documents, unreadable files, registration.json."""

from __future__ import annotations

from models.contract import Check, CheckStatus, DocType, Evidence
from pipeline.checks.base import FIELD_UNREADABLE, CheckContext
from pipeline.errors import FILE_WARNINGS, STORED_COPY_ERRORS

DOCUMENT_UNREADABLE = "DOCUMENT_UNREADABLE"
ORIGINAL_DAMAGED = "ORIGINAL_DAMAGED"
DOC_CHECKS = {
    DocType.KTP: ("doc_ktp", "KTP_MISSING"),
    DocType.IJAZAH: ("doc_ijazah", "IJAZAH_MISSING"),
    DocType.SURAT_SEHAT: ("doc_surat_sehat", "SURAT_SEHAT_MISSING"),
}


def check_documents(ctx: CheckContext) -> list[Check]:
    """One check per required document. A document not found is missing (incomplete), unless the dossier has
    unreadable pages that may be the documents not found: one page per document at most, so with fewer such
    pages than documents not found, at least one is surely missing and they all stay missing. A file whose
    stored copy is damaged or gone (STORED_COPY_ERRORS) was never looked at: a document not found may be in
    it, so that is reviewed too (ORIGINAL_DAMAGED), whatever the count."""
    required = [t for t in ctx.rules.required_documents if t in DOC_CHECKS]
    not_found = [t for t in required if t not in ctx.docs]
    maybe_unreadable = 0 < len(not_found) <= len(ctx.unreadable)
    damaged = sorted({e.file for e in ctx.errors if e.error in STORED_COPY_ERRORS})
    out = []
    for doc_type in required:
        check_id, reason = DOC_CHECKS[doc_type]
        d = ctx.docs.get(doc_type)
        if d is None and damaged:
            out.append(_maybe_in_damaged(ctx, check_id, doc_type, damaged))
        elif d is None and maybe_unreadable:
            out.append(_maybe_unreadable(ctx, check_id, doc_type))
        elif d is None:
            out.append(ctx.make(check_id, CheckStatus.FAIL, reason))
        else:
            ev = Evidence(file=d.file, page=d.page, document=doc_type, value=d.type_scores.get(doc_type.value))
            out.append(ctx.make(check_id, CheckStatus.PASS, evidence=[ev]))
    return out


def _maybe_unreadable(ctx: CheckContext, check_id: str, doc_type: DocType) -> Check:
    """The document was not found, but a page that looks like a document could not be read: it may be this
    one, blurred or dark. A person looks (review) instead of the dossier being called incomplete."""
    pages = ", ".join(f"{d.file} hal. {d.page}" for d in ctx.unreadable)
    values = {"document": ctx.messages.document(doc_type.value),
              "document_en": ctx.messages.document(doc_type.value, en=True), "pages": pages}
    evidence = [Evidence(file=d.file, page=d.page, note="halaman tidak terbaca") for d in ctx.unreadable]
    return ctx.make(check_id, CheckStatus.REVIEW, DOCUMENT_UNREADABLE, values, evidence)


def _maybe_in_damaged(ctx: CheckContext, check_id: str, doc_type: DocType, files: list[str]) -> Check:
    values = {"document": ctx.messages.document(doc_type.value),
              "document_en": ctx.messages.document(doc_type.value, en=True), "files": ", ".join(files)}
    evidence = [Evidence(file=f, note="salinan di penyimpanan rusak atau hilang") for f in files]
    return ctx.make(check_id, CheckStatus.REVIEW, ORIGINAL_DAMAGED, values, evidence)


def check_files_readable(ctx: CheckContext) -> Check:
    """Scan files that could not be read; registration.json problems belong to the `registration` check. A file
    read in spite of damage (FILE_WARNINGS) is reviewed too, with what was recovered (FILE_DAMAGED)."""
    problems = [e for e in ctx.errors if not e.error.startswith("REGISTRATION_")]
    errors = [e for e in problems if e.error not in FILE_WARNINGS]
    if not errors and problems:
        files = sorted({e.file for e in problems})
        evidence = [Evidence(file=e.file, page=e.page, value=e.error, note=e.message) for e in problems]
        return ctx.make("files_readable", CheckStatus.REVIEW, "FILE_DAMAGED",
                        {"count": len(files), "files": ", ".join(files)}, evidence)
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


def check_fields_read(ctx: CheckContext, checks: list[Check]) -> Check:
    """FIELD_UNREADABLE for every field of a chosen document that was found but not read (its value empty, as
    the reading leaves a handwritten value it could not read surely, its box kept for the crop), unless another
    check already says so for that field: a value not read is reported as not read, even when no rule uses it
    (the ijazah's place of birth) or the check that would use it is not emitted (no KTP to compare with)."""
    said = {(e.document, e.file, e.field) for c in checks if c.status != CheckStatus.PASS
            and c.reason == FIELD_UNREADABLE for e in c.evidence}
    unread = [ctx.read(t, name) for t, d in ctx.docs.items() for name, value in d.fields.items()
              if (value is None or not str(value).strip()) and (t, d.file, name) not in said]
    if not unread:
        return ctx.make("fields_read", CheckStatus.PASS)
    names = ", ".join(f"{ctx.messages.field(r.name)} ({ctx.messages.document(r.source)})" for r in unread)
    names_en = ", ".join(f"{ctx.messages.field(r.name, en=True)} ({ctx.messages.document(r.source, en=True)})"
                         for r in unread)
    return ctx.make("fields_read", CheckStatus.REVIEW, FIELD_UNREADABLE, {"fields": names, "fields_en": names_en},
                    [r.evidence() for r in unread])
