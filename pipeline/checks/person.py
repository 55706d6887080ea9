"""Checks on the person: age, citizenship, education, and the NIK itself."""

from __future__ import annotations

import re
from datetime import date

from models.contract import Check, CheckStatus, DocType
from pipeline.checks.base import (
    FIELD_UNREADABLE,
    CheckContext,
    FieldRead,
    age_on,
    as_date,
    fmt_date,
    nik_digits,
)
from pipeline.nik import (
    NIK_DATE_INVALID,
    NIK_DOB_MISMATCH,
    NIK_FORMAT,
    NIK_REGION_UNKNOWN,
    NIK_SEX_MISMATCH,
    decode_nik,
    mask_nik,
    validate_nik,
)

_OCR_I = str.maketrans("1L", "II")
STRUCTURE_PROBLEMS = (NIK_FORMAT, NIK_REGION_UNKNOWN, NIK_DATE_INVALID)
CONSISTENCY_PROBLEMS = (NIK_DOB_MISMATCH, NIK_SEX_MISMATCH)


def check_age(ctx: CheckContext) -> list[Check]:
    read = ctx.read(DocType.KTP, "tanggal_lahir")
    unsure = ctx.unsure([read])
    born = as_date(read.value)
    if unsure is not None or born is None:
        reason = None if unsure is not None else FIELD_UNREADABLE
        return [ctx.review_for(c, unsure or read, reason=reason) for c in ("age_min", "age_max")]
    day = ctx.rules.reference_dates.voting_day
    age = age_on(born, day)
    ev = [read.evidence()]
    values = {"age": age, "min": ctx.rules.age.min, "max": ctx.rules.age.max, "day": fmt_date(day)}
    low = age < ctx.rules.age.min
    high = age > ctx.rules.age.max
    return [
        ctx.make("age_min", CheckStatus.FAIL if low else CheckStatus.PASS, "UNDER_AGE", values, ev),
        ctx.make("age_max", CheckStatus.FAIL if high else CheckStatus.PASS, "OVER_55", values, ev),
    ]


def check_citizenship(ctx: CheckContext) -> Check:
    read = ctx.read(DocType.KTP, "kewarganegaraan")
    unsure = ctx.unsure([read])
    if unsure is not None:
        return ctx.review_for("citizenship", unsure)
    text = re.sub(r"[^A-Z]", "", str(read.value).upper().translate(_OCR_I))
    if text in {"WNI", "INDONESIA", "WARGANEGARAINDONESIA"}:
        return ctx.make("citizenship", CheckStatus.PASS, evidence=[read.evidence()])
    if text in {"WNA", "ASING", "WARGANEGARAASING"}:
        return ctx.make("citizenship", CheckStatus.FAIL, "NOT_WNI", {"value": read.value}, [read.evidence()])
    return ctx.review_for("citizenship", read, reason=FIELD_UNREADABLE)


def _education_level(text: str, ctx: CheckContext) -> tuple[str | None, bool | None]:
    """(level, accepted?) for a jenjang text; (None, None) when no known level is found."""
    rule = ctx.rules.education
    norm = " " + re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9]", " ", text.upper())).strip() + " "
    for alias, level in sorted(rule.aliases.items(), key=lambda kv: -len(kv[0])):
        norm = norm.replace(f" {alias} ", f" {level} ")
    levels = [(lv, True) for lv in rule.accepted] + [(lv, False) for lv in rule.too_low]
    for level, ok in sorted(levels, key=lambda t: -len(t[0])):
        if f" {level} " in norm:
            return level, ok
    return None, None


def check_education(ctx: CheckContext) -> Check:
    read = ctx.read(DocType.IJAZAH, "jenjang")
    if not read.present:  # fall back on the school's name ("SMA NEGERI 1 ...")
        school = ctx.read(DocType.IJAZAH, "nama_sekolah")
        read = school if school.present else read
    unsure = ctx.unsure([read])
    if unsure is not None:
        return ctx.review_for("education", unsure)
    level, ok = _education_level(str(read.value), ctx)
    if level is None:
        return ctx.make("education", CheckStatus.REVIEW, FIELD_UNREADABLE, {"value": read.value}, [read.evidence()])
    status = CheckStatus.PASS if ok else CheckStatus.FAIL
    return ctx.make("education", status, "EDUCATION_TOO_LOW", {"level": level}, [read.evidence()])


def _problem_text(ctx: CheckContext, codes: list[str], *, en: bool) -> str:
    return ", ".join(ctx.messages.nik_problem(c, en=en) for c in codes)


def check_nik(ctx: CheckContext) -> list[Check]:
    read = ctx.read(DocType.KTP, "nik")
    unsure = ctx.unsure([read])
    if unsure is not None:
        return [ctx.review_for("nik_valid", unsure), ctx.review_for("nik_consistent", unsure)]
    nik = nik_digits(read.value)
    today = ctx.rules.reference_dates.voting_day
    masked = mask_nik(nik)
    structure = [p for p in validate_nik(nik, regions=ctx.regions, today=today) if p in STRUCTURE_PROBLEMS]
    values = {
        "nik": masked,
        "problems": _problem_text(ctx, structure, en=False),
        "problems_en": _problem_text(ctx, structure, en=True),
    }
    ev = [read.evidence()]
    valid = ctx.make("nik_valid", CheckStatus.FAIL if structure else CheckStatus.PASS, "NIK_INVALID", values, ev)
    return [valid, _nik_consistent(ctx, nik, read, today)]


def _nik_consistent(ctx: CheckContext, nik: str, nik_read: FieldRead, today: date) -> Check:
    if decode_nik(nik, today=today) is None:
        return ctx.make("nik_consistent", CheckStatus.REVIEW, "NIK_INVALID", {}, [nik_read.evidence()])
    dob = ctx.read(DocType.KTP, "tanggal_lahir")
    sex = ctx.read(DocType.KTP, "jenis_kelamin")
    unsure = ctx.unsure([dob, sex])
    if unsure is not None:
        return ctx.review_for("nik_consistent", unsure, [nik_read.evidence()])
    printed = as_date(dob.value)
    if printed is None:
        return ctx.review_for("nik_consistent", dob, [nik_read.evidence()], reason=FIELD_UNREADABLE)
    found = validate_nik(nik, printed_dob=printed, printed_sex=str(sex.value), today=today)
    problems = [p for p in found if p in CONSISTENCY_PROBLEMS]
    values = {"problems": _problem_text(ctx, problems, en=False), "problems_en": _problem_text(ctx, problems, en=True)}
    ev = [nik_read.evidence(), dob.evidence(), sex.evidence()]
    status = CheckStatus.FAIL if problems else CheckStatus.PASS
    return ctx.make("nik_consistent", status, "NIK_INCONSISTENT", values, ev)
