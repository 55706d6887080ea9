"""Domicile: the KTP-el address (kel/desa, kecamatan, kab/kota, provinsi) against the registered TPS area.

The NIK's region digits are never used here: they say where the NIK was first issued, not where the holder
lives. Both sides are resolved to Kemendagri codes with pipeline.regions and compared level by level.
"""

from __future__ import annotations

from models.contract import Check, CheckStatus, DocType, Evidence
from pipeline.checks.base import LOW_CONFIDENCE, CheckContext
from pipeline.regions import AreaMatch

LEVELS = (("kabupaten_kota", "kabkota_code"), ("kecamatan", "kecamatan_code"), ("desa", "desa_code"))


def _describe(desa: object, kec: object, kab: object) -> str:
    return ", ".join(str(v) for v in (desa, kec, kab) if v)


def _evidence(match: AreaMatch, note: str) -> Evidence:
    return Evidence(value=match.desa_code or match.kecamatan_code or match.kabkota_code, confidence=match.score, note=note)


def check_domicile(ctx: CheckContext) -> Check | None:
    reg = ctx.registration
    if reg is None or DocType.KTP not in ctx.docs:
        return None
    desa, kec, kab = (ctx.read(DocType.KTP, f) for f in ("kel_desa", "kecamatan", "kabupaten_kota"))
    prov = ctx.read(DocType.KTP, "provinsi")
    unsure = ctx.unsure([desa, kec, kab])
    if unsure is not None:
        return ctx.review_for("domicile", unsure)
    w = reg.wilayah
    values = {
        "ktp_area": _describe(desa.value, kec.value, kab.value),
        "reg_area": _describe(w.desa_kelurahan, w.kecamatan, w.kabupaten_kota),
    }
    ev = [desa.evidence(), kec.evidence(), kab.evidence()]
    area = ctx.rules.area
    registered = ctx.regions.resolve_area(w.provinsi, w.kabupaten_kota, w.kecamatan, w.desa_kelurahan)
    ev.append(_evidence(registered, "registered area code"))
    if registered.desa_code is None or registered.score < area.match:
        return ctx.make("domicile", CheckStatus.REVIEW, LOW_CONFIDENCE, values, ev)
    prov_name = str(prov.value) if prov.present else None
    found = ctx.regions.resolve_area(prov_name, str(kab.value), str(kec.value), str(desa.value))
    ev.append(_evidence(found, "KTP address code"))
    for level, attr in LEVELS:
        if getattr(found, attr) == getattr(registered, attr):
            continue
        if found.scores.get(level, 0.0) >= area.match:
            return ctx.make("domicile", CheckStatus.FAIL, "OUT_OF_AREA", values, ev)
        return ctx.make("domicile", CheckStatus.REVIEW, LOW_CONFIDENCE, values, ev)
    if found.score < area.floor:
        return ctx.make("domicile", CheckStatus.REVIEW, LOW_CONFIDENCE, values, ev)
    return ctx.make("domicile", CheckStatus.PASS, values=values, evidence=ev)
