"""One scenario slot -> dossier folder(s) with registration.json, scan files and a truth entry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from scripts.samplegen import (
    extras,
    fieldmode,
    files,
    ijazah,
    ijazah_alt,
    ijazah_hand,
    ktp_alt,
    sehat_alt,
    surat_sehat,
)
from scripts.samplegen.families import OLD_FAMILIES, Picker, Selection, parse
from scripts.samplegen.ktp import ktp_page
from scripts.samplegen.layout import Page
from scripts.samplegen.people import Person, make_person, name_variant, other_person
from scripts.samplegen.regions import Desa, pick_other_desa
from scripts.samplegen.scenarios import SCENARIOS

REGISTRATION_START, REGISTRATION_END = date(2023, 12, 11), date(2023, 12, 20)


@dataclass
class Doc:
    type: str
    page: Page
    fields: dict
    layout: str = ""
    marks: tuple[str, ...] = ()  # layout-level damage, e.g. a stamp over a value
    field_marks: dict[str, dict] = field(default_factory=dict)  # per field: handwritten, legible, stamped


@dataclass
class Built:
    """What one slot produced: dossier id -> truth entry (files are already written)."""

    truth: dict[str, dict] = field(default_factory=dict)


def _age_range(scenario: str) -> tuple[int, int]:
    return {"under_age": (16, 16), "over_55": (56, 60)}.get(scenario, (17, 55))


def _documents(rng: np.random.Generator, p: Person, scenario: str, picker: Picker) -> list[Doc]:
    """The dossier's documents; classic families draw from `rng` exactly as the first generator did."""
    fam = picker.family("ktp")
    if fam == OLD_FAMILIES["ktp"]:
        docs = [Doc("ktp", *ktp_page(rng, p), layout=fam)]
    else:
        docs = [Doc("ktp", *ktp_alt.ktp_page(rng, p, fam), layout=fam)]
    holder = other_person(rng, p) if scenario == "other_person_ijazah" else p
    jenjang = ijazah.pick_jenjang(rng, holder, low=scenario == "low_education")
    hand = (ijazah_hand.FAMILY,) if ijazah_hand.eligible(holder, jenjang) else ()
    fam = picker.family("ijazah", ijazah_alt.eligible(jenjang) + hand)
    nama = _maybe_variant(rng, holder, titles=False)
    if fam == ijazah_hand.FAMILY:
        page, fields, marks, field_marks = ijazah_hand.ijazah_page(rng, holder, jenjang, nama=nama)
        docs.append(Doc("ijazah", page, fields, fam, marks, field_marks))
    elif fam == OLD_FAMILIES["ijazah"]:
        docs.append(Doc("ijazah", *ijazah.ijazah_page(rng, holder, jenjang, nama=nama), layout=fam))
    else:
        page, fields, marks = ijazah_alt.ijazah_page(rng, holder, jenjang, fam, nama=nama)
        docs.append(Doc("ijazah", page, fields, fam, marks))
    fam = picker.family("surat_sehat")
    if scenario == "issuer_unknown" and fam == OLD_FAMILIES["surat_sehat"]:
        fam = "sehat/table"  # only the new families print a private practice's letterhead
    nama = _maybe_variant(rng, p, titles=True)
    kwargs = {"healthy": scenario != "not_healthy", "stale": scenario == "stale_health",
              "vitals": scenario != "missing_vitals"}
    if fam == OLD_FAMILIES["surat_sehat"]:
        docs.append(Doc("surat_sehat", *surat_sehat.sehat_page(rng, p, nama=nama, **kwargs), layout=fam))
    else:
        page, fields, marks = sehat_alt.sehat_page(rng, p, fam, nama=nama, praktik=scenario == "issuer_unknown",
                                                   **kwargs)
        docs.append(Doc("surat_sehat", page, fields, fam, marks))
    if rng.random() < 0.1:
        docs.append(Doc("unknown", *extras.pas_foto_page(rng, p)))
    if rng.random() < 0.1:
        docs.append(Doc("unknown", *extras.pernyataan_page(rng, p)))
    missing = set(SCENARIOS[scenario].expected_missing) - {"ktp"} if scenario == "bad_ktp_file" else set(
        SCENARIOS[scenario].expected_missing)
    return [d for d in docs if d.type not in missing]


