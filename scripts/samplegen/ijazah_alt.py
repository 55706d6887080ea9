"""Ijazah in the newer layout families: landscape (older wording before 2004), two-column, madrasah.

Same truth fields and canonical values as ijazah.py: an STTB of a `SEKOLAH MENENGAH UMUM` is jenjang SMA,
an SLTP or MTs is SMP, an STM/SMEA is SMK, an MI is SD. Wording follows what schools printed in those years.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from PIL import Image, ImageDraw

from scripts.samplegen.ijazah import Style, _grad_date, _serial
from scripts.samplegen.layout import BOLD_OF, Line, Page, Picture, Rect, Text, fit_size, font, text_width_mm
from scripts.samplegen.patterns import paper_tint, photo, signature, stamp
from scripts.samplegen.people import Person, make_name
from scripts.samplegen.text import tanggal_kata, title_case

_MODERN_TITLE = {"SD": "SEKOLAH DASAR", "SMP": "SEKOLAH MENENGAH PERTAMA", "SMA": "SEKOLAH MENENGAH ATAS",
                 "SMK": "SEKOLAH MENENGAH KEJURUAN", "MA": "MADRASAH ALIYAH",
                 "PAKET_C": "PENDIDIKAN KESETARAAN PROGRAM PAKET C"}
_MADRASAH = {"MA": ("MADRASAH ALIYAH", "MA"), "SMP": ("MADRASAH TSANAWIYAH", "MTs"),
             "SD": ("MADRASAH IBTIDAIYAH", "MI")}
_MADRASAH_NAMES = ["NURUL HUDA", "DARUL ULUM", "MIFTAHUL ULUM", "AL-IKHLAS", "HIDAYATUL MUBTADIIN", "SALAFIYAH"]
_AR_BASMALAH = "بسم الله الرحمن الرحيم"
_AR_TITLE = "شهادة"
_AR_MINISTRY = "وزارة الشؤون الدينية"
_AR_LABELS = {"Nama": "الاسم", "Tempat dan Tanggal Lahir": "مكان وتاريخ الميلاد", "Nama Orang Tua": "اسم الوالد",
              "Nomor Induk": "رقم القيد"}


def eligible(jenjang: str) -> tuple[str, ...]:
    """Families that exist for a level: madrasah only for MA / MTs / MI, no two-column university diploma."""
    fams = ["ijazah/classic", "ijazah/landscape"]
    if jenjang not in ("S1", "D3"):
        fams.append("ijazah/two_column")
    if jenjang in _MADRASAH:
        fams.append("ijazah/madrasah")
    return tuple(fams)


def _old_level(jenjang: str, year: int) -> tuple[str, str]:
    """(level title, school prefix) as printed in a given year before 2004."""
    if jenjang == "SMA":
        return ("SEKOLAH MENENGAH UMUM", "SMU NEGERI") if year >= 1994 else ("SEKOLAH MENENGAH ATAS", "SMA NEGERI")
    if jenjang == "SMP":
        return (("SEKOLAH LANJUTAN TINGKAT PERTAMA", "SLTP NEGERI") if year >= 1994
                else ("SEKOLAH MENENGAH PERTAMA", "SMP NEGERI"))
    if jenjang == "SMK":
        return ("SEKOLAH MENENGAH KEJURUAN", "SMK NEGERI") if year >= 1997 else (
            "SEKOLAH TEKNOLOGI MENENGAH", "STM NEGERI")
    if jenjang == "MA":
        return "MADRASAH ALIYAH", "MAN"
    if jenjang == "SD":
        return "SEKOLAH DASAR", "SD NEGERI"
    return "PROGRAM PAKET C", "PKBM"


def _arabic(text: str, size_mm: float, ink: tuple[int, int, int], paper: tuple[int, int, int]) -> Picture:
    """Arabic text shaped by raqm and drawn to a picture (PDF text would lose the shaping); x, y set later."""
    px = 12  # pixels per mm
    f = font("free-serif", round(size_mm * px * 1.4))
    box = f.getbbox(text, direction="rtl", language="ar")
    img = Image.new("RGB", (box[2] - box[0] + 8, box[3] - box[1] + 8), paper)
    ImageDraw.Draw(img).text((4 - box[0], 4 - box[1]), text, font=f, fill=ink, direction="rtl", language="ar")
    return Picture(0, 0, img.width / px, img.height / px, img)


def _place(pic: Picture, x: float, y: float, align: str = "m") -> Picture:
    dx = {"l": 0, "m": pic.w / 2, "r": pic.w}[align]
    return Picture(x - dx, y - pic.h * 0.8, pic.w, pic.h, pic.image)


def _ministry(jenjang: str, year: int, madrasah: bool) -> str:
    if madrasah or jenjang == "MA":
        return "DEPARTEMEN AGAMA" if year < 2010 else "KEMENTERIAN AGAMA"
    if year < 2001:
        return "DEPARTEMEN PENDIDIKAN DAN KEBUDAYAAN"
    if year < 2010:
        return "DEPARTEMEN PENDIDIKAN NASIONAL"
    if year < 2021:
        return "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN"
    return "KEMENTERIAN PENDIDIKAN, KEBUDAYAAN, RISET, DAN TEKNOLOGI"


def ijazah_page(rng: np.random.Generator, p: Person, jenjang: str, family: str, *,
                nama: str | None = None) -> tuple[Page, dict, tuple[str, ...]]:
    """Diploma in `family`; returns (page, truth fields, marks) where marks name layout-level damage."""
    nama = (nama or p.nama).upper()
    if family == "ijazah/two_column" and jenjang in ("S1", "D3"):
        family = "ijazah/landscape"
    if family == "ijazah/madrasah" and jenjang not in _MADRASAH:
        family = "ijazah/landscape"
    landscape = family == "ijazah/landscape"
    w, h = (297.0, 210.0) if landscape else (210.0, 297.0)
    page = Page(w, h)
    paper = (255, 255, 255)
    if rng.random() < 0.7:
        paper = tuple(int(v) for v in rng.integers([226, 228, 205], [252, 250, 240]))
        page.add(Picture(0, 0, w, h, paper_tint(rng, int(w * 2), int(h * 2), paper, rng.random() < 0.8)))
    fnt = str(rng.choice(["free-serif", "serif", "dserif", "free-sans", "dejavu"], p=[0.3, 0.25, 0.15, 0.15, 0.15]))
    st = Style(fnt, BOLD_OF[fnt], float(rng.uniform(10, 12.5)), tuple(int(v) for v in rng.integers(0, 60, 3)),
               float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3)))
    grad = _grad_date(rng, p, jenjang)
    old = grad.year < 2004 and jenjang not in ("S1", "D3")
    kab = p.desa.kab_short
    n = int(rng.integers(1, 9))
    if family == "ijazah/madrasah":
        title, prefix = _MADRASAH[jenjang]
        school = (f"{prefix} NEGERI {n} {kab}" if rng.random() < 0.4
                  else f"{prefix} {_MADRASAH_NAMES[int(rng.integers(len(_MADRASAH_NAMES)))]}")
        serial = f"{prefix}.{int(rng.integers(1, 40)):02d}/{int(rng.integers(1, 30)):02d}/PP.01.1/{int(rng.integers(1, 999)):03d}/{grad.year}"
    elif jenjang in ("S1", "D3"):
        title, school = "", f"UNIVERSITAS {kab}" if rng.random() < 0.5 else f"SEKOLAH TINGGI ILMU EKONOMI {kab}"
        serial = _serial(rng, jenjang, grad.year)
    elif old:
        title, prefix = _old_level(jenjang, grad.year)
        school = f"{prefix} {n} {kab}"
        letters = "".join(chr(65 + int(v)) for v in rng.integers(0, 26, 2))
        serial = f"{int(rng.integers(1, 30)):02d} O{letters[0]} o{letters[1].lower()} {int(rng.integers(0, 10**7)):07d}"
    else:
        title, school = _MODERN_TITLE[jenjang], f"{jenjang.replace('_', ' ')} NEGERI {n} {kab}"
        if jenjang == "PAKET_C":
            school = f"PKBM {_MADRASAH_NAMES[int(rng.integers(len(_MADRASAH_NAMES)))]} {kab}"
        serial = _serial(rng, jenjang, grad.year)
    nisn = (f"{int(rng.integers(0, 10))}{int(rng.integers(0, 10**9)):09d}"
            if grad.year >= 2008 and jenjang not in ("S1", "D3") else None)
    ctx = _Ctx(page, st, w, h, paper)
    if family == "ijazah/two_column":
        marks = _two_column(rng, ctx, p, nama, jenjang, title, school, grad, serial, nisn)
    elif family == "ijazah/madrasah":
        marks = _madrasah(rng, ctx, p, nama, title, school, grad, serial, nisn)
    else:
        marks = _landscape(rng, ctx, p, nama, jenjang, title, school, grad, serial, nisn, old)
    fields = {"nama": nama, "tempat_lahir": p.tempat_lahir, "tanggal_lahir": p.tanggal_lahir.isoformat(),
              "jenjang": jenjang, "nomor_ijazah": serial.upper(), "nisn": nisn, "nama_sekolah": school.upper(),
              "tahun_lulus": grad.year}
    return page, {k: v for k, v in fields.items() if v is not None}, marks


class _Ctx:
    def __init__(self, page: Page, st: Style, w: float, h: float, paper: tuple[int, int, int]) -> None:
        self.page, self.st, self.w, self.h, self.paper = page, st, w, h, paper

    def text(self, x: float, y: float, s: str, *, bold: bool = False, scale: float = 1.0, align: str = "l",
             max_w: float | None = None) -> None:
        f = self.st.bold if bold else self.st.font
        size = self.st.size * scale
        if max_w:
            size = fit_size(s, f, size, max_w)
        self.page.add(Text(x, y, s, f, size, self.st.ink, align))


def _footer(rng: np.random.Generator, c: _Ctx, x_sig: float, y: float, place: str, grad: date, role: str,
            photo_x: float | None, stamp_text: list[str]) -> tuple[str, ...]:
    """Place/date, role, signature, head's name and NIP; the stamp sometimes sits over the date line."""
    c.text(x_sig, y, f"{title_case(place)}, {tanggal_kata(grad)}")
    c.text(x_sig, y + c.st.size * 0.55, f"{role},")
    c.page.add(signature(rng, x_sig + 4, y + 9, 36, 13, (20, 30, 110)))
    head, _ = make_name(rng, bool(rng.random() < 0.4))
    c.text(x_sig, y + 30, f"{rng.choice(['Drs. ', '', 'H. '])}{title_case(head)}", bold=True)
    c.text(x_sig, y + 30 + c.st.size * 0.55, f"NIP. {int(rng.integers(10**17, 10**18 - 1))}", scale=0.9)
    marks: tuple[str, ...] = ()
    if photo_x is not None:
        c.page.add(Picture(photo_x, y - 6, 30, 40, photo(rng, (235, 235, 235))))
    colour = (90, 60, 160) if rng.random() < 0.6 else (40, 70, 150)
    if rng.random() < 0.45:  # stamp over the place and date, as a hurried clerk puts it
        c.page.add(*stamp(x_sig + float(rng.uniform(8, 30)), y - 1, 12, stamp_text, colour))
        marks = ("stamp_over_value",)
    else:
        c.page.add(*stamp(x_sig - 4 + float(rng.uniform(0, 8)), y + 16, 12, stamp_text, colour))
    return marks


