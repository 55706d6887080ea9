"""Checks on the surat keterangan sehat: conclusion, vital signs shown, date window, issuer."""

from __future__ import annotations

import calendar
import re
from datetime import date

from rapidfuzz import fuzz

from models.contract import Check, CheckStatus, DocType, DocumentResult, Evidence
from pipeline.checks.base import FIELD_UNREADABLE, CheckContext, as_date, fmt_date

CONCLUSION_DOUBTFUL = "CONCLUSION_DOUBTFUL"  # "SEHAT" beside a piece of a negation: maybe "TIDAK SEHAT"
VITALS_UNREADABLE = "VITALS_UNREADABLE"  # a vital sign not found on a letter read poorly: maybe printed


def _words(text: object) -> str:
    return " " + re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9]", " ", str(text).upper())).strip() + " "


def _looks_negated(text: str, ok_phrases: list[str]) -> bool:
    """True when a conclusion holds a word that may be a piece of TIDAK ("DAK", "TDAK", "TIDA") or BELUM:
    a "SEHAT" next to it may be a "TIDAK SEHAT" read in part, and must not pass as healthy."""
    ok_words = {w for p in ok_phrases for w in _words(p).split()}
    for tok in text.split():
        if tok in ok_words or len(tok) < 2:
            continue
        if fuzz.ratio(tok, "TIDAK") >= 60 or fuzz.ratio(tok, "BELUM") >= 60:
            return True
        if len(tok) >= 3 and fuzz.partial_ratio(tok, "TIDAK") >= 80:
            return True
    return False


def check_conclusion(ctx: CheckContext) -> Check:
    """NOT_HEALTHY (fail) on a clear "TIDAK SEHAT"; pass only on a clear, confident "SEHAT" with no piece
    of a negation beside it. A low-confidence reading never passes, whatever another source says (nothing
    else states a health conclusion); a partial negation is CONCLUSION_DOUBTFUL (review)."""
    read = ctx.read(DocType.SURAT_SEHAT, "kesimpulan")
    unsure = ctx.unsure([read])
    if unsure is None and read.confidence is not None and read.confidence < ctx.rules.confidence.min_field:
        unsure = read  # corroboration does not apply to a health verdict
    if unsure is not None:
        return ctx.review_for("health_conclusion", unsure)
    text = _words(read.value)
    rule = ctx.rules.health
    ev = [read.evidence()]
    if any(_words(p) in text for p in rule.conclusion_not_ok):
        return ctx.make("health_conclusion", CheckStatus.FAIL, "NOT_HEALTHY", {"value": read.value}, ev)
    if _looks_negated(text, rule.conclusion_ok):
        return ctx.make("health_conclusion", CheckStatus.REVIEW, CONCLUSION_DOUBTFUL, {"value": read.value}, ev)
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


def _poorly_read(ctx: CheckContext, doc: DocumentResult | None) -> bool:
    """True when some field of the letter was read below the review threshold: on such a page a value not
    found may be printed and not read, so its absence is no finding."""
    if doc is None:
        return True
    threshold = ctx.rules.confidence.min_field
    return doc.unreadable or any(c < threshold for c in doc.confidence.values())


def check_vitals(ctx: CheckContext) -> Check:
    """VITALS_MISSING (fail: "tidak memuat") only when the letter was read well and shows no such value;
    on a letter read poorly the same gap is VITALS_UNREADABLE (review: "tidak terbaca"), since the value
    may be printed where the reading failed."""
    reads = [ctx.read(DocType.SURAT_SEHAT, name) for name in ctx.rules.health.vitals.required]
    missing = [r for r in reads if not r.present]
    ev = [r.evidence() for r in reads]
    if missing:
        names = ", ".join(ctx.messages.field(r.name) for r in missing)
        if _poorly_read(ctx, ctx.docs.get(DocType.SURAT_SEHAT)):
            return ctx.make("health_vitals", CheckStatus.REVIEW, VITALS_UNREADABLE, {"missing": names}, ev)
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
