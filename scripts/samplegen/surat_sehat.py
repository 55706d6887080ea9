"""Surat keterangan sehat: Puskesmas / RSUD / klinik letters in three layouts with random styling."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from scripts.samplegen.layout import BOLD_OF, Line, Page, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import signature, stamp
from scripts.samplegen.people import Person, make_name
from scripts.samplegen.text import tanggal_kata, title_case

W, H = 210.0, 297.0
# Registration runs 2023-12-11..20 (tanggal_daftar, when written, lies in it): a valid letter precedes the
# earliest registration day and is younger than 3 months on it; a stale one is older than 3 months on any day.
VALID_FROM, VALID_TO = date(2023, 9, 25), date(2023, 12, 10)
STALE_FROM, STALE_TO = date(2023, 3, 1), date(2023, 9, 1)
_RSUD = ["RSUD DR. SOETOMO", "RSUD DR. SAIFUL ANWAR", "RSUD BANGIL", "RSUD DR. SOEDONO", "RSUD SIDOARJO",
         "RSUD IBNU SINA", "RSUD DR. R. KOESMA", "RSUD SYARIFAH AMBAMI RATO EBU"]
_KLINIK = ["KLINIK PRATAMA SEHAT SENTOSA", "KLINIK PRATAMA MITRA KELUARGA", "KLINIK UTAMA AN-NUR",
           "KLINIK PRATAMA BHAKTI HUSADA", "KLINIK PRATAMA RAWAT INAP AL-HIKMAH"]


def letter_date(rng: np.random.Generator, stale: bool) -> date:
    lo, hi = (STALE_FROM, STALE_TO) if stale else (VALID_FROM, VALID_TO)
    return lo + timedelta(days=int(rng.integers((hi - lo).days + 1)))


def _date_text(rng: np.random.Generator, d: date) -> str:
    return str(rng.choice([tanggal_kata(d), f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day:02d}/{d.month:02d}/{d.year}",
                           tanggal_kata(d, upper=True)]))


def sehat_page(rng: np.random.Generator, p: Person, *, nama: str | None = None, healthy: bool = True,
               stale: bool = False, vitals: bool = True) -> tuple[Page, dict]:
    """The letter for `p`; `vitals=False` leaves out blood sugar and cholesterol."""
    nama = (nama or p.nama).upper()
    kind = str(rng.choice(["puskesmas", "rsud", "klinik"], p=[0.55, 0.25, 0.2]))
    if kind == "puskesmas":
        issuer = f"PUSKESMAS {p.desa.kecamatan if rng.random() < 0.8 else p.desa.nama}"
    elif kind == "rsud":
        issuer = str(rng.choice(_RSUD))
    else:
        issuer = str(rng.choice(_KLINIK))
    fnt = str(rng.choice(["sans", "dejavu", "serif", "narrow", "dserif"], p=[0.3, 0.15, 0.3, 0.1, 0.15]))
    bold = BOLD_OF[fnt]
    size = float(rng.uniform(10, 12))
    ink = tuple(int(v) for v in rng.integers(0, 40, 3))
    dx, dy = float(rng.uniform(-4, 4)), float(rng.uniform(-4, 6))
    issued = letter_date(rng, stale)
    nomor = _nomor(rng, kind, p, issued)
    sys_, dia = (int(rng.integers(150, 185)), int(rng.integers(95, 115))) if not healthy else (
        int(rng.choice([100, 110, 110, 115, 120, 120, 125, 130])), int(rng.choice([70, 70, 75, 80, 80, 85])))
    td = f"{sys_}/{dia}"
    page = Page(W, H)
    x, y = 25 + dx, 18 + dy
    y = _letterhead(rng, page, kind, issuer, p, fnt, bold, size, ink, y)
    cx = W / 2 + dx
    page.add(Text(cx, y, "SURAT KETERANGAN SEHAT", bold, size * 1.35, ink, "m"))
    tw = text_width_mm("SURAT KETERANGAN SEHAT", bold, size * 1.35)
    if rng.random() < 0.7:
        page.add(Line(cx - tw / 2, y + 1.2, cx + tw / 2, y + 1.2, 0.35, ink))
    y += size * 0.6
    page.add(Text(cx, y, f"Nomor : {nomor}", fnt, size, ink, "m"))
    y += size * 1.1
    pitch = size * float(rng.uniform(0.58, 0.7))
    doctor, _ = make_name(rng, bool(rng.random() < 0.5))
    dr = f"dr. {title_case(doctor)}"
    intro = [f"Yang bertanda tangan di bawah ini {dr}, dokter pada {title_case(issuer)},",
             "menerangkan dengan sebenarnya bahwa:"]
    for line in intro:
        page.add(Text(x, y, line, fnt, fit_size(line, fnt, size, W - 2 * x), ink))
        y += pitch
    y += pitch * 0.3
    age = p.age_on(issued)
    ttl = f"{title_case(p.tempat_lahir)}, {_date_text(rng, p.tanggal_lahir)}"
    rows = [("Nama", nama), ("Tempat/Tgl. Lahir", ttl) if rng.random() < 0.75 else ("Umur", f"{age} tahun"),
            ("Jenis Kelamin", p.jenis_kelamin if rng.random() < 0.5 else title_case(p.jenis_kelamin)),
            ("Alamat", f"{title_case(p.alamat)} RT {p.rt_rw[:3]} RW {p.rt_rw[4:]} {title_case(p.desa.nama)}"),
            ("Pekerjaan", title_case(p.pekerjaan))]
    pen = rng if rng.random() < 0.2 else None  # a pre-printed form filled in by hand
    y = _rows(page, fnt, size, ink, x + 6, y, rows, pitch, pen)
    y += pitch * 0.4
    page.add(Text(x, y, "Telah dilakukan pemeriksaan kesehatan dengan hasil sebagai berikut:", fnt, size, ink))
    y += pitch * 1.1
    vit = [("Tinggi Badan", f"{int(rng.integers(148, 182))} cm"), ("Berat Badan", f"{int(rng.integers(42, 95))} kg"),
           ("Tekanan Darah", f"{td} mmHg"), ("Nadi", f"{int(rng.integers(64, 96))} x/menit")]
    if vitals:
        gd = int(rng.integers(80, 140)) if healthy else int(rng.integers(90, 260))
        vit += [(str(rng.choice(["Gula Darah Sewaktu", "Gula Darah", "GDA"])), f"{gd} mg/dL"),
                (str(rng.choice(["Kolesterol", "Kolesterol Total"])), f"{int(rng.integers(140, 235))} mg/dL")]
    if rng.random() < 0.5:
        vit.append(("Buta Warna", str(rng.choice(["Tidak", "Negatif"]))))
    if rng.random() < 0.35:
        y = _table(page, fnt, bold, size, ink, x + 6, y, vit, pitch)
    else:
        y = _rows(page, fnt, size, ink, x + 6, y, vit, pitch, pen)
    y += pitch * 0.5
    verdict = "SEHAT" if healthy else "TIDAK SEHAT"
    concl = str(rng.choice([f"Berdasarkan hasil pemeriksaan tersebut, yang bersangkutan dinyatakan {verdict}.",
                            f"Kesimpulan : {verdict}", f"Dalam keadaan {verdict} jasmani."]))
    page.add(Text(x, y, concl, bold if rng.random() < 0.5 else fnt, fit_size(concl, fnt, size, W - 2 * x), ink))
    y += pitch * 1.3
    purpose = str(rng.choice(["untuk persyaratan pendaftaran calon anggota KPPS Pemilu 2024.",
                              "untuk melengkapi persyaratan calon anggota KPPS pada Pemilihan Umum Tahun 2024.",
                              "untuk keperluan pendaftaran Kelompok Penyelenggara Pemungutan Suara (KPPS)."]))
    for line in ["Surat keterangan ini diberikan", purpose] if rng.random() < 0.5 else [
            f"Surat keterangan ini diberikan {purpose}"]:
        page.add(Text(x, y, line, fnt, fit_size(line, fnt, size, W - 2 * x), ink))
        y += pitch
    _sign(rng, page, fnt, bold, size, ink, y + pitch, p, issued, dr, issuer)
    fields = {"nama": nama, "tanggal_surat": issued.isoformat(), "penerbit": issuer, "kesimpulan": verdict,
              "nomor_surat": nomor.upper(), "tekanan_darah": td}
    return page, fields


def _nomor(rng: np.random.Generator, kind: str, p: Person, d: date) -> str:
    n = int(rng.integers(1, 999))
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][d.month - 1]
    if kind == "puskesmas":
        return f"440/{n:03d}/{p.desa.kode[:8]}/{d.year}"
    if kind == "rsud":
        return f"445/{n}/SKS/{roman}/{d.year}"
    return f"{n:03d}/SKS/KP/{roman}/{d.year}"


def _letterhead(rng: np.random.Generator, page: Page, kind: str, issuer: str, p: Person, fnt: str, bold: str,
                size: float, ink: tuple[int, int, int], y: float) -> float:
    cx = W / 2 + float(rng.uniform(-3, 8))
    lines: list[tuple[str, float, bool]] = []
    if kind in ("puskesmas", "rsud"):
        lines.append((f"PEMERINTAH {p.desa.kabupaten_kota}", size * 1.15, True))
        if kind == "puskesmas":
            lines.append(("DINAS KESEHATAN", size * 1.15, True))
    lines.append((issuer, size * 1.45, True))
    lines.append((f"Jl. {title_case(str(rng.choice(['Raya', 'Pahlawan', 'Diponegoro', 'A. Yani'])))} No. "
                  f"{int(rng.integers(1, 120))}, {title_case(p.desa.kecamatan)} Telp. (0341) {int(rng.integers(100000, 999999))}",
                  size * 0.85, False))
    if rng.random() < 0.6:
        page.add(*stamp(26, y + 6, 8, ["+"], (30, 120, 60)))  # logo placeholder
    for text, sz, is_bold in lines:
        f = bold if is_bold else fnt
        page.add(Text(cx, y, text, f, fit_size(text, f, sz, 150), ink, "m"))
        y += sz * 0.5
    page.add(Line(18, y - 1, W - 18, y - 1, 0.8, ink), Line(18, y + 0.2, W - 18, y + 0.2, 0.25, ink))
    return y + 12


def _rows(page: Page, fnt: str, size: float, ink: tuple[int, int, int], x: float, y: float,
          rows: list[tuple[str, str]], pitch: float, pen: np.random.Generator | None = None) -> float:
    """Label : value rows. With `pen`, the form is pre-printed with dotted lines and the values are
    filled in by hand (blue italic, wandering baseline)."""
    colon = max(text_width_mm(label, fnt, size) for label, _ in rows) + 4
    vx, right = x + colon + 3, W - 20
    for label, value in rows:
        page.add(Text(x, y, label, fnt, size, ink), Text(x + colon, y, ":", fnt, size, ink))
        if pen is None:
            page.add(Text(vx, y, value, fnt, fit_size(value, fnt, size, right - vx), ink))
        else:
            page.add(Text(vx + 0.6, y, "." * int((right - vx) / (size * 0.12)), fnt, size * 0.8, (90, 90, 90)))
            jitter = float(pen.uniform(-0.7, 0.4))
            page.add(Text(vx + float(pen.uniform(1, 6)), y + jitter - 0.6, value, "serif-i",
                          fit_size(value, "serif-i", size * 1.12, right - vx - 6), (25, 45, 150)))
        y += pitch
    return y


def _table(page: Page, fnt: str, bold: str, size: float, ink: tuple[int, int, int], x: float, y: float,
           rows: list[tuple[str, str]], pitch: float) -> float:
    """Vitals as a ruled two-column table with a header row."""
    col = max(text_width_mm(label, fnt, size) for label, _ in rows) + 12
    width = col + 50
    row_h = pitch * 1.15
    top = y - row_h * 0.75
    body = [("No.  Pemeriksaan", "Hasil")] + [(f"{i}.  {label}", value) for i, (label, value) in enumerate(rows, 1)]
    for i, (label, value) in enumerate(body):
        f = bold if i == 0 else fnt
        page.add(Text(x + 2, y, label, f, size, ink), Text(x + col + 2, y, value, f, size, ink))
        y += row_h
    bottom = top + row_h * len(body)
    for k in range(len(body) + 1):
        page.add(Line(x, top + k * row_h, x + width, top + k * row_h, 0.2, ink))
    for vx in (x, x + col, x + width):
        page.add(Line(vx, top, vx, bottom, 0.2, ink))
    return y + pitch * 0.2


def _sign(rng: np.random.Generator, page: Page, fnt: str, bold: str, size: float, ink: tuple[int, int, int],
          y: float, p: Person, issued: date, dr: str, issuer: str) -> None:
    x = 118 + float(rng.uniform(-6, 6))
    place = title_case(p.desa.kecamatan if issuer.startswith("PUSKESMAS") else p.desa.kab_short)
    page.add(Text(x, y, f"{place}, {_date_text(rng, issued)}", fnt, size, ink),
             Text(x, y + size * 0.55, str(rng.choice(["Dokter Pemeriksa,", "Yang memeriksa,", "Dokter,"])), fnt,
                  size, ink),
             signature(rng, x + 4, y + 8, 36, 14, (25, 35, 120)))
    page.add(*stamp(x - 2 + float(rng.uniform(0, 8)), y + 16, 12, issuer.split(" ", 1)[:2][::-1][:1] + [
        issuer.split(" ", 1)[0]], (70, 70, 170)))
    page.add(Text(x, y + 30, dr, bold, size, ink),
             Text(x, y + 30 + size * 0.5, str(rng.choice(["SIP. ", "NIP. "])) + str(rng.integers(10**8, 10**9)),
                  fnt, size * 0.9, ink))
