"""Field mode (`--layouts field`): a dossier's documents captured the way candidates really send them.

Measured against real KTP photos and another generator's damaged scans, readers tuned on clean scans lost a
sixth of their fields. Here damaged captures are the rule: every page gets one capture form

| form | what | damaged |
|---|---|---|
| flatbed | a 150-300 dpi flatbed scan, sometimes grey | no |
| low_dpi | a cheap scanner at 100-150 dpi, soft, JPEG q45-75 | yes |
| phone_photo | a phone photo: perspective, tilt, uneven light, glare, motion or defocus blur, table / cloth / batik underneath, often shrunk by a chat app, JPEG q45-80 | yes |
| photocopy | a grey photocopy of 1-3 generations (contrast loss, toner specks, halftone dots), scanned | yes |
| pdf | scanner software's PDF of a flatbed scan, photocopy or low-dpi scan, or (ijazah, health letter) a text PDF | as its scan |
| rotated | a flatbed scan, low-dpi scan or photocopy turned 90/180/270 degrees | as its scan |

and is printed in other office fonts and letter spacing half the time (restyle.py); health letters often carry
a stamp over the name, the conclusion or the date, and the values of their hand-filled forms are written by a
hand (handwriting.py) rather than set in italic. Truth pages record `capture`, `damaged` and, per field,
`field_marks` ({handwritten, legible, stamped}).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scripts.samplegen import capture as fx
from scripts.samplegen import damage, degrade, handwriting, pdf, restyle
from scripts.samplegen.files import _EXIF_FOR_ROTATION, DocLike, _name, _page_truth, write_bad_files
from scripts.samplegen.handwriting import HANDS
from scripts.samplegen.layout import FONTS, Page, rasterize
from scripts.samplegen.render import VARIANTS, Shot, _card_scan

FORMS = ("flatbed", "low_dpi", "phone_photo", "photocopy", "pdf", "rotated")
DAMAGED_FORMS = ("low_dpi", "phone_photo", "photocopy")
# the renderings of `--variants` each form stands for (a form is used when one of them is allowed)
FORM_VARIANTS = {"flatbed": ("clean_scan", "flatbed_scan"), "low_dpi": ("low_dpi_scan",),
                 "phone_photo": ("phone_photo",), "photocopy": ("flatbed_scan",), "pdf": ("image_pdf", "text_pdf"),
                 "rotated": ("rotated_scan",)}
_WEIGHTS = {"card": (0.12, 0.22, 0.34, 0.22, 0.06, 0.04), "page": (0.12, 0.2, 0.3, 0.2, 0.12, 0.06)}
_SURFACES = {"card": (("table", 0.3), ("batik_cloth", 0.35), ("patterned_desk", 0.2), ("dark_desk", 0.15)),
             "page": (("table", 0.5), ("batik_cloth", 0.25), ("patterned_desk", 0.15), ("dark_desk", 0.1))}
STAMP_SHARE = 0.6  # health letters with a stamp over a value (besides the families' own)
_STAMP_TARGETS = (("tanggal_surat", 0.45), ("kesimpulan", 0.3), ("nama", 0.25))


@dataclass
class Capture:
    shot: Shot | None  # None: a text PDF
    variant: str
    effects: list[str]
    quality: int
    damaged: bool


@dataclass
class _Prepared:
    """A document as field mode prints it (fonts, extra stamp), with its truth annotations."""

    type: str
    page: Page
    fields: dict
    layout: str
    marks: tuple[str, ...]
    field_marks: dict[str, dict] = field(default_factory=dict)
    restyled: str | None = None


_OFFICE_FONTS = ("carlito", "carlito-b", "caladea", "caladea-b", "open-sans", "open-sans-b", "open-sans-c",
                 "open-sans-cb")


def require_fonts() -> None:
    """Stop with the Debian packages to install when a font of field mode is missing (scripts/setup.sh)."""
    wanted = {FONTS[n]: "fonts-crosextra-carlito, fonts-crosextra-caladea, fonts-open-sans" for n in _OFFICE_FONTS}
    wanted.update({path: package for path, package in HANDS.values()})
    missing = sorted({package for path, package in wanted.items() if not Path(path).is_file()})
    if missing:
        raise RuntimeError(f"field mode needs fonts that are not installed; install the Debian packages "
                           f"{'; '.join(missing)} (scripts/setup.sh does)")


def allowed_forms(variants: tuple[str, ...]) -> tuple[str, ...]:
    """The forms whose renderings `--variants` allows (ValueError when none is)."""
    forms = tuple(f for f in FORMS if any(v in variants for v in FORM_VARIANTS[f]))
    if not forms:
        raise ValueError(f"no capture form of field mode fits --variants {', '.join(variants) or '(none)'}; "
                         f"use any of {', '.join(VARIANTS)}")
    return forms


def draw_form(rng: np.random.Generator, card: bool, forms: tuple[str, ...]) -> str:
    weights = np.array([w for f, w in zip(FORMS, _WEIGHTS["card" if card else "page"], strict=True) if f in forms])
    pool = [f for f in FORMS if f in forms]
    return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]


def _is_card(page: Page) -> bool:
    return page.width_mm < 100


def _scan(rng: np.random.Generator, page: Page, dpi: float) -> Image.Image:
    return _card_scan(rng, page, dpi, bool(rng.random() < 0.5), False) if _is_card(page) else rasterize(page, dpi)


def capture(rng: np.random.Generator, page: Page, form: str, *, text_pdf_ok: bool) -> Capture:
    """The page captured in `form` (see the module table)."""
    if form == "flatbed":
        dpi = float(rng.choice([150, 200, 300]))
        img = degrade.flatbed(rng, _scan(rng, page, dpi), grey=bool(rng.random() < 0.2))
        return Capture(Shot(img, dpi), "flatbed_scan", [], int(rng.integers(70, 93)), False)
    if form == "low_dpi":
        target = float(rng.choice([100, 120, 150], p=[0.25, 0.35, 0.4]) if _is_card(page)
                       else rng.choice([100, 110, 120, 150]))
        first = 300.0 if _is_card(page) else 2 * target  # drawn finer than scanned: the optics then sample it
        img = fx.low_resolution(rng, _scan(rng, page, first), first, target)
        img, _ = degrade.skew(rng, img, 1.5)
        return Capture(Shot(img, target), "low_dpi_scan", [f"dpi{target:.0f}"], int(rng.integers(45, 76)), True)
    if form == "photocopy":
        base = _card_scan(rng, page, 200, True, False) if _is_card(page) else rasterize(page, 200)
        gens = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        dots = bool(rng.random() < 0.5)
        img, _ = degrade.skew(rng, fx.photocopy(rng, base, gens, dots=dots), 1.5)
        effects = [f"copy_gen{gens}"] + (["halftone"] if dots else [])
        dpi = 200.0
        if rng.random() < 0.35:
            img, dpi = damage.to_dpi(img, 200, 150), 150.0
            effects.append("dpi150")
        return Capture(Shot(img, dpi), "photocopy", effects, int(rng.integers(55, 86)), True)
    if form == "phone_photo":
        return _phone(rng, page)
    if form == "pdf":
        if text_pdf_ok and rng.random() < 0.3:
            return Capture(None, "text_pdf", [], 0, False)
        inner = capture(rng, page, str(rng.choice(["flatbed", "photocopy", "low_dpi"], p=[0.35, 0.4, 0.25])),
                        text_pdf_ok=False)
        return Capture(inner.shot, "image_pdf", inner.effects, int(rng.integers(45, 81)), inner.damaged)
    if form == "rotated":
        inner = capture(rng, page, str(rng.choice(["flatbed", "low_dpi", "photocopy"], p=[0.4, 0.3, 0.3])),
                        text_pdf_ok=False)
        assert inner.shot is not None
        img, angle = degrade.rotate_right_angle(rng, inner.shot.image)
        return Capture(Shot(img, inner.shot.dpi, angle), "rotated_scan", inner.effects, inner.quality, inner.damaged)
    raise ValueError(f"unknown capture form {form!r}")


def _phone(rng: np.random.Generator, page: Page) -> Capture:
    card = _is_card(page)
    doc = rasterize(page, 400 if card else 200)
    size = (2000, 1500) if page.width_mm > page.height_mm else (1500, 2000)  # the phone turned to the paper
    if card and rng.random() < 0.2:  # a card is small enough to shoot either way
        size = (size[1], size[0])
    surfaces = _SURFACES["card" if card else "page"]
    surface = surfaces[int(rng.choice(len(surfaces), p=[w for _, w in surfaces]))][0]
    finger = card and bool(rng.random() < 0.12)
    arr, ppm = fx.photograph(rng, doc, (page.width_mm, page.height_mm), size, card=card, surface=surface,
                             finger=finger, fill=(0.5, 0.85) if card else (0.7, 0.92))
    effects = ([surface] if surface != "table" else []) + (["finger"] if finger else [])
    if rng.random() < (0.5 if card else 0.2):
        arr = fx.glare(rng, arr, strong=card and bool(rng.random() < 0.5))
        effects.append("glare")
    img = Image.fromarray(arr)
    r = rng.random()
    if r < 0.35:  # lengths in mm of the document: at most a quarter of a letter's height
        img = fx.motion(img, ppm * float(rng.uniform(0.08, 0.28) if card else rng.uniform(0.15, 0.5)),
                        float(rng.uniform(0, 180)))
        effects.append("motion_blur")
    elif r < 0.65:
        img = fx.defocus(img, ppm * float(rng.uniform(0.05, 0.15) if card else rng.uniform(0.1, 0.3)))
        effects.append("defocus_blur")
    if rng.random() < 0.2:
        img = damage.vignette(rng, img)
        effects.append("vignette")
    img = Image.fromarray(degrade._noise(rng, np.asarray(img), float(rng.uniform(2, 6))))
    if rng.random() < 0.45:
        img = fx.shrink_long_side(img, 1600)
        effects.append("chat_app_resize")
    return Capture(Shot(img, 0.0), "phone_photo", effects, int(rng.integers(45, 81)), True)


def _encode(rng: np.random.Generator, cap: Capture, used: set[str]) -> tuple[str, bytes]:
    """A phone photo as JPEG (a quarter in sensor orientation with an EXIF tag), a scan as JPEG, PNG or TIFF."""
    shot = cap.shot
    assert shot is not None
    if cap.variant == "phone_photo":
        orientation = 1
        if rng.random() < 0.25:
            angle = int(rng.choice([90, 270, 180], p=[0.45, 0.45, 0.1]))
            shot.image, shot.rotation = shot.image.rotate(angle, expand=True), angle
            orientation = _EXIF_FOR_ROTATION[angle]
        shot.exif_orientation = orientation
        return _name(rng, "phone", "jpg", used), pdf.encode_image(shot.image, "jpg", quality=cap.quality, dpi=72,
                                                                  orientation=orientation)
    ext = str(rng.choice(["jpg", "png", "tif"], p=[0.75, 0.1, 0.15]))
    data = pdf.encode_image(shot.image, ext, quality=cap.quality, dpi=shot.dpi, noisy=True)
    return _name(rng, "scan", ext, used), data


def prepare(rng: np.random.Generator, doc: DocLike) -> _Prepared:
    """Other fonts and spacing (half the A4 pages, a third of the cards), a stamp over a health letter's value,
    and the per-field marks (every truth field: handwritten, legible, stamped)."""
    page, restyled = restyle.restyle(rng, doc.page, share=0.3 if _is_card(doc.page) else 0.5)
    page = Page(page.width_mm, page.height_mm, list(page.ops), page.paper)
    marks = tuple(getattr(doc, "marks", ()))
    fmarks = {k: {"handwritten": False, "legible": True, "stamped": False} for k in doc.fields}
    for k, v in getattr(doc, "field_marks", {}).items():
        fmarks.setdefault(k, {}).update(v)
    if doc.type == "surat_sehat":
        page, by_hand = handwriting.pen_entries_by_hand(rng, page, doc.fields)
        for k in by_hand:
            fmarks[k].update(handwritten=True, legible=True)
        if "stamp_over_value" in marks:  # the family put its stamp on the place and date line
            fmarks["tanggal_surat"]["stamped"] = True
        if rng.random() < STAMP_SHARE:
            target = _STAMP_TARGETS[int(rng.choice(len(_STAMP_TARGETS), p=[w for _, w in _STAMP_TARGETS]))][0]
            words = doc.fields["penerbit"].split()[:2][::-1] if doc.fields.get("penerbit") else ["PUSKESMAS"]
            if restyle.overstamp(rng, page, target, doc.fields.get("nama"), words):
                fmarks[target]["stamped"] = True
                marks = tuple(dict.fromkeys((*marks, "stamp_over_value")))
    for v in fmarks.values():
        v.setdefault("stamped", False)
    return _Prepared(doc.type, page, dict(doc.fields), getattr(doc, "layout", ""), marks, fmarks, restyled)


def _extra(form: str, cap: Capture, doc: _Prepared) -> dict:
    out: dict = {"capture": form, "damaged": cap.damaged}
    if doc.type != "unknown":
        out["field_marks"] = doc.field_marks
    if doc.restyled:
        out["print"] = doc.restyled
    return out


def write_files(rng: np.random.Generator, folder: Path, docs: Sequence[DocLike], scenario: str,
                variants: tuple[str, ...] = VARIANTS) -> tuple[list[dict], list[dict]]:
    """Write docs as field captures in folder; returns (truth pages, bad files)."""
    forms = allowed_forms(variants)
    used: set[str] = set()
    pages: list[dict] = []
    order = [docs[i] for i in rng.permutation(len(docs))]
    prepared = {id(d): prepare(rng, d) for d in order}
    good = [prepared[id(d)] for d in order if not (scenario == "bad_ktp_file" and d.type == "ktp")]
    if len(good) >= 2 and "pdf" in forms and rng.random() < 0.15:  # the whole dossier scanned into one PDF
        name = _name(rng, "pdf", "pdf", used)
        caps = [capture(rng, d.page, str(rng.choice(["flatbed", "photocopy", "low_dpi"])), text_pdf_ok=False)
                for d in good]
        quality = int(rng.integers(45, 81))
        (folder / name).write_bytes(pdf.image_pdf([(c.shot.image, c.shot.dpi) for c in caps if c.shot],
                                                  quality=quality))
        for i, (d, c) in enumerate(zip(good, caps, strict=True)):
            pages.append(_page_truth(name, i + 1, d, "image_pdf", c.shot, c.effects, _extra("pdf", c, d)))
        good = []
    if good and not scenario.startswith("bad_") and rng.random() < 0.06:
        good.append(good[int(rng.integers(len(good)))])  # the same document uploaded twice, another way
    for doc in good:
        form = draw_form(rng, _is_card(doc.page), forms)
        hand = any(m.get("handwritten") for m in doc.field_marks.values())
        text_pdf_ok = doc.type != "ktp" and not hand and "text_pdf" in variants
        cap = capture(rng, doc.page, form, text_pdf_ok=text_pdf_ok)
        if cap.shot is None:
            name = _name(rng, "pdf", "pdf", used)
            (folder / name).write_bytes(pdf.text_pdf([doc.page]))
        elif cap.variant == "image_pdf":
            name = _name(rng, "pdf", "pdf", used)
            (folder / name).write_bytes(pdf.image_pdf([(cap.shot.image, cap.shot.dpi)], quality=cap.quality))
        else:
            name, data = _encode(rng, cap, used)
            (folder / name).write_bytes(data)
        pages.append(_page_truth(name, 1, doc, cap.variant, cap.shot, cap.effects, _extra(form, cap, doc)))
    bad = write_bad_files(rng, folder, order, scenario, used)
    pages.sort(key=lambda e: (e["file"], e["page"]))
    return pages, bad
