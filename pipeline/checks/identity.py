"""Checks that the documents describe one person: names, NIK, birth dates, and NIKs used elsewhere."""

from __future__ import annotations

from models.contract import Check, CheckStatus, DocType, DocumentResult, Evidence, Registration
from pipeline.checks.base import FIELD_UNREADABLE, CheckContext, FieldRead, as_date, fmt_date, nik_digits
from pipeline.names import compare_names
from pipeline.nik import mask_nik


def _labels(ctx: CheckContext, a: FieldRead, b: FieldRead) -> dict[str, str]:
    return {
        "a_label": ctx.messages.document(a.source),
        "b_label": ctx.messages.document(b.source),
        "a_label_en": ctx.messages.document(a.source, en=True),
        "b_label_en": ctx.messages.document(b.source, en=True),
    }


def _compare_names(ctx: CheckContext, check_id: str, a: FieldRead, b: FieldRead) -> Check:
    unsure = ctx.unsure([a, b])
    if unsure is not None:
        return ctx.review_for(check_id, unsure, [r.evidence() for r in (a, b) if r is not unsure])
    cmp = compare_names(str(a.value), str(b.value))
    values = {"a": a.value, "b": b.value, "score": cmp.score, **_labels(ctx, a, b)}
    ev = [a.evidence(), b.evidence(), Evidence(value=cmp.score, note=f"name score {cmp.a} / {cmp.b}")]
    ok = cmp.score >= ctx.rules.names.match
    return ctx.make(check_id, CheckStatus.PASS if ok else CheckStatus.FAIL, "NAME_MISMATCH", values, ev)


def _compare_dates(ctx: CheckContext, check_id: str, a: FieldRead, b: FieldRead) -> Check:
    unsure = ctx.unsure([a, b])
    if unsure is not None:
        return ctx.review_for(check_id, unsure, [r.evidence() for r in (a, b) if r is not unsure])
    da, db = as_date(a.value), as_date(b.value)
    if da is None:
        return ctx.review_for(check_id, a, reason=FIELD_UNREADABLE)
    if db is None:
        return ctx.review_for(check_id, b, reason=FIELD_UNREADABLE)
    values = {"a": fmt_date(da), "b": fmt_date(db), **_labels(ctx, a, b)}
    status = CheckStatus.PASS if da == db else CheckStatus.FAIL
    return ctx.make(check_id, status, "DOB_MISMATCH", values, [a.evidence(), b.evidence()])


def check_identity(ctx: CheckContext) -> list[Check]:
    """Only pairs whose two sides were submitted; a missing document is reported by its own check."""
    out: list[Check] = []
    reg = ctx.registration
    has = ctx.docs.__contains__
    ktp_nama = ctx.read(DocType.KTP, "nama")
    ktp_dob = ctx.read(DocType.KTP, "tanggal_lahir")
    if reg is not None and has(DocType.KTP):
        out.append(_compare_names(ctx, "identity_reg_ktp_nama", ctx.read_registration("nama", reg.nama), ktp_nama))
        out.append(_check_reg_nik(ctx, reg.nik))
        if reg.tanggal_lahir is not None:
            reg_dob = ctx.read_registration("tanggal_lahir", reg.tanggal_lahir.isoformat())
            out.append(_compare_dates(ctx, "identity_reg_ktp_dob", reg_dob, ktp_dob))
    if has(DocType.KTP) and has(DocType.IJAZAH):
        out.append(_compare_names(ctx, "identity_ktp_ijazah_nama", ktp_nama, ctx.read(DocType.IJAZAH, "nama")))
        ij_dob = ctx.read(DocType.IJAZAH, "tanggal_lahir")
        out.append(_compare_dates(ctx, "identity_ktp_ijazah_dob", ktp_dob, ij_dob))
    if has(DocType.KTP) and has(DocType.SURAT_SEHAT):
        sehat = ctx.read(DocType.SURAT_SEHAT, "nama")
        out.append(_compare_names(ctx, "identity_ktp_sehat_nama", ktp_nama, sehat))
    return out


def _check_reg_nik(ctx: CheckContext, reg_nik: str) -> Check:
    a = ctx.read_registration("nik", reg_nik)
    b = ctx.read(DocType.KTP, "nik")
    unsure = ctx.unsure([a, b])
    if unsure is not None:
        return ctx.review_for("identity_reg_ktp_nik", unsure)
    na, nb = nik_digits(a.value), nik_digits(b.value)
    values = {"a": mask_nik(na), "b": mask_nik(nb)}
    status = CheckStatus.PASS if na == nb else CheckStatus.FAIL
    return ctx.make("identity_reg_ktp_nik", status, "NIK_MISMATCH", values, [a.evidence(), b.evidence()])


def dossier_niks(registration: Registration | None, ktp: DocumentResult | None) -> set[str]:
    """The 16-digit NIKs a dossier holds (registration and the chosen KTP), for the duplicate index."""
    niks = set()
    if registration is not None:
        niks.add(nik_digits(registration.nik))
    if ktp is not None and ktp.fields.get("nik"):
        niks.add(nik_digits(ktp.fields["nik"]))
    return {n for n in niks if len(n) == 16 and n.isdigit()}


def check_duplicates(ctx: CheckContext) -> Check | None:
    """DUPLICATE_NIK when another dossier holds one of this dossier's NIKs; None when no index was given.

    `ctx.duplicates` maps a NIK to the dossier ids holding it; an entry keyed by this dossier's own id
    (the other dossiers found for it) is accepted too.
    """
    if ctx.duplicates is None:
        return None
    own = ctx.registration.dossier_id if ctx.registration else None
    keys = dossier_niks(ctx.registration, ctx.docs.get(DocType.KTP)) | ({own} if own else set())
    others = sorted({d for k in keys for d in ctx.duplicates.get(k, []) if d != own})
    if not others:
        return ctx.make("duplicate_nik", CheckStatus.PASS)
    ev = [Evidence(value=d, note="dossier_id") for d in others]
    return ctx.make("duplicate_nik", CheckStatus.FAIL, "DUPLICATE_NIK", {"others": ", ".join(others)}, ev)
