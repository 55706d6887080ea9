"""`ijazah/handwritten`: an older diploma on a pre-printed form whose entries a school clerk wrote by hand.

Until the 2000s many schools bought blank STTB / ijazah forms from the ministry and filled in the candidate's
name, place and date of birth (and the parent's name and the pupil number) with a pen; the school name and the
year were often typed on a typewriter. The writing comes from handwriting.py. Some entries are illegible (ink
that ran, a water blot): the truth's `field_marks` says per field whether it is handwritten and legible, so an
evaluation can require an empty field with FIELD_UNREADABLE there instead of a guess.

Only for people who finished school before 2009 (`eligible`). Truth fields and canonical values as ijazah.py.
"""

from __future__ import annotations

import numpy as np

from scripts.samplegen import handwriting
from scripts.samplegen.ijazah import _AGE_AT_GRAD, Style, _grad_date
from scripts.samplegen.ijazah_alt import _ministry, _old_level
from scripts.samplegen.layout import BOLD_OF, Color, Line, Page, Picture, Rect, Text, fit_size, text_width_mm
from scripts.samplegen.patterns import paper_tint, photo, signature, stamp
from scripts.samplegen.people import Person, make_name
from scripts.samplegen.text import BULAN, tanggal_kata, title_case

FAMILY = "ijazah/handwritten"
W, H = 210.0, 297.0
LEGIBLE_SHARE = 0.7  # entries a reader can make out; the others ran or faded
_TYPEWRITER = ("mono", "free-mono")


def eligible(p: Person, jenjang: str) -> bool:
    """Hand-filled forms: diplomas of school levels awarded before 2009."""
    return jenjang not in ("S1", "D3") and p.tanggal_lahir.year + _AGE_AT_GRAD[jenjang] <= 2008


def _birth_text(rng: np.random.Generator, p: Person) -> str:
    d = p.tanggal_lahir
    kind = int(rng.integers(4))
    if kind == 0:
        return tanggal_kata(d)
    if kind == 1:
        return f"{d.day} {BULAN[d.month - 1]} {d.year}".upper()
    if kind == 2:
        return f"{d.day}-{d.month}-{d.year}"
    return f"{d.day:02d} - {d.month:02d} - {d.year}"


