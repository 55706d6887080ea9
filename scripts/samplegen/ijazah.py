"""Ijazah (school or university diploma), portrait A4, three template families with random styling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from scripts.samplegen.layout import BOLD_OF, Line, Page, Picture, Rect, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import paper_tint, photo, signature, stamp
from scripts.samplegen.people import Person, make_name
from scripts.samplegen.text import tanggal_kata, title_case

W, H = 210.0, 297.0
_LEVEL_TITLE = {
    "SD": "SEKOLAH DASAR", "SMP": "SEKOLAH MENENGAH PERTAMA", "SMA": "SEKOLAH MENENGAH ATAS",
    "SMK": "SEKOLAH MENENGAH KEJURUAN", "MA": "MADRASAH ALIYAH", "PAKET_C": "PROGRAM PAKET C SETARA SMA/MA",
}
_SCHOOL_PREFIX = {"SD": "SD NEGERI", "SMP": "SMP NEGERI", "SMA": "SMA NEGERI", "SMK": "SMK NEGERI",
                  "MA": "MA NEGERI", "PAKET_C": "PKBM"}
_PRIVATE = {"SD": "SD MUHAMMADIYAH", "SMP": "SMP ISLAM", "SMA": "SMA KATOLIK SANTO YOSEF", "SMK": "SMK PGRI",
            "MA": "MA MA'ARIF NU", "PAKET_C": "SKB"}
_AGE_AT_GRAD = {"SD": 12, "SMP": 15, "SMA": 18, "SMK": 18, "MA": 18, "PAKET_C": 20, "D3": 21, "S1": 22}
_UNIV = ["UNIVERSITAS NEGERI MALANG", "UNIVERSITAS JEMBER", "UNIVERSITAS TRUNOJOYO MADURA",
         "UNIVERSITAS ISLAM MALANG", "POLITEKNIK NEGERI BANYUWANGI", "UNIVERSITAS PGRI ADI BUANA SURABAYA",
         "INSTITUT AGAMA ISLAM NEGERI KEDIRI"]
_DEGREE = {"S1": ["SARJANA PENDIDIKAN (S.Pd.)", "SARJANA EKONOMI (S.E.)", "SARJANA KOMPUTER (S.Kom.)",
                  "SARJANA HUKUM (S.H.)"],
           "D3": ["AHLI MADYA (A.Md.)", "AHLI MADYA KEPERAWATAN (A.Md.Kep.)"]}


@dataclass(frozen=True)
class Style:
    font: str
    bold: str
    size: float
    ink: tuple[int, int, int]
    dx: float
    dy: float


def pick_jenjang(rng: np.random.Generator, p: Person, *, low: bool) -> str:
    if low:
        return str(rng.choice(["SMP", "SD"], p=[0.75, 0.25]))
    age = p.age_on()
    options, weights = ["SMA", "SMK", "MA", "PAKET_C"], [0.4, 0.22, 0.16, 0.08]
    if age >= 23:
        options, weights = options + ["S1", "D3"], weights + [0.1, 0.04]
    w = np.array(weights)
    return str(rng.choice(options, p=w / w.sum()))


def _grad_date(rng: np.random.Generator, p: Person, jenjang: str) -> date:
    year = p.tanggal_lahir.year + _AGE_AT_GRAD[jenjang] + int(rng.integers(0, 2))
    year = min(year, 2023)
    return date(year, int(rng.choice([5, 6, 6, 7])), int(rng.integers(1, 29)))


def _serial(rng: np.random.Generator, jenjang: str, year: int) -> str:
    n = int(rng.integers(1, 9_999_999))
    yy = year % 100
    if jenjang == "MA":
        return f"MA.{int(rng.integers(1, 40)):02d}/{int(rng.integers(1, 30)):02d}.{int(rng.integers(1, 9)):02d}/PP.01.1/{n % 1000:03d}/{year}"
    if jenjang in ("S1", "D3"):
        return f"{int(rng.integers(1000, 9999))}/UN{int(rng.integers(10, 99))}/PP/{year}"
    code = {"SMA": ("Ma", "M-SMA"), "SMK": ("Mk", "M-SMK"), "SMP": ("Mu", "D-SMP"), "SD": ("Dd", "D-SD"),
            "PAKET_C": ("PC", "M-PC")}[jenjang]
    if year < 2015:
        return f"DN-05 {code[0]}/{yy:02d} {n:07d}"
    return f"DN-05/{code[1]}/{yy:02d}/{n:07d}"


def ijazah_page(rng: np.random.Generator, p: Person, jenjang: str, *, nama: str | None = None) -> tuple[Page, dict]:
    """Diploma of `p` at `jenjang`; `nama` is the printed name (titles/variant spellings), default p.nama."""
    nama = nama or p.nama
    page = Page(W, H)
    if rng.random() < 0.6:
        tint = tuple(int(v) for v in rng.integers([228, 232, 215], [252, 252, 245]))
        page.add(Picture(0, 0, W, H, paper_tint(rng, 420, 594, tint, rng.random() < 0.7)))
    fnt = str(rng.choice(["serif", "dserif", "sans", "dejavu"], p=[0.4, 0.2, 0.25, 0.15]))
    st = Style(fnt, BOLD_OF[fnt], float(rng.uniform(10, 12.5)), tuple(int(v) for v in rng.integers(0, 50, 3)),
               float(rng.uniform(-4, 4)), float(rng.uniform(-5, 5)))
    grad = _grad_date(rng, p, jenjang)
    serial = _serial(rng, jenjang, grad.year)
    nisn = f"{int(rng.integers(0, 10)):01d}{int(rng.integers(0, 10**9)):09d}" if grad.year >= 2008 else None
    kab = p.desa.kab_short if rng.random() < 0.75 else str(rng.choice(["MALANG", "SURABAYA", "JEMBER", "KEDIRI"]))
    if jenjang in ("S1", "D3"):
        school = str(rng.choice(_UNIV))
        _university(rng, page, st, p, nama, jenjang, school, grad, serial)
    else:
        pool = _SCHOOL_PREFIX if rng.random() < 0.7 else _PRIVATE
        school = f"{pool[jenjang]} {int(rng.integers(1, 6))} {kab}" if pool is _SCHOOL_PREFIX else f"{pool[jenjang]} {kab}"
        _school(rng, page, st, p, nama, jenjang, school, kab, grad, serial, nisn)
    fields = {"nama": nama.upper(), "tempat_lahir": p.tempat_lahir, "tanggal_lahir": p.tanggal_lahir.isoformat(),
              "jenjang": jenjang, "nomor_ijazah": serial.upper(), "nisn": nisn if jenjang not in ("S1", "D3") else None, "nama_sekolah": school,
              "tahun_lulus": grad.year}
    return page, {k: v for k, v in fields.items() if v is not None}


def _rows(page: Page, st: Style, x: float, y: float, rows: list[tuple[str, str]], pitch: float,
          colon_at: float, leaders: bool) -> float:
    for label, value in rows:
        page.add(Text(x, y, label, st.font, st.size, st.ink), Text(x + colon_at, y, ":", st.font, st.size, st.ink))
        vx = x + colon_at + 3
        size = fit_size(value, st.font, st.size, W - 22 - vx)
        page.add(Text(vx, y, value, st.font, size, st.ink))
        if leaders:
            page.add(Line(vx, y + 1.2, W - 22, y + 1.2, 0.15, (110, 110, 110)))
        y += pitch
    return y


def _school(rng: np.random.Generator, page: Page, st: Style, p: Person, nama: str, jenjang: str, school: str,
            kab: str, grad: date, serial: str, nisn: str | None) -> None:
    cx, y = W / 2 + st.dx, 28 + st.dy
    kemenag = jenjang == "MA"
    page.add(Rect(cx - 11, y - 12, 22, 20, outline=(150, 120, 40), width=0.6, ellipse=True))
    y += 16
    if kemenag:
        ministry = "KEMENTERIAN AGAMA"
    elif grad.year < 2012:
        ministry = "KEMENTERIAN PENDIDIKAN NASIONAL" if grad.year >= 2000 else "DEPARTEMEN PENDIDIKAN DAN KEBUDAYAAN"
    elif grad.year < 2021:
        ministry = "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN"
    else:
        ministry = "KEMENTERIAN PENDIDIKAN, KEBUDAYAAN, RISET, DAN TEKNOLOGI"
    page.add(Text(cx, y, ministry, st.bold, fit_size(ministry, st.bold, st.size * 1.15, 170), st.ink, "m"),
             Text(cx, y + 6, "REPUBLIK INDONESIA", st.bold, st.size * 1.15, st.ink, "m"))
    y += 20
    page.add(Text(cx, y, "IJAZAH", st.bold, st.size * 2.6, st.ink, "m"))
    y += 10
    page.add(Text(cx, y, _LEVEL_TITLE[jenjang], st.bold, st.size * 1.3, st.ink, "m"))
    y += 7
    page.add(Text(cx, y, f"TAHUN PELAJARAN {grad.year - 1}/{grad.year}", st.font, st.size, st.ink, "m"))
    y += 14
    x = 22 + st.dx
    pitch = st.size * rng.uniform(0.62, 0.75)
    labels = ["Nomor Pokok Sekolah Nasional", "tempat dan tanggal lahir", "nomor induk siswa nasional"]
    colon = max(text_width_mm(lb, st.font, st.size) for lb in labels) + float(rng.uniform(2, 8))
    npsn = f"{int(rng.integers(20500000, 20599999))}"
    ttl = f"{title_case(p.tempat_lahir)}, {tanggal_kata(p.tanggal_lahir)}"
    nis = f"{int(rng.integers(1000, 99999))}"
    leaders = bool(rng.random() < 0.5)
    if rng.random() < 0.4:  # paragraph intro, name centred (newer blanks)
        for line in [f"Yang bertanda tangan di bawah ini, Kepala {school},",
                     f"Nomor Pokok Sekolah Nasional {npsn}, Kabupaten/Kota {title_case(kab)},",
                     "Provinsi Jawa Timur, menerangkan bahwa:"]:
            page.add(Text(x, y, line, st.font, fit_size(line, st.font, st.size, W - 44), st.ink))
            y += pitch
        y += pitch * 0.9
        page.add(Text(cx, y, nama.upper(), st.bold, fit_size(nama.upper(), st.bold, st.size * 1.6, 160), st.ink, "m"))
        y += pitch * 1.5
    else:
        page.add(Text(x, y, "Yang bertanda tangan di bawah ini, Kepala", st.font, st.size, st.ink))
        y += pitch
        y = _rows(page, st, x, y, [("Nama Sekolah", school), ("Nomor Pokok Sekolah Nasional", npsn),
                                   ("Kabupaten/Kota", title_case(kab) if rng.random() < 0.5 else kab),
                                   ("Provinsi", "Jawa Timur")], pitch, colon, False)
        y += pitch * 0.4
        page.add(Text(x, y, "menerangkan bahwa:", st.font, st.size, st.ink))
        y += pitch * 1.4
        page.add(Text(x, y, "nama", st.font, st.size, st.ink), Text(x + colon, y, ":", st.font, st.size, st.ink),
                 Text(x + colon + 3, y, nama.upper(), st.bold,
                      fit_size(nama.upper(), st.bold, st.size * 1.25, W - 22 - x - colon - 3), st.ink))
        y += pitch * 1.2
    rows = [("tempat dan tanggal lahir", ttl), ("nama orang tua/wali", p.nama_ortu), ("nomor induk siswa", nis)]
    if nisn:
        rows.append(("nomor induk siswa nasional", nisn))
    y = _rows(page, st, x, y, rows, pitch, colon, leaders)
    y += pitch * 0.6
    for line in ["dinyatakan LULUS dari satuan pendidikan berdasarkan kriteria kelulusan",
                 f"{school} Tahun Pelajaran {grad.year - 1}/{grad.year}."]:
        page.add(Text(x, y, line, st.font, fit_size(line, st.font, st.size, W - 44), st.ink))
        y += pitch
    _footer(rng, page, st, y + pitch * 2, kab, grad, "Kepala Sekolah" if not kemenag else "Kepala Madrasah",
            [_SCHOOL_PREFIX[jenjang].split()[0], title_case(kab).upper()])
    page.add(Text(x, H - 14 + st.dy * 0.3, serial, "sans", 9, st.ink))


def _university(rng: np.random.Generator, page: Page, st: Style, p: Person, nama: str, jenjang: str, school: str,
                grad: date, serial: str) -> None:
    cx, y = W / 2 + st.dx, 30 + st.dy
    page.add(Text(W - 20, 14, f"Nomor Ijazah: {serial}", st.font, st.size * 0.8, st.ink, "r"))
    page.add(Rect(cx - 12, y - 12, 24, 24, outline=(40, 60, 130), width=0.7, ellipse=True))
    y += 24
    page.add(Text(cx, y + 28, "IJAZAH", st.bold, st.size * 2.2, st.ink, "m"))
    page.add(Text(cx, y, school, st.bold, fit_size(school, st.bold, st.size * 1.6, 180), st.ink, "m"))
    y += 40
    page.add(Text(cx, y, "dengan ini menyatakan bahwa", st.font, st.size, st.ink, "m"))
    y += 14
    page.add(Text(cx, y, nama.upper(), st.bold, fit_size(nama.upper(), st.bold, st.size * 1.8, 170), st.ink, "m"))
    y += 11
    ttl = f"lahir di {title_case(p.tempat_lahir)}, tanggal {tanggal_kata(p.tanggal_lahir)}"
    nim = f"{(grad.year - 4) % 100:02d}{int(rng.integers(10**6, 10**7))}"
    for line in [ttl, f"Nomor Induk Mahasiswa {nim}",
                 "telah menyelesaikan dengan baik dan memenuhi semua persyaratan pendidikan",
                 "Program " + ("Sarjana" if jenjang == "S1" else "Diploma III") + " sehingga kepadanya diberikan gelar",
                 ]:
        page.add(Text(cx, y, line, st.font, fit_size(line, st.font, st.size, 175), st.ink, "m"))
        y += st.size * 0.7
    y += 4
    degree = str(rng.choice(_DEGREE[jenjang]))
    page.add(Text(cx, y, degree, st.bold, st.size * 1.4, st.ink, "m"))
    y += 10
    line = "beserta segala hak dan kewajiban yang melekat pada gelar tersebut."
    page.add(Text(cx, y, line, st.font, st.size, st.ink, "m"))
    _footer(rng, page, st, y + 22, str(rng.choice(["MALANG", "JEMBER", "SURABAYA"])), grad,
            str(rng.choice(["Rektor", "Dekan"])), ["UNIVERSITAS", "JAWA TIMUR"])


def _footer(rng: np.random.Generator, page: Page, st: Style, y: float, kab: str, grad: date, role: str,
            stamp_text: list[str]) -> None:
    x_sig = 120 + st.dx
    page.add(Picture(30 + st.dx, y, 30, 40, photo(rng, (235, 235, 235))))
    page.add(*stamp(48 + st.dx, y + 34, 11, stamp_text, (90, 60, 160)))
    page.add(Text(x_sig, y + 4, f"{title_case(kab)}, {tanggal_kata(grad)}", st.font, st.size, st.ink),
             Text(x_sig, y + 4 + st.size * 0.6, f"{role},", st.font, st.size, st.ink),
             signature(rng, x_sig + 5, y + 12, 38, 14, (20, 30, 110)))
    head, _ = make_name(rng, bool(rng.random() < 0.4))
    title = str(rng.choice(["Drs. ", "", "Dr. "]))
    suffix = str(rng.choice([", M.Pd.", ", S.Pd.", ", M.M.", ""]))
    page.add(Text(x_sig, y + 34, f"{title}{title_case(head)}{suffix}", st.bold, st.size, st.ink),
             Text(x_sig, y + 34 + st.size * 0.55, f"NIP {_nip(rng)}", st.font, st.size * 0.9, st.ink))


def _nip(rng: np.random.Generator) -> str:
    born = date(1965, 1, 1) + timedelta(days=int(rng.integers(0, 9000)))
    return f"{born:%Y%m%d} {int(rng.integers(1990, 2015))}{int(rng.integers(1, 13)):02d} {int(rng.integers(1, 3))} {int(rng.integers(1, 999)):03d}"
