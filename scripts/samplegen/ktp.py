"""KTP-el front side (85.6 x 54 mm) as a layout, with the fields exactly as printed."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from scripts.samplegen.layout import BOLD_OF, Page, Picture, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import guilloche, photo, signature
from scripts.samplegen.people import Person, _add_years

CARD_W, CARD_H = 85.6, 54.0
_LABELS = [
    ("nama", "Nama"), ("ttl", "Tempat/Tgl Lahir"), ("jk", "Jenis Kelamin"), ("alamat", "Alamat"),
    ("rt_rw", "RT/RW"), ("kel_desa", "Kel/Desa"), ("kecamatan", "Kecamatan"), ("agama", "Agama"),
    ("status_perkawinan", "Status Perkawinan"), ("pekerjaan", "Pekerjaan"), ("kewarganegaraan", "Kewarganegaraan"),
    ("berlaku_hingga", "Berlaku Hingga"),
]
_INDENTED = {"rt_rw", "kel_desa", "kecamatan"}


# The truth holds canonical values; the card may print an older spelling.
_CANONICAL_AGAMA = {"KATHOLIK": "KATOLIK", "BUDHA": "BUDDHA"}

def dmy(d: date) -> str:
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def issue_date(rng: np.random.Generator, p: Person) -> date:
    start = max(_add_years(p.tanggal_lahir, 17), date(2012, 1, 2))
    end = date(2023, 11, 30)
    if start >= end:
        start = date(2023, 1, 2)
    return start + timedelta(days=int(rng.integers((end - start).days + 1)))


def ktp_page(rng: np.random.Generator, p: Person, *, nama: str | None = None) -> tuple[Page, dict]:
    """The card layout and its truth fields. `nama` overrides the printed name (default: p.nama)."""
    page = Page(CARD_W, CARD_H)
    bg = guilloche(rng, 342, 216)
    page.add(Picture(0, 0, CARD_W, CARD_H, bg))
    fnt = str(rng.choice(["sans", "dejavu", "narrow", "dejavu-c"], p=[0.4, 0.2, 0.2, 0.2]))
    bold = BOLD_OF[fnt]
    ink = tuple(int(v) for v in rng.integers(0, 45, 3))
    dx, dy = rng.uniform(-1.2, 1.2), rng.uniform(-1.0, 1.0)
    size = rng.uniform(5.2, 6.3)
    pitch = size * rng.uniform(0.44, 0.5)  # mm per row
    provinsi, kabkota = "JAWA TIMUR", p.desa.kabupaten_kota
    issued = issue_date(rng, p)
    berlaku = "SEUMUR HIDUP"
    if rng.random() < 0.25:
        until = _add_years(p.tanggal_lahir, issued.year - p.tanggal_lahir.year + 5)
        berlaku = until.isoformat()
    printed_name = nama or p.nama
    fields = {
        "nik": p.nik, "nama": printed_name, "tempat_lahir": p.tempat_lahir,
        "tanggal_lahir": p.tanggal_lahir.isoformat(), "jenis_kelamin": p.jenis_kelamin,
        "golongan_darah": p.golongan_darah, "alamat": p.alamat, "rt_rw": p.rt_rw, "kel_desa": p.desa.nama,
        "kecamatan": p.desa.kecamatan, "agama": _CANONICAL_AGAMA.get(p.agama, p.agama),
        "status_perkawinan": p.status_perkawinan,
        "pekerjaan": p.pekerjaan, "kewarganegaraan": "WNI", "berlaku_hingga": berlaku,
        "provinsi": provinsi, "kabupaten_kota": kabkota,
    }
    head = size * rng.uniform(1.25, 1.5)
    cx = CARD_W / 2 + dx
    page.add(Text(cx, 4.6 + dy, f"PROVINSI {provinsi}", bold, head, ink, "m"),
             Text(cx, 4.6 + dy + head * 0.42, kabkota, bold, head, ink, "m"))
    x_label = 2.6 + dx
    x_colon = x_label + text_width_mm("Status Perkawinan", fnt, size) + rng.uniform(0.8, 3.0)
    x_val = x_colon + 1.4
    y = 13.2 + dy
    nik_size = size * rng.uniform(1.45, 1.75)
    page.add(Text(x_label, y, "NIK", bold, nik_size * 0.85, ink),
             Text(x_colon - 1.6, y, ":", bold, nik_size * 0.85, ink),
             Text(x_val - 0.4, y, p.nik, "ocra", fit_size(p.nik, "ocra", nik_size, 59.5 - x_val), ink))
    y += pitch * 1.55
    values = {
        "nama": printed_name, "ttl": f"{p.tempat_lahir}, {dmy(p.tanggal_lahir)}", "jk": p.jenis_kelamin,
        "alamat": p.alamat, "rt_rw": p.rt_rw, "kel_desa": p.desa.nama, "kecamatan": p.desa.kecamatan,
        "agama": p.agama, "status_perkawinan": p.status_perkawinan, "pekerjaan": p.pekerjaan,
        "kewarganegaraan": "WNI",
        "berlaku_hingga": berlaku if berlaku == "SEUMUR HIDUP" else dmy(date.fromisoformat(berlaku)),
    }
    max_val = 58.5 - x_val
    gol_label = str(rng.choice(["Gol. Darah", "Gol Darah", "Gol.Darah"], p=[0.7, 0.2, 0.1]))
    for key, label in _LABELS:
        lx = x_label + (size * 0.55 if key in _INDENTED else 0)
        page.add(Text(lx, y, label, fnt, size, ink), Text(x_colon, y, ":", fnt, size, ink))
        val = values[key]
        if key == "jk":
            gol = gol_label
            gx = 59.8 + dx * 0.5 - text_width_mm(f"{gol} : AB", fnt, size)
            page.add(Text(x_val, y, val, fnt, size, ink),
                     Text(gx, y, gol, fnt, size, ink),
                     Text(gx + text_width_mm(f"{gol} ", fnt, size), y, f": {p.golongan_darah}", fnt, size, ink))
        else:
            vfont = bold if key == "nama" and rng.random() < 0.3 else fnt
            page.add(Text(x_val, y, val, vfont, fit_size(val, vfont, size, max_val), ink))
        y += pitch
    # photo (blue backdrop for odd birth years, red for even), place/date of issue, signature
    px, py, pw, ph = 61.5 + dx * 0.5, 11.5 + dy * 0.5, 20.5, 25.5
    backdrop = (200, 40, 40) if p.tanggal_lahir.year % 2 == 0 else (40, 80, 190)
    page.add(Picture(px, py, pw, ph, photo(rng, backdrop)))
    small = size * 0.9
    page.add(Text(px + pw / 2, py + ph + 3.2, p.desa.kab_short, fnt, small, ink, "m"),
             Text(px + pw / 2, py + ph + 3.2 + small * 0.42, dmy(issued), fnt, small, ink, "m"),
             signature(rng, px + 3, py + ph + 6.2, pw - 6, 6, ink))
    return page, fields