def ijazah_page(rng: np.random.Generator, p: Person, jenjang: str, *,
                nama: str | None = None) -> tuple[Page, dict, tuple[str, ...], dict[str, dict]]:
    """(page, truth fields, marks, field_marks) of a hand-filled diploma of `p` at `jenjang`."""
    nama = (nama or p.nama).upper()
    page = Page(W, H)
    paper = _colour(rng.integers([230, 226, 200], [250, 246, 232]))  # aged, yellowed paper
    page.add(Picture(0, 0, W, H, paper_tint(rng, 420, 594, paper, True)))
    fnt = str(rng.choice(["serif", "dserif", "free-serif"]))
    ink = _colour(rng.integers(10, 60, 3))
    st = Style(fnt, BOLD_OF[fnt], float(rng.uniform(10, 11.5)), ink, float(rng.uniform(-3, 3)),
               float(rng.uniform(-3, 3)))
    grad = _grad_date(rng, p, jenjang)
    title, prefix = _old_level(jenjang, grad.year) if grad.year < 2004 else (
        {"SD": "SEKOLAH DASAR", "SMP": "SEKOLAH MENENGAH PERTAMA", "SMA": "SEKOLAH MENENGAH ATAS",
         "SMK": "SEKOLAH MENENGAH KEJURUAN", "MA": "MADRASAH ALIYAH", "PAKET_C": "PROGRAM PAKET C"}[jenjang],
        {"MA": "MAN"}.get(jenjang, f"{jenjang.replace('_', ' ')} NEGERI"))
    kab = p.desa.kab_short
    school = f"{prefix} {int(rng.integers(1, 6))} {kab}"
    letters = "".join(chr(65 + int(v)) for v in rng.integers(0, 26, 2))
    serial = f"{int(rng.integers(1, 30)):02d} O{letters[0]} o{letters[1].lower()} {int(rng.integers(0, 10**7)):07d}"
    writer = handwriting.pick_writer(rng, capitals=True)
    typewriter = str(rng.choice(_TYPEWRITER))
    cx = W / 2 + st.dx
    page.add(Rect(10, 10, W - 20, H - 20, outline=ink, width=0.9),
             Rect(12.5, 12.5, W - 25, H - 25, outline=ink, width=0.3))
    y = 30 + st.dy
    page.add(Rect(cx - 10, y - 11, 20, 18, outline=(150, 120, 40), width=0.6, ellipse=True))
    y += 15
    for line, scale in ((_ministry(jenjang, grad.year, jenjang == "MA"), 1.1), ("REPUBLIK INDONESIA", 1.1)):
        page.add(Text(cx, y, line, st.bold, fit_size(line, st.bold, st.size * scale, 170), ink, "m"))
        y += st.size * 0.55
    y += 8
    head = "SURAT TANDA TAMAT BELAJAR" if grad.year < 2001 else "IJAZAH"
    page.add(Text(cx, y, head, st.bold, fit_size(head, st.bold, st.size * 2.1, 175), ink, "m"))
    y += 9
    page.add(Text(cx, y, title, st.bold, fit_size(title, st.bold, st.size * 1.2, 170), ink, "m"))
    y += 14
    x = 24 + st.dx
    pitch = st.size * float(rng.uniform(0.85, 1.0))
    page.add(Text(x, y, "Yang bertanda tangan di bawah ini, Kepala Sekolah", fnt, st.size, ink))
    typed_y = y + pitch * 0.95
    page.add(Text(x, typed_y, school, typewriter, st.size * 1.05, (20, 20, 30)),
             _dots(x + text_width_mm(school, typewriter, st.size * 1.05) + 2, W - 24, typed_y))
    y = typed_y + pitch * 1.1
    page.add(Text(x, y, "menerangkan bahwa:", fnt, st.size, ink))
    y += pitch * 1.5
    marks: dict[str, dict] = {}
    split = rng.random() < 0.45  # place and date of birth on separate lines
    rows: list[tuple[str, str, tuple[str, ...]]] = [("nama", nama if rng.random() < 0.8 else title_case(nama),
                                                     ("nama",))]
    if split:
        rows += [("tempat lahir", title_case(p.tempat_lahir), ("tempat_lahir",)),
                 ("tanggal lahir", _birth_text(rng, p), ("tanggal_lahir",))]
    else:
        rows.append(("tempat dan tanggal lahir", f"{title_case(p.tempat_lahir)}, {_birth_text(rng, p)}",
                     ("tempat_lahir", "tanggal_lahir")))
    rows += [("nama orang tua / wali", title_case(p.nama_ortu), ()),
             ("nomor induk", f"{int(rng.integers(100, 9999))}", ())]
    colon = max(text_width_mm(label, fnt, st.size) for label, _, _ in rows) + 3
    for label, value, truth_keys in rows:
        page.add(Text(x, y, label, fnt, st.size, ink), Text(x + colon, y, ":", fnt, st.size, ink),
                 _dots(x + colon + 3, W - 24, y + 0.6))
        legible = not truth_keys or bool(rng.random() < LEGIBLE_SHARE)
        pic, base = handwriting.write(rng, value, st.size * 0.42, writer, legible=legible,
                                      max_w_mm=W - 30 - x - colon)
        page.add(handwriting.place(pic, base, x + colon + 5 + float(rng.uniform(0, 4)),
                                   y - float(rng.uniform(-0.3, 0.8))))
        for key in truth_keys:
            marks[key] = {"handwritten": True, "legible": legible}
        y += pitch * 1.35
    y += pitch * 0.4
    verdict = "telah TAMAT BELAJAR pada sekolah tersebut di atas" if grad.year < 2001 else \
        "dinyatakan LULUS dari sekolah tersebut di atas"
    page.add(Text(x, y, verdict, fnt, st.size, ink))
    y += pitch
    page.add(Text(x, y, "pada tahun pelajaran", fnt, st.size, ink),
             Text(x + text_width_mm("pada tahun pelajaran ", fnt, st.size), y, f"{grad.year - 1}/{grad.year}",
                  typewriter, st.size * 1.05, (20, 20, 30)))
    _footer(rng, page, st, typewriter, y + pitch * 2.5, kab, grad, [school.split()[0], title_case(kab).upper()])
    page.add(Text(x, H - 18, f"No. {serial}", "sans-b", 10, (170, 40, 40)))
    fields = {"nama": nama, "tempat_lahir": p.tempat_lahir, "tanggal_lahir": p.tanggal_lahir.isoformat(),
              "jenjang": jenjang, "nomor_ijazah": serial.upper(), "nama_sekolah": school.upper(),
              "tahun_lulus": grad.year}
    for key in fields:
        marks.setdefault(key, {"handwritten": False, "legible": True})
    return page, fields, (), marks


def _colour(values: np.ndarray) -> Color:
    r, g, b = (int(v) for v in values)
    return r, g, b


def _dots(x1: float, x2: float, y: float) -> Line:
    """A dotted line to write on (drawn as a thin grey rule: the scan's resolution blurs the dots)."""
    return Line(x1, y + 0.8, x2, y + 0.8, 0.15, (120, 120, 120))


def _footer(rng: np.random.Generator, page: Page, st: Style, typewriter: str, y: float, kab: str, grad,
            stamp_text: list[str]) -> None:
    x_sig = 118 + st.dx
    page.add(Picture(32 + st.dx, y - 4, 30, 40, photo(rng, (225, 225, 225))))
    page.add(*stamp(50 + st.dx, y + 30, 11, stamp_text, (90, 60, 150)))
    page.add(Text(x_sig, y, f"{title_case(kab)}, {tanggal_kata(grad)}", typewriter, st.size, (20, 20, 30)),
             Text(x_sig, y + st.size * 0.6, "Kepala Sekolah,", st.font, st.size, st.ink),
             signature(rng, x_sig + 5, y + 9, 36, 14, (20, 30, 110)))
    page.add(*stamp(x_sig + float(rng.uniform(-2, 6)), y + 17, 12, stamp_text, (90, 60, 150)))
    head, _ = make_name(rng, bool(rng.random() < 0.4))
    page.add(Text(x_sig, y + 32, f"{rng.choice(['Drs. ', '', 'H. '])}{title_case(head)}", st.bold, st.size, st.ink),
             Text(x_sig, y + 32 + st.size * 0.55, f"NIP. {int(rng.integers(10**8, 10**9))}", st.font, st.size * 0.9,
                  st.ink))
