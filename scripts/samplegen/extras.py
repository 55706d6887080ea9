"""Other papers candidates put in a dossier that Berkas does not read: pas foto and surat pernyataan.

They carry the candidate's name (and NIK), so a classifier must not take them for a KTP or health letter.
"""

from __future__ import annotations

import numpy as np

from scripts.samplegen.layout import BOLD_OF, Page, Picture, Rect, Text, fit_size
from scripts.samplegen.patterns import photo, signature
from scripts.samplegen.people import Person
from scripts.samplegen.text import tanggal_kata, title_case

_STATEMENTS = [
    "bukan anggota partai politik atau telah keluar paling singkat 5 (lima) tahun;",
    "tidak pernah dipidana penjara 5 (lima) tahun atau lebih;",
    "tidak berada dalam ikatan perkawinan dengan sesama penyelenggara pemilu;",
    "tidak pernah menjadi tim kampanye atau saksi peserta pemilu dalam 5 (lima) tahun terakhir;",
    "bersedia bekerja sepenuh waktu dan mampu menggunakan teknologi informasi.",
]


def pas_foto_page(rng: np.random.Generator, p: Person) -> tuple[Page, dict]:
    """A 4x6 cm colour photo (red or blue backdrop)."""
    page = Page(40, 60)
    backdrop = (200, 40, 40) if rng.random() < 0.5 else (40, 80, 190)
    page.add(Picture(0, 0, 40, 60, photo(rng, backdrop, 160, 240)))
    return page, {}


def pernyataan_page(rng: np.random.Generator, p: Person) -> tuple[Page, dict]:
    """The candidate's signed declaration (A4), with name, NIK and address."""
    page = Page(210, 297)
    fnt = str(rng.choice(["serif", "sans", "dejavu"]))
    bold, size, ink = BOLD_OF[fnt], float(rng.uniform(10.5, 12)), (15, 15, 15)
    x, y, cx = 25.0, 30.0, 105.0
    page.add(Text(cx, y, "SURAT PERNYATAAN", bold, size * 1.3, ink, "m"))
    y += 8
    page.add(Text(cx, y, "CALON ANGGOTA KPPS PEMILU 2024", bold, size, ink, "m"))
    y += 14
    page.add(Text(x, y, "Yang bertanda tangan di bawah ini:", fnt, size, ink))
    y += 8
    rows = [("Nama", p.nama), ("NIK", p.nik),
            ("Tempat/Tanggal Lahir", f"{title_case(p.tempat_lahir)}, {tanggal_kata(p.tanggal_lahir)}"),
            ("Alamat", f"{title_case(p.alamat)} RT/RW {p.rt_rw}, {title_case(p.desa.nama)}")]
    for label, value in rows:
        page.add(Text(x + 5, y, label, fnt, size, ink), Text(x + 55, y, ":", fnt, size, ink),
                 Text(x + 58, y, value, fnt, fit_size(value, fnt, size, 125), ink))
        y += 7
    y += 4
    page.add(Text(x, y, "dengan ini menyatakan dengan sesungguhnya bahwa saya:", fnt, size, ink))
    y += 8
    for i, line in enumerate(_STATEMENTS, 1):
        page.add(Text(x + 5, y, f"{i}. {line}", fnt, fit_size(f"{i}. {line}", fnt, size, 160), ink))
        y += 7
    y += 6
    page.add(Text(x, y, "Demikian surat pernyataan ini saya buat dengan sebenar-benarnya.", fnt, size, ink))
    y += 16
    page.add(Text(125, y, f"{title_case(p.desa.nama)}, {int(rng.integers(11, 21))} Desember 2023", fnt, size, ink),
             Text(125, y + 6, "Yang membuat pernyataan,", fnt, size, ink),
             Rect(122, y + 10, 24, 14, outline=(150, 60, 80), fill=(240, 225, 230), width=0.3),
             Text(134, y + 18, "METERAI 10000", "sans-b", 4.5, (150, 60, 80), "m"),
             signature(rng, 130, y + 12, 35, 14, (20, 30, 110)),
             Text(125, y + 34, p.nama, bold, size, ink))
    return page, {}
