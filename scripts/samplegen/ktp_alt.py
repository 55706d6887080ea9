"""KTP-el front side in the newer layout families (`ktp/compact`, `ktp/wide`), same truth fields as ktp.py.

Cards from different personalisation printers and years differ in label column width, where the colon sits,
row pitch, NIK size, photo and signature position and print weight. Each family draws these from ranges;
nothing here is measured from a real card. Corners stay free of fields (damage.py may cover one with a finger).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from scripts.samplegen.ktp import _CANONICAL_AGAMA, _INDENTED, _LABELS, CARD_H, CARD_W, dmy, issue_date
from scripts.samplegen.layout import BOLD_OF, Color, Page, Picture, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import guilloche, photo, signature
from scripts.samplegen.people import Person, _add_years


@dataclass(frozen=True)
class Geometry:
    font: str
    value_font: str
    size: float
    pitch: float
    x_label: float
    x_colon: float | None  # None: the colon hugs each label ("Nama:")
    x_val: float
    nik_label_size: float
    nik_size: float
    photo: tuple[float, float, float, float]
    sign_below: bool  # place/date of issue under the signature instead of above it
    header_lines: int  # 2: PROVINSI JAWA TIMUR / KABUPATEN X; 3: PROVINSI / JAWA TIMUR / KABUPATEN X
    ink: Color
    smear: float  # ghost offset in mm (0: none)


def _geometry(rng: np.random.Generator, family: str) -> Geometry:
    fnt = str(rng.choice(["free-sans", "dejavu", "sans", "narrow"], p=[0.4, 0.25, 0.2, 0.15]))
    weight = str(rng.choice(["normal", "bold", "light"], p=[0.5, 0.25, 0.25]))
    ink = tuple(int(v) for v in (rng.integers(70, 115, 3) if weight == "light" else rng.integers(0, 35, 3)))
    font = BOLD_OF[fnt] if weight == "bold" else fnt
    value_font = font if rng.random() < 0.6 else BOLD_OF[fnt]
    if family == "ktp/compact":
        size = float(rng.uniform(5.0, 6.0))
        pitch = size * float(rng.uniform(0.40, 0.46))
        x_label = float(rng.uniform(2.0, 3.6))
        longest = text_width_mm("Status Perkawinan", font, size)
        hug = rng.random() < 0.5
        x_colon = None if hug else x_label + longest + float(rng.uniform(0.2, 0.7))
        x_val = x_label + longest + float(rng.uniform(1.6, 2.8))
        ph = float(rng.uniform(23.5, 27))
        pw = ph * 0.78
        photo_box = (float(rng.uniform(60.5, 63.5)), float(rng.uniform(9.5, 15.5)), pw, ph)
        nik_label, nik = size * float(rng.uniform(1.0, 1.3)), size * float(rng.uniform(1.25, 2.0))
    else:  # ktp/wide: short labels, values far right
        size = float(rng.uniform(4.9, 5.6))
        pitch = size * float(rng.uniform(0.48, 0.56))
        x_label = float(rng.uniform(3.0, 5.0))
        x_val = float(rng.uniform(27.5, 31.5))
        x_colon = x_val - float(rng.uniform(1.2, 2.4))
        ph = float(rng.uniform(21.5, 24))
        pw = ph * 0.78
        photo_box = (float(rng.uniform(64.0, 66.0)), float(rng.uniform(12.0, 16.0)), pw, ph)
        nik_label, nik = size * float(rng.uniform(1.3, 1.7)), size * float(rng.uniform(1.5, 1.9))
    smear = float(rng.uniform(0.08, 0.2)) if rng.random() < 0.3 else 0.0
    return Geometry(font, value_font, size, pitch, x_label, x_colon, x_val, nik_label, nik, photo_box,
                    bool(rng.random() < 0.4), int(rng.choice([2, 3])), ink, smear)


class _Card:
    """Adds text with the family's ink and optional printer smear (a lighter ghost offset down-right)."""

    def __init__(self, page: Page, g: Geometry) -> None:
        self.page, self.g = page, g

    def text(self, x: float, y: float, s: str, font: str, size: float, align: str = "l") -> None:
        if self.g.smear:
            ghost = tuple(min(255, v + 90) for v in self.g.ink)
            self.page.add(Text(x + self.g.smear, y + self.g.smear * 0.6, s, font, size, ghost, align))
        self.page.add(Text(x, y, s, font, size, self.g.ink, align))


