"""Surat keterangan sehat in the newer layout families: bordered table form, and a letter in sentences.

Both honour the scenario switches of surat_sehat.sehat_page (healthy, stale, vitals) and return the same truth
fields. Issuers vary more (UPTD Puskesmas, rumah sakit spelled out, klinik names); `praktik=True` (scenario
issuer_unknown) prints a private practice's letterhead (dr. X, Dokter Umum, SIP), which the KPU rule does not
list as an accepted issuer.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from scripts.samplegen.layout import BOLD_OF, Color, Line, Page, Rect, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import signature, stamp
from scripts.samplegen.people import Person, make_name
from scripts.samplegen.surat_sehat import letter_date
from scripts.samplegen.text import tanggal_kata, title_case

W, H = 210.0, 297.0
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
_KLINIK_WORDS = ["SEHAT", "HUSADA", "MEDIKA", "PERMATA", "AL-AMIN", "KASIH", "BUNDA", "MULIA", "SARANA", "UTAMA"]


def _issuer(rng: np.random.Generator, p: Person, praktik: bool, doctor: str) -> tuple[str, list[tuple[str, float, bool]], str]:
    """(penerbit as printed, letterhead lines (text, scale, bold), nomor prefix)."""
    kab = p.desa.kab_short
    if praktik:
        name = f"dr. {title_case(doctor)}"
        sip = f"SIP. 503/{int(rng.integers(100, 999))}/SIP-DU/{p.desa.kode[:5]}/{int(rng.integers(2018, 2024))}"
        return name.upper(), [(name, 1.6, True), ("DOKTER UMUM - PRAKTIK MANDIRI", 1.0, True), (sip, 0.9, False)], "SKD"
    kind = str(rng.choice(["puskesmas", "rs", "klinik"], p=[0.45, 0.3, 0.25]))
    if kind == "puskesmas":
        issuer = f"{rng.choice(['UPTD PUSKESMAS', 'UPT PUSKESMAS', 'PUSKESMAS'])} {p.desa.kecamatan}"
        return issuer, [(f"PEMERINTAH {p.desa.kabupaten_kota}", 1.1, True), ("DINAS KESEHATAN", 1.1, True),
                        (issuer, 1.4, True)], "440"
    if kind == "rs":
        issuer = str(rng.choice([f"RUMAH SAKIT UMUM DAERAH {kab}", f"RUMAH SAKIT ISLAM {kab}",
                                 f"RS BHAYANGKARA {kab}", f"RUMAH SAKIT IBU DAN ANAK {rng.choice(_KLINIK_WORDS)}"]))
        return issuer, [(issuer, 1.45, True)], "445"
    words = [_KLINIK_WORDS[i] for i in rng.permutation(len(_KLINIK_WORDS))[:2]]
    issuer = f"KLINIK {rng.choice(['PRATAMA', 'UTAMA', ''])} {' '.join(words)}".replace("  ", " ")
    return issuer, [(issuer, 1.45, True)], "KL"


class _Letter:
    def __init__(self, page: Page, fnt: str, size: float, ink: Color) -> None:
        self.page, self.fnt, self.bold, self.size, self.ink = page, fnt, BOLD_OF[fnt], size, ink

    def text(self, x: float, y: float, s: str, *, bold: bool = False, scale: float = 1.0, align: str = "l",
             max_w: float = 165, font: str | None = None, fill: Color | None = None) -> None:
        f = font or (self.bold if bold else self.fnt)
        self.page.add(Text(x, y, s, f, fit_size(s, f, self.size * scale, max_w), fill or self.ink, align))

    def wrap(self, x: float, y: float, text: str, width: float, pitch: float) -> float:
        """Running text wrapped at `width` mm; returns the next baseline."""
        line: list[str] = []
        for word in text.split():
            trial = " ".join([*line, word])
            if line and text_width_mm(trial, self.fnt, self.size) > width:
                self.text(x, y, " ".join(line), max_w=width + 5)
                y += pitch
                line = [word]
            else:
                line.append(word)
        if line:
            self.text(x, y, " ".join(line), max_w=width + 5)
            y += pitch
        return y


def sehat_page(rng: np.random.Generator, p: Person, family: str, *, nama: str | None = None, healthy: bool = True,
               stale: bool = False, vitals: bool = True, praktik: bool = False) -> tuple[Page, dict, tuple[str, ...]]:
    """The letter in `family` ('sehat/table' or 'sehat/sentence'); returns (page, truth fields, marks)."""
    nama = (nama or p.nama).upper()
    fnt = str(rng.choice(["free-serif", "free-sans", "sans", "serif", "dejavu"], p=[0.25, 0.25, 0.2, 0.15, 0.15]))
    size = float(rng.uniform(10, 12))
    ink = tuple(int(v) for v in rng.integers(0, 40, 3))
    c = _Letter(Page(W, H), fnt, size, ink)
    doctor, _ = make_name(rng, bool(rng.random() < 0.5))
    issuer, head_lines, prefix = _issuer(rng, p, praktik, doctor)
    issued = letter_date(rng, stale)
    nomor = f"{prefix}/{int(rng.integers(1, 999)):03d}/{_ROMAN[issued.month - 1]}/{issued.year}"
    sys_, dia = (int(rng.integers(150, 185)), int(rng.integers(95, 115))) if not healthy else (
        int(rng.choice([100, 110, 110, 115, 120, 120, 125, 130])), int(rng.choice([70, 70, 75, 80, 80, 85])))
    td = f"{sys_}/{dia}"
    x, y = 24 + float(rng.uniform(-3, 3)), 18 + float(rng.uniform(-3, 5))
    cx = W / 2 + float(rng.uniform(-3, 5))
    for text, scale, bold in head_lines:
        c.text(cx, y, text, bold=bold, scale=scale, align="m", max_w=150)
        y += size * scale * 0.5
    c.text(cx, y, f"Jl. {rng.choice(['Raya', 'Veteran', 'Merdeka', 'Kartini'])} No. {int(rng.integers(1, 150))}, "
                  f"{title_case(p.desa.kecamatan)}", scale=0.85, align="m")
    y += size * 0.5
    c.page.add(Line(16, y, W - 16, y, 0.7, ink))
    y += 12
    title = "SURAT KETERANGAN SEHAT" if rng.random() < 0.8 else "SURAT KETERANGAN KESEHATAN"
    c.text(cx, y, title, bold=True, scale=1.3, align="m")
    y += size * 0.55
    c.text(cx, y, f"No. {nomor}" if rng.random() < 0.5 else f"Nomor: {nomor}", align="m")
    y += size * 1.1
    pitch = size * float(rng.uniform(0.6, 0.7))
    gd = int(rng.integers(80, 140)) if healthy else int(rng.integers(90, 260))
    chol = int(rng.integers(140, 235))
    vit = [("Tinggi Badan", f"{int(rng.integers(148, 182))}", "cm"), ("Berat Badan", f"{int(rng.integers(42, 95))}", "kg"),
           ("Tekanan Darah", td, "mmHg"), ("Nadi", f"{int(rng.integers(64, 96))}", "x/menit")]
    if vitals:
        vit += [(str(rng.choice(["Gula Darah Sewaktu", "Gula Darah Puasa", "GDS"])), str(gd), "mg/dL"),
                (str(rng.choice(["Kolesterol Total", "Kolesterol"])), str(chol), "mg/dL")]
    verdict = "SEHAT" if healthy else "TIDAK SEHAT"
    dr = f"dr. {title_case(doctor)}"
    who = "dokter praktik" if praktik else f"dokter pada {title_case(issuer)}"
    if family == "sehat/table":
        y = _table_body(rng, c, p, nama, x, y, pitch, vit, verdict, dr, who)
    else:
        y = _sentence_body(rng, c, p, nama, x, y, pitch, vit, verdict, dr, who, issued)
    marks = _sign(rng, c, y + pitch, p, issued, dr, issuer, praktik)
    fields = {"nama": nama, "tanggal_surat": issued.isoformat(), "penerbit": issuer, "kesimpulan": verdict,
              "nomor_surat": nomor.upper(), "tekanan_darah": td}
    return c.page, fields, marks


def _cells(c: _Letter, x: float, y: float, rows: list[list[str]], widths: list[float], row_h: float,
           pen: Color | None, rng: np.random.Generator, header: bool) -> float:
    """A bordered grid; with `pen`, every cell after the first is filled in by hand in that colour."""
    top = y - row_h * 0.72
    for i, row in enumerate(rows):
        cx = x
        for j, (cell, w) in enumerate(zip(row, widths, strict=True)):
            if pen is not None and j > 0 and not (header and i == 0):
                c.text(cx + 2 + float(rng.uniform(0, 3)), y + float(rng.uniform(-0.6, 0.3)), cell,
                       font="free-serif-i" if rng.random() < 0.5 else "serif-i", scale=1.1, fill=pen, max_w=w - 3)
            else:
                c.text(cx + 2, y, cell, bold=header and i == 0, max_w=w - 3)
            cx += w
        y += row_h
    total = sum(widths)
    for k in range(len(rows) + 1):
        c.page.add(Line(x, top + k * row_h, x + total, top + k * row_h, 0.25, c.ink))
    edge = x
    for w in [0.0, *widths]:
        edge += w
        c.page.add(Line(edge, top, edge, top + row_h * len(rows), 0.25, c.ink))
    return y


def _table_body(rng: np.random.Generator, c: _Letter, p: Person, nama: str, x: float, y: float, pitch: float,
                vit: list[tuple[str, str, str]], verdict: str, dr: str, who: str) -> float:
    y = c.wrap(x, y, f"Yang bertanda tangan di bawah ini, {dr}, {who}, menerangkan bahwa:", 160, pitch)
    y += pitch * 0.5
    pen = None
    if rng.random() < 0.45:  # a printed form filled in by hand: blue or black ballpoint
        pen = (25, 45, 150) if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(10, 45, 3))
    row_h = pitch * 1.3
    born = p.tanggal_lahir
    ident = [["Nama", nama], ["Tempat, Tgl. Lahir", f"{title_case(p.tempat_lahir)}, {born:%d-%m-%Y}"],
             ["Jenis Kelamin", title_case(p.jenis_kelamin)],
             ["Alamat", f"{title_case(p.alamat)} RT {p.rt_rw[:3]}/RW {p.rt_rw[4:]}, {title_case(p.desa.nama)}"]]
    label_w = max(text_width_mm(r[0], c.bold, c.size) for r in ident) + 6
    y = _cells(c, x, y, ident, [label_w, 160 - label_w], row_h, pen, rng, False)
    y += pitch * 0.6
    c.text(x, y, "Hasil pemeriksaan fisik:")
    y += pitch * 1.2
    three = rng.random() < 0.6
    if three:
        rows = [["Pemeriksaan", "Hasil", "Satuan"]] + [[n, v, u] for n, v, u in vit]
        lw = max(text_width_mm(r[0], c.fnt, c.size) for r in rows) + 8
        widths = [lw, 38.0, 30.0]
    else:
        rows = [["Pemeriksaan", "Hasil"]] + [[n, f"{v} {u}"] for n, v, u in vit]
        lw = max(text_width_mm(r[0], c.fnt, c.size) for r in rows) + 8
        widths = [lw, 55.0]
    y = _cells(c, x, y, rows, widths, row_h, pen, rng, True)
    y += pitch * 0.6
    if rng.random() < 0.3:  # tick boxes instead of a written conclusion
        c.text(x, y, "Kesimpulan:")
        bx = x + 32
        for option in ("Sehat", "Tidak Sehat"):
            c.page.add(Rect(bx, y - 3.4, 3.6, 3.6, outline=c.ink, width=0.3))
            if option.upper() == verdict:
                ink = pen or c.ink
                c.page.add(Line(bx + 0.4, y - 1.6, bx + 1.5, y - 0.2, 0.45, ink),
                           Line(bx + 1.5, y - 0.2, bx + 4.2, y - 4.6, 0.45, ink))
            c.text(bx + 5.5, y, option)
            bx += 40
    else:
        c.text(x, y, f"Kesimpulan: yang bersangkutan dinyatakan {verdict}", bold=rng.random() < 0.5)
    y += pitch * 1.4
    c.text(x, y, "Surat keterangan ini dibuat untuk persyaratan pendaftaran calon anggota KPPS.")
    return y + pitch


def _sentence_body(rng: np.random.Generator, c: _Letter, p: Person, nama: str, x: float, y: float, pitch: float,
                   vit: list[tuple[str, str, str]], verdict: str, dr: str, who: str, issued: date) -> float:
    sdr = "Sdri." if p.female else "Sdr."
    born = tanggal_kata(p.tanggal_lahir)
    if rng.random() < 0.5:  # identity inside the sentence as well
        text = (f"Yang bertanda tangan di bawah ini, {dr}, {who}, menerangkan bahwa {sdr} {nama}, lahir di "
                f"{title_case(p.tempat_lahir)} pada tanggal {born}, alamat {title_case(p.alamat)} "
                f"{title_case(p.desa.nama)}, pada tanggal {tanggal_kata(issued)} telah kami periksa.")
        y = c.wrap(x, y, text, 160, pitch)
    else:
        y = c.wrap(x, y, f"Yang bertanda tangan di bawah ini, {dr}, {who}, menerangkan bahwa:", 160, pitch)
        for label, value in [("Nama", nama), ("Tempat/Tgl. Lahir", f"{title_case(p.tempat_lahir)}, {born}"),
                             ("Alamat", f"{title_case(p.alamat)}, {title_case(p.desa.nama)}")]:
            c.text(x + 6, y, label)
            c.text(x + 44, y, f": {value}", max_w=120)
            y += pitch
        y = c.wrap(x, y, f"pada tanggal {tanggal_kata(issued)} telah kami periksa.", 160, pitch)
    y += pitch * 0.4
    parts = [f"{n.lower() if n != 'GDS' else 'gula darah sewaktu'} {v} {u}" for n, v, u in vit]
    parts = [parts[i] for i in rng.permutation(len(parts))] if rng.random() < 0.3 else parts
    found = ", ".join(parts[:-1]) + f" dan {parts[-1]}"
    y = c.wrap(x, y, f"Dari hasil pemeriksaan didapatkan {found}. Berdasarkan pemeriksaan tersebut yang "
                     f"bersangkutan dinyatakan {verdict} untuk mengikuti seleksi calon anggota KPPS "
                     f"Pemilu 2024.", 160, pitch)
    y += pitch * 0.4
    return c.wrap(x, y, "Demikian surat keterangan ini dibuat untuk dipergunakan sebagaimana mestinya.", 160, pitch)


def _sign(rng: np.random.Generator, c: _Letter, y: float, p: Person, issued: date, dr: str, issuer: str,
          praktik: bool) -> tuple[str, ...]:
    x = 120 + float(rng.uniform(-5, 5))
    when = str(rng.choice([tanggal_kata(issued), f"{issued:%d-%m-%Y}", f"{issued:%d/%m/%Y}"]))
    c.text(x, y, f"{title_case(p.desa.kecamatan)}, {when}")
    c.text(x, y + c.size * 0.55, "Dokter yang memeriksa,")
    c.page.add(signature(rng, x + 4, y + 8, 36, 13, (25, 35, 120)))
    c.text(x, y + 29, dr, bold=True)
    c.text(x, y + 29 + c.size * 0.5, f"SIP. {int(rng.integers(10**8, 10**9))}" if praktik or rng.random() < 0.5
           else f"NIP. {int(rng.integers(10**17, 10**18 - 1))}", scale=0.9)
    words = ["PRAKTIK DOKTER", "PRAKTIK"] if praktik else [issuer.split()[0], p.desa.kab_short]
    if rng.random() < 0.45:  # the stamp lands on the place and date line
        c.page.add(*stamp(x + float(rng.uniform(10, 30)), y - 1.5, 12, words, (70, 70, 170)))
        return ("stamp_over_value",)
    c.page.add(*stamp(x - 4 + float(rng.uniform(0, 8)), y + 16, 12, words, (70, 70, 170)))
    return ()