def _maybe_variant(rng: np.random.Generator, p: Person, *, titles: bool) -> str:
    """Name as printed on school/health papers: sometimes MOH./ABD. spelling, or (health letters) with titles."""
    nama = name_variant(rng, p.nama) if rng.random() < 0.3 else p.nama
    if not titles:
        return nama
    if p.title_prefix and rng.random() < 0.5:
        nama = f"{p.title_prefix} {nama}"
    if p.title_suffix and rng.random() < 0.5:
        nama = f"{nama}, {p.title_suffix.upper()}"
    return nama


def _registration(rng: np.random.Generator, p: Person, dossier_id: str, desa: Desa, tps: str,
                  scenario: str) -> dict:
    nik = p.nik
    if scenario == "nik_mismatch":
        digits = list(nik)
        i = int(rng.integers(12, 16)) if rng.random() < 0.5 else int(rng.integers(6, 11))
        if rng.random() < 0.5 and digits[i] != digits[i + 1 if i < 15 else i - 1]:
            j = i + 1 if i < 15 else i - 1
            digits[i], digits[j] = digits[j], digits[i]
        else:
            digits[i] = str((int(digits[i]) + int(rng.integers(1, 9))) % 10)
        nik = "".join(digits)
    born = p.tanggal_lahir
    if scenario == "dob_mismatch":
        born = born + timedelta(days=int(rng.choice([-366, -31, -1, 1, 10, 365])))
    nama = p.nama
    if p.title_suffix and rng.random() < 0.3:
        nama = f"{nama}, {p.title_suffix.upper()}"
    reg = {
        "dossier_id": dossier_id, "nama": nama, "nik": nik, "tanggal_lahir": born.isoformat(),
        "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": desa.kabupaten_kota, "kecamatan": desa.kecamatan,
                    "desa_kelurahan": desa.nama, "tps": tps},
    }
    if rng.random() < 0.5:
        day = REGISTRATION_START + timedelta(days=int(rng.integers(10)))
        reg["tanggal_daftar"] = day.isoformat()
    return reg


def _broken_registration(rng: np.random.Generator, reg: dict) -> bytes:
    kind = int(rng.integers(4))
    text = json.dumps(reg, indent=2)
    if kind == 0:
        return text[: len(text) // 2].encode()  # truncated JSON
    if kind == 1:
        bad = dict(reg)
        del bad["wilayah"]
        return json.dumps(bad, indent=2).encode()
    if kind == 2:
        return b""
    bad = dict(reg)
    bad["nik"] = None
    bad["dossier_id"] = "bad id with spaces/" + reg["dossier_id"]
    return json.dumps(bad).encode()


def build_slot(input_dir: Path, seed: int, slot: int, scenario: str, ids: list[str],
               variants: tuple[str, ...], selection: Selection | None = None) -> Built:
    """Write the dossier(s) of one slot under input_dir; `ids` holds one id (two for duplicate_nik)."""
    rng = np.random.default_rng([seed, slot])
    picker = (selection or parse("all")).picker(seed, slot)
    lo, hi = _age_range(scenario)
    person = make_person(rng, min_age=lo, max_age=hi)
    built = Built()
    tps_numbers = [int(t) + 1 for t in rng.permutation(30)[: len(ids)]]
    for k, dossier_id in enumerate(ids):
        p = person
        reg_desa = pick_other_desa(rng, p.desa) if scenario == "out_of_area" else p.desa
        tps = f"{tps_numbers[k]:03d}"
        docs = _documents(rng, p, scenario, picker)
        folder = input_dir / dossier_id
        folder.mkdir(parents=True, exist_ok=True)
        reg = _registration(rng, p, dossier_id, reg_desa, tps, scenario)
        if scenario == "registration_invalid":
            (folder / "registration.json").write_bytes(_broken_registration(rng, reg))
        else:
            (folder / "registration.json").write_text(json.dumps(reg, indent=2, ensure_ascii=False) + "\n")
        if picker.sel.field:
            pages, bad = fieldmode.write_files(rng, folder, docs, scenario, variants)
        else:
            pages, bad = files.write_files(rng, folder, docs, scenario, variants, picker)
        sc = SCENARIOS[scenario]
        built.truth[dossier_id] = {
            "scenario": scenario, "expected_status": sc.expected_status,
            "expected_reasons": list(sc.expected_reasons), "expected_missing": list(sc.expected_missing),
            "pages": pages, "bad_files": bad,
        }
    return built