def _rows(c: _Ctx, x: float, y: float, rows: list[tuple[str, str]], colon: float | None, pitch: float,
          right: float) -> float:
    for label, value in rows:
        c.text(x, y, label)
        vx = x + (colon + 3 if colon is not None else 0)
        if colon is not None:
            c.text(x + colon, y, ":")
        c.text(vx, y, value, bold=label.lower() == "nama", max_w=right - vx)
        y += pitch
    return y


def _landscape(rng: np.random.Generator, c: _Ctx, p: Person, nama: str, jenjang: str, title: str, school: str,
               grad: date, serial: str, nisn: str | None, old: bool) -> tuple[str, ...]:
    st, w = c.st, c.w
    c.page.add(Rect(8, 8, w - 16, c.h - 16, outline=st.ink, width=0.8))
    cx, y = w / 2 + st.dx, 24 + st.dy
    c.page.add(Rect(cx - 9, y - 10, 18, 16, outline=(150, 120, 40), width=0.6, ellipse=True))
    y += 12
    c.text(w - 20, 18, f"No. {serial}", scale=0.85, align="r")
    if jenjang in ("S1", "D3"):
        c.text(cx, y, school, bold=True, scale=1.5, align="m", max_w=220)
        c.text(cx, y + 14, "IJAZAH", bold=True, scale=2.4, align="m")
        y += 28
        lines = ["dengan ini menyatakan bahwa", nama,
                 f"lahir di {title_case(p.tempat_lahir)}, tanggal {tanggal_kata(p.tanggal_lahir)}",
                 "telah menyelesaikan semua persyaratan pendidikan program " +
                 ("Sarjana (S1)" if jenjang == "S1" else "Diploma Tiga (D3)"),
                 "dan kepadanya diberikan gelar beserta segala hak dan kewajibannya."]
        for i, line in enumerate(lines):
            c.text(cx, y, line, bold=i == 1, scale=1.6 if i == 1 else 1.0, align="m", max_w=230)
            y += st.size * (0.95 if i == 1 else 0.6)
        return _footer(rng, c, w - 110, y + 10, str(p.desa.kab_short), grad, "Rektor", 40,
                       ["UNIVERSITAS", "JAWA TIMUR"])
    c.text(cx, y, _ministry(jenjang, grad.year, False), bold=True, scale=1.1, align="m", max_w=200)
    c.text(cx, y + 6, "REPUBLIK INDONESIA", bold=True, scale=1.1, align="m")
    y += 18
    c.text(cx, y, "SURAT TANDA TAMAT BELAJAR" if old else "IJAZAH", bold=True, scale=2.0 if old else 2.4,
           align="m")
    y += 9
    c.text(cx, y, title, bold=True, scale=1.2, align="m", max_w=220)
    y += 12
    x = 24 + st.dx
    pitch = st.size * float(rng.uniform(0.62, 0.72))
    c.text(x, y, f"Kepala {title_case(school)} {'menerangkan' if old else 'dengan ini menerangkan'} bahwa:",
           max_w=170)
    y += pitch * 1.3
    rows = [("nama", nama), ("tempat dan tanggal lahir", f"{title_case(p.tempat_lahir)}, {tanggal_kata(p.tanggal_lahir)}"),
            ("nama orang tua", p.nama_ortu), ("nomor induk", f"{int(rng.integers(1000, 99999))}")]
    if nisn:
        rows.append(("nomor induk siswa nasional", nisn))
    colon = max(text_width_mm(lb, st.font, st.size) for lb, _ in rows) + float(rng.uniform(2, 6))
    y = _rows(c, x, y, rows, colon, pitch, 190)
    y += pitch * 0.5
    verdict = (f"telah TAMAT BELAJAR pada sekolah tersebut di atas pada tahun pelajaran {grad.year - 1}/{grad.year}."
               if old else f"dinyatakan LULUS dari {school} tahun pelajaran {grad.year - 1}/{grad.year}.")
    c.text(x, y, verdict, max_w=180)
    return _footer(rng, c, 200 + st.dx, y + pitch * 2.2, p.desa.kab_short, grad, "Kepala Sekolah", 160 + st.dx,
                   [school.split()[0], title_case(p.desa.kab_short).upper()])


