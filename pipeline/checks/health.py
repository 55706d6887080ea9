"""Checks on the surat keterangan sehat: conclusion, vital signs shown, date window, issuer."""

from __future__ import annotations

import calendar
import re
from datetime import date

from rapidfuzz import fuzz

from models.contract import Check, CheckStatus, DocType, Evidence
from pipeline.checks.base import FIELD_UNREADABLE, CheckContext, as_date, fmt_date


def _words(text: object) -> str:
    return " " + re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9]", " ", str(text).upper())).strip() + " "


def check_conclusion(ctx: CheckContext) -> Check:
    read = ctx.read(DocType.SURAT_SEHAT, "kesimpulan")
    unsure = ctx.unsure([read])
    if unsure is not None:
        return ctx.review_for("health_conclusion", unsure)
    text = _words(read.value)
    rule = ctx.rules.health
    ev = [read.evidence()]
    if any(_words(p) in text for p in rule.conclusion_not_ok):
        return ctx.make("health_conclusion", CheckStatus.FAIL, "NOT_HEALTHY", {"value": read.value}, ev)
    if any(_words(p) in text for p in rule.conclusion_ok):
        return ctx.make("health_conclusion", CheckStatus.PASS, evidence=ev)
    return ctx.make("health_conclusion", CheckStatus.REVIEW, FIELD_UNREADABLE, {"value": read.value}, ev)


def _numbers(text: object) -> list[float]:
    return [float(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", str(text))]


def _out_of_range(ctx: CheckContext, values: dict[str, object]) -> list[str]:
    """Vitals above the configured limits, as 'name value' strings (only when thresholds are enabled)."""
    t = ctx.rules.health.vitals.thresholds
    out = []
    bp = _numbers(values.get("tekanan_darah", ""))
    if len(bp) >= 2 and (bp[0] > t.systolic_max or bp[1] > t.diastolic_max):
        out.append(f"tekanan darah {values['tekanan_darah']}")
    for name, limit in (("gula_darah", t.gula_darah_max), ("kolesterol", t.kolesterol_max)):
        nums = _numbers(values.get(name, ""))
        if nums and nums[0] > limit:
            out.append(f"{name.replace('_', ' ')} {values[name]}")
    return out


def check_vitals(ctx: CheckContext) -> Check:
    reads = [ctx.read(DocType.SURAT_SEHAT, name) for name in ctx.rules.health.vitals.required]
    missing = [r for r in reads if not r.present]
    ev = [r.evidence() for r in reads]
    if missing:
        names = ", ".join(ctx.messages.field(r.name) for r in missing)
        return ctx.make("health_vitals", CheckStatus.FAIL, "VITALS_MISSING", {"missing": names}, ev)
    if ctx.rules.health.vitals.thresholds.enabled:
        high = _out_of_range(ctx, {r.name: r.value for r in reads})
        if high:
            return ctx.make("health_vitals", CheckStatus.FAIL, "VITALS_OUT_OF_RANGE", {"values": "; ".join(high)}, ev)
    return ctx.make("health_vitals", CheckStatus.PASS, evidence=ev)


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 May - 3 months = 28/29 Feb)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_date(ctx: CheckContext) -> Check:
    read = ctx.read(DocType.SURAT_SEHAT, "tanggal_surat")
    unsure = ctx.unsure([read])
    if unsure is not None:
        return ctx.review_for("health_date", unsure)
    letter = as_date(read.value)
    if letter is None:
        return ctx.review_for("health_date", read, reason=FIELD_UNREADABLE)
    reg = ctx.registration
    reference = (reg.tanggal_daftar if reg else None) or ctx.rules.reference_dates.registration_end
    months = ctx.rules.health.window_months
    earliest = months_before(reference, months)
    values = {"date": fmt_date(letter), "reference": fmt_date(reference), "months": months}
    ev = [read.evidence(), Evidence(value=reference.isoformat(), note="reference date")]
    if letter < earliest:
        return ctx.make("health_date", CheckStatus.FAIL, "HEALTH_LETTER_STALE", values, ev)
    if letter > reference:
        return ctx.make("health_date", CheckStatus.REVIEW, "HEALTH_LETTER_AFTER_REFERENCE", values, ev)
    return ctx.make("health_date", CheckStatus.PASS, evidence=ev, values=values)


def check_issuer(ctx: CheckContext) -> Check:
    read = ctx.read(DocType.SURAT_SEHAT, "penerbit")
    unsure = ctx.unsure([read])
    if unsure is not None:
        return ctx.review_for("health_issuer", unsure)
    text = _words(read.value)
    ok = False
    for kw in ctx.rules.health.accepted_issuers:
        key = _words(kw)
        if key in text or (len(kw) >= 6 and fuzz.partial_ratio(key.strip(), text.strip()) >= 90):
            ok = True
            break
    status = CheckStatus.PASS if ok else CheckStatus.FAIL
    return ctx.make("health_issuer", status, "ISSUER_UNKNOWN", {"value": read.value}, [read.evidence()])