def ktp_page(rng: np.random.Generator, p: Person, family: str, *, nama: str | None = None) -> tuple[Page, dict]:
    """The card in `family` and its truth fields (same keys and canonical values as ktp.ktp_page)."""
    page = Page(CARD_W, CARD_H)
    page.add(Picture(0, 0, CARD_W, CARD_H, guilloche(rng, 342, 216)))
    g = _geometry(rng, family)
    card = _Card(page, g)
    provinsi, kabkota = "JAWA TIMUR", p.desa.kabupaten_kota
    issued = issue_date(rng, p)
    berlaku = "SEUMUR HIDUP"
    if rng.random() < 0.25:
        berlaku = _add_years(p.tanggal_lahir, issued.year - p.tanggal_lahir.year + 5).isoformat()
    printed_name = nama or p.nama
    fields = {
        "nik": p.nik, "nama": printed_name, "tempat_lahir": p.tempat_lahir,
        "tanggal_lahir": p.tanggal_lahir.isoformat(), "jenis_kelamin": p.jenis_kelamin,
        "golongan_darah": p.golongan_darah, "alamat": p.alamat, "rt_rw": p.rt_rw, "kel_desa": p.desa.nama,
        "kecamatan": p.desa.kecamatan, "agama": _CANONICAL_AGAMA.get(p.agama, p.agama),
        "status_perkawinan": p.status_perkawinan, "pekerjaan": p.pekerjaan, "kewarganegaraan": "WNI",
        "berlaku_hingga": berlaku, "provinsi": provinsi, "kabupaten_kota": kabkota,
    }
    px, py, pw, ph = g.photo
    # header, centred over the text area or over the whole card
    head_font = BOLD_OF.get(g.font, g.font)
    cx = (px - 1) / 2 + 1 if rng.random() < 0.5 else CARD_W / 2
    lines = [f"PROVINSI {provinsi}", kabkota] if g.header_lines == 2 else ["PROVINSI", provinsi, kabkota]
    head = g.size * float(rng.uniform(1.15, 1.4)) * (0.85 if g.header_lines == 3 else 1)
    y = float(rng.uniform(3.8, 5.0))
    for line in lines:
        card.text(cx, y, line, head_font, fit_size(line, head_font, head, 2 * min(cx, CARD_W - cx) - 3), "m")
        y += head * 0.40
    y = max(y + g.pitch * 0.5, 11.5 if g.header_lines == 2 else 13.5)
    label_size = g.nik_label_size
    colon_x = g.x_colon if g.x_colon is not None else g.x_label + text_width_mm("NIK", head_font, label_size) + 0.2
    card.text(g.x_label, y, "NIK", head_font, label_size)
    card.text(colon_x, y, ":", head_font, label_size)
    nik_x = g.x_val - 0.3
    card.text(nik_x, y, p.nik, "ocra", fit_size(p.nik, "ocra", g.nik_size, px - 1.5 - nik_x))
    y += g.pitch * float(rng.uniform(1.4, 1.8))
    pitch = min(g.pitch, (CARD_H - 2.5 - y) / 11)
    values = {
        "nama": printed_name, "ttl": f"{p.tempat_lahir}, {dmy(p.tanggal_lahir)}", "jk": p.jenis_kelamin,
        "alamat": p.alamat, "rt_rw": p.rt_rw, "kel_desa": p.desa.nama, "kecamatan": p.desa.kecamatan,
        "agama": p.agama, "status_perkawinan": p.status_perkawinan, "pekerjaan": p.pekerjaan,
        "kewarganegaraan": "WNI",
        "berlaku_hingga": berlaku if berlaku == "SEUMUR HIDUP" else dmy(date.fromisoformat(berlaku)),
    }
    max_val = px - 1.5 - g.x_val
    gol_label = str(rng.choice(["Gol. Darah", "Gol Darah", "Gol.Darah"], p=[0.6, 0.25, 0.15]))
    indent = g.size * float(rng.uniform(0.4, 0.7)) if rng.random() < 0.6 else 0.0
    for key, label in _LABELS:
        lx = g.x_label + (indent if key in _INDENTED else 0)
        if g.x_colon is None:
            card.text(lx, y, f"{label}:", g.font, g.size)
        else:
            card.text(lx, y, label, g.font, g.size)
            card.text(g.x_colon, y, ":", g.font, g.size)
        val = values[key]
        if key == "jk":
            card.text(g.x_val, y, val, g.value_font, g.size)
            after = g.x_val + text_width_mm(val, g.value_font, g.size) + float(rng.uniform(2.0, 4.0))
            gx = min(after, px - 1.5 - text_width_mm(f"{gol_label} : AB", g.font, g.size))
            card.text(gx, y, f"{gol_label} : {p.golongan_darah}" if g.x_colon is not None
                      else f"{gol_label}: {p.golongan_darah}", g.font, g.size)
        else:
            card.text(g.x_val, y, val, g.value_font, fit_size(val, g.value_font, g.size, max_val))
        y += pitch
    backdrop = (200, 40, 40) if p.tanggal_lahir.year % 2 == 0 else (40, 80, 190)
    page.add(Picture(px, py, pw, ph, photo(rng, backdrop)))
    small = g.size * 0.85
    sy = min(py + ph + 2.8, CARD_H - 9.5)
    sign_h = min(5.5, CARD_H - sy - 4.5)
    if g.sign_below:  # signature first, then place and date of issue under it
        page.add(signature(rng, px + 2.5, sy - 2.0, pw - 5, sign_h, g.ink))
        sy += sign_h
        card.text(px + pw / 2, sy, p.desa.kab_short, g.font, small, "m")
        card.text(px + pw / 2, sy + small * 0.42, dmy(issued), g.font, small, "m")
    else:
        card.text(px + pw / 2, sy, p.desa.kab_short, g.font, small, "m")
        card.text(px + pw / 2, sy + small * 0.42, dmy(issued), g.font, small, "m")
        page.add(signature(rng, px + 2.5, sy + 2.6, pw - 5, sign_h, g.ink))
    return page, fields