def _two_column(rng: np.random.Generator, c: _Ctx, p: Person, nama: str, jenjang: str, title: str, school: str,
                grad: date, serial: str, nisn: str | None) -> tuple[str, ...]:
    st, w = c.st, c.w
    cx, y = w / 2 + st.dx, 26 + st.dy
    c.page.add(Rect(cx - 10, y - 11, 20, 18, outline=(150, 120, 40), width=0.6, ellipse=True))
    y += 14
    c.text(cx, y, _ministry(jenjang, grad.year, False), bold=True, scale=1.05, align="m", max_w=175)
    y += 16
    c.text(cx, y, "IJAZAH", bold=True, scale=2.6, align="m")
    y += 9
    c.text(cx, y, title, bold=True, scale=1.15, align="m", max_w=175)
    y += 6
    c.text(cx, y, f"Tahun Pelajaran {grad.year - 1}/{grad.year}", align="m")
    y += 12
    x = 20 + st.dx
    c.text(x, y, f"Satuan Pendidikan {school} menerangkan bahwa:", max_w=170)
    y += st.size * 1.1
    colons = rng.random() < 0.5
    left = [("Nama", nama), ("Tempat Lahir", title_case(p.tempat_lahir)),
            ("Tanggal Lahir", tanggal_kata(p.tanggal_lahir)), ("Nama Orang Tua", p.nama_ortu)]
    right = [("NIS", f"{int(rng.integers(1000, 99999))}"), ("NISN", nisn or "-"),
             ("Tahun Lulus", str(grad.year))]
    pitch = st.size * float(rng.uniform(0.65, 0.8))
    if colons:  # label : value in two columns
        colon = max(text_width_mm(lb, st.font, st.size) for lb, _ in left) + 2
        _rows(c, x, y, left, colon, pitch, 122)
        _rows(c, 128 + st.dx, y, right, 24, pitch, w - 15)
        y += pitch * len(left)
    else:  # labels small above their values, no colons
        for col_x, rows, right_edge in ((x, left, 122), (128 + st.dx, right, w - 15)):
            yy = y
            for label, value in rows:
                c.text(col_x, yy, label, scale=0.75)
                c.text(col_x, yy + st.size * 0.5, value, bold=label == "Nama", max_w=right_edge - col_x)
                yy += st.size * 1.05
        y += st.size * 1.05 * len(left)
        c.page.add(Line(x, y - st.size * 0.5, w - 20, y - st.size * 0.5, 0.2, st.ink))
    y += pitch
    c.text(x, y, "dinyatakan LULUS berdasarkan hasil rapat dewan guru dan kriteria kelulusan.", max_w=170)
    c.text(x, c.h - 14 + st.dy * 0.3, f"Nomor Seri Ijazah: {serial}", scale=0.8)
    return _footer(rng, c, 118 + st.dx, y + 22, p.desa.kab_short, grad, "Kepala Sekolah", 30 + st.dx,
                   [school.split()[0], title_case(p.desa.kab_short).upper()])


def _madrasah(rng: np.random.Generator, c: _Ctx, p: Person, nama: str, title: str, school: str, grad: date,
              serial: str, nisn: str | None) -> tuple[str, ...]:
    st, w = c.st, c.w
    cx, y = w / 2 + st.dx, 20 + st.dy
    c.page.add(_place(_arabic(_AR_BASMALAH, 6.5, st.ink, c.paper), cx, y))
    y += 12
    c.page.add(Rect(cx - 10, y - 6, 20, 18, outline=(40, 120, 60), width=0.6, ellipse=True))
    y += 20
    c.page.add(_place(_arabic(_AR_MINISTRY, 4.5, st.ink, c.paper), cx, y))
    y += 7
    c.text(cx, y, f"{_ministry('MA', grad.year, True)} REPUBLIK INDONESIA", bold=True, scale=1.05, align="m", max_w=180)
    y += 12
    c.page.add(_place(_arabic(_AR_TITLE, 9, st.ink, c.paper), cx, y))
    y += 9
    c.text(cx, y, "IJAZAH", bold=True, scale=2.2, align="m")
    y += 8
    c.text(cx, y, title, bold=True, scale=1.2, align="m")
    y += 6
    c.text(cx, y, f"Tahun Pelajaran {grad.year - 1}/{grad.year}", align="m")
    y += 13
    x = 22 + st.dx
    c.text(x, y, f"Kepala {school} menerangkan bahwa:", max_w=165)
    y += st.size * 0.9
    rows = [("Nama", nama), ("Tempat dan Tanggal Lahir", f"{title_case(p.tempat_lahir)}, {tanggal_kata(p.tanggal_lahir)}"),
            ("Nama Orang Tua", p.nama_ortu), ("Nomor Induk", f"{int(rng.integers(1000, 99999))}")]
    if nisn:
        rows.append(("NISN", nisn))
    pitch = st.size * float(rng.uniform(0.7, 0.85))
    colon = max(text_width_mm(lb, st.font, st.size) for lb, _ in rows) + 3
    arabic_labels = rng.random() < 0.6
    for label, value in rows:
        c.text(x, y, label)
        c.text(x + colon, y, ":")
        c.text(x + colon + 3, y, value, bold=label == "Nama", max_w=w - 20 - x - colon - 3)
        if arabic_labels and label in _AR_LABELS:  # the Arabic label under the Latin one, smaller
            c.page.add(_place(_arabic(_AR_LABELS[label], 2.6, st.ink, c.paper), x + colon - 2, y + 4.4, "r"))
        y += pitch
    y += pitch * 0.3
    c.text(x, y, "telah LULUS dari madrasah tersebut berdasarkan kriteria kelulusan yang berlaku.", max_w=165)
    c.text(x, c.h - 14 + st.dy * 0.3, f"No. Seri: {serial}", scale=0.85)
    return _footer(rng, c, 120 + st.dx, y + 20, p.desa.kab_short, grad, "Kepala Madrasah", 30 + st.dx,
                   ["MADRASAH", title_case(p.desa.kab_short).upper()])

