"""Writing a dossier's documents as upload files (names, formats, PDFs) and the intentionally bad ones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from scripts.samplegen import damage, pdf
from scripts.samplegen.families import Picker
from scripts.samplegen.layout import Page
from scripts.samplegen.render import VARIANTS, Shot, shoot


class DocLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def page(self) -> Page: ...
    @property
    def fields(self) -> dict: ...


def _name(rng: np.random.Generator, kind: str, ext: str, used: set[str]) -> str:
    """An arbitrary upload name of the kind phones, scanners and chat apps produce."""
    while True:
        n = int(rng.integers(1, 9999))
        if kind == "phone":
            name = str(rng.choice([f"IMG_{n:04d}", f"IMG-20231{int(rng.integers(210, 219))}-WA{n:04d}",
                                   f"DOC-20231{int(rng.integers(210, 219))}-WA{n % 100:04d}",
                                   f"PXL_2023121{int(rng.integers(0, 9))}_{n:06d}"]))
        elif kind == "pdf":
            name = str(rng.choice([f"scan{n:04d}", f"CamScanner 12-1{int(rng.integers(0, 9))}-2023 {n % 24:02d}.{n % 60:02d}",
                                   f"dokumen ({n % 9 + 1})", f"Scan_2023121{n % 10}_{n:05d}", "berkas"]))
        else:
            name = str(rng.choice([f"scan{n:04d}", f"SCAN_{n:05d}", f"image{n % 50}", f"Scan {n % 30 + 1}",
                                   f"hasil scan {n % 9 + 1}"]))
        full = f"{name}.{ext}"
        if full.lower() not in used and full.lower() != "registration.json":
            used.add(full.lower())
            return full


_WEIGHTS = {
    "ktp": dict(zip(VARIANTS, [0.22, 0.22, 0.1, 0.1, 0.24, 0.12, 0.0], strict=True)),
    "page": dict(zip(VARIANTS, [0.17, 0.2, 0.1, 0.08, 0.2, 0.12, 0.13], strict=True)),
}


def _variant(rng: np.random.Generator, doc_type: str, allowed: tuple[str, ...]) -> str:
    """A rendering for the document among the allowed ones (a KTP is never a text PDF)."""
    weights = _WEIGHTS["ktp" if doc_type == "ktp" else "page"]
    names = [v for v in allowed if weights[v] > 0]
    if not names:
        return "image_pdf"
    p = np.array([weights[v] for v in names])
    return str(rng.choice(names, p=p / p.sum()))


def _page_truth(file: str, page: int, doc: DocLike, variant: str, shot: Shot | None,
                degradations: list[str] | None = None, extra: dict | None = None) -> dict:
    """A page's truth entry; `extra` (field mode: capture, damaged, field_marks) is added at the end."""
    entry = {"file": file, "page": page, "type": doc.type, "variant": variant, "fields": dict(doc.fields)}
    layout = getattr(doc, "layout", "")
    if layout:
        entry["layout"] = layout
    marks = list(getattr(doc, "marks", ())) + list(degradations or [])
    if marks:
        entry["degradations"] = marks
    if shot is not None:
        entry["dpi"] = round(shot.dpi) or None
        entry["rotation"] = shot.rotation
        if shot.exif_orientation != 1:
            entry["exif_orientation"] = shot.exif_orientation
    entry.update(extra or {})
    return entry


# Stored pixels rotated counter-clockwise by the key; the EXIF tag tells viewers how to turn them upright.
_EXIF_FOR_ROTATION = {90: 6, 180: 3, 270: 8}


def _image_file(rng: np.random.Generator, shot: Shot, variant: str, used: set[str],
                quality: int | None = None) -> tuple[str, bytes]:
    """Encode a shot; phone photos sometimes keep sensor orientation with an EXIF Orientation tag.

    `quality` forces a JPEG at that quality (the jpeg_q35_50 degradation); None keeps the classic draws.
    """
    if quality is not None:
        kind = "phone" if variant == "phone_photo" else "scan"
        return _name(rng, kind, "jpg", used), pdf.encode_image(shot.image, "jpg", quality=quality,
                                                               dpi=shot.dpi or 72)
    if variant == "phone_photo":
        orientation = 1
        if rng.random() < 0.25:
            angle = int(rng.choice([90, 270, 180], p=[0.45, 0.45, 0.1]))
            shot.image = shot.image.rotate(angle, expand=True)
            shot.rotation = angle
            orientation = _EXIF_FOR_ROTATION[angle]
        shot.exif_orientation = orientation
        return _name(rng, "phone", "jpg", used), pdf.encode_image(shot.image, "jpg", quality=int(rng.integers(60, 91)),
                                                                  dpi=72, orientation=orientation)
    noisy = variant != "clean_scan"
    weights = [0.7, 0.1, 0.2] if noisy else [0.4, 0.35, 0.25]
    ext = str(rng.choice(["jpg", "png", "tif"], p=weights))
    if ext == "jpg":
        return _name(rng, "scan", "jpg", used), pdf.encode_image(shot.image, "jpg", quality=int(rng.integers(75, 96)),
                                                                 dpi=shot.dpi)
    return _name(rng, "scan", ext, used), pdf.encode_image(shot.image, ext, dpi=shot.dpi, noisy=noisy)


def _truncate(rng: np.random.Generator, data: bytes) -> bytes:
    return data[: int(len(data) * rng.uniform(0.2, 0.6))]


def write_files(rng: np.random.Generator, folder: Path, docs: Sequence[DocLike], scenario: str,
                variants: tuple[str, ...] = VARIANTS, picker: Picker | None = None) -> tuple[list[dict], list[dict]]:
    """Write docs as files in folder; returns (truth pages, bad files).

    `picker` adds the extra degradations of families.DEGRADATIONS to some pages (none without it).
    """
    used: set[str] = set()
    pages: list[dict] = []
    order = [docs[i] for i in rng.permutation(len(docs))]
    good = [d for d in order if not (scenario == "bad_ktp_file" and d.type == "ktp")]
    if len(good) >= 2 and "image_pdf" in variants and rng.random() < 0.15:  # several documents scanned into one PDF
        name = _name(rng, "pdf", "pdf", used)
        shots = [shoot(rng, d.page, "image_pdf") for d in good]
        (folder / name).write_bytes(pdf.image_pdf([(s.image, s.dpi) for s in shots]))
        pages += [_page_truth(name, i + 1, d, "image_pdf", s) for i, (d, s) in enumerate(zip(good, shots, strict=True))]
        good = []
    if good and not scenario.startswith("bad_") and rng.random() < 0.06:
        good.append(good[int(rng.integers(len(good)))])  # the same document uploaded twice, another way
    for doc in good:
        variant = _variant(rng, doc.type, variants)
        if variant == "text_pdf":
            name = _name(rng, "pdf", "pdf", used)
            (folder / name).write_bytes(pdf.text_pdf([doc.page]))
            pages.append(_page_truth(name, 1, doc, variant, None))
            continue
        degs = picker.degradations(variant, card=doc.page.width_mm < 100) if picker else []
        shot = damage.shoot_damaged(rng, doc.page, variant, degs) if degs else shoot(rng, doc.page, variant)
        if variant == "image_pdf":
            name = _name(rng, "pdf", "pdf", used)
            (folder / name).write_bytes(pdf.image_pdf([(shot.image, shot.dpi)]))
        else:
            quality = int(rng.integers(35, 51)) if "jpeg_q35_50" in degs else None
            name, data = _image_file(rng, shot, variant, used, quality)
            (folder / name).write_bytes(data)
        pages.append(_page_truth(name, 1, doc, variant, shot, degs))
    bad = write_bad_files(rng, folder, order, scenario, used)
    pages.sort(key=lambda e: (e["file"], e["page"]))
    return pages, bad


def write_bad_files(rng: np.random.Generator, folder: Path, order: Sequence[DocLike], scenario: str,
                    used: set[str]) -> list[dict]:
    """The intentionally unreadable files of the bad_* scenarios (truncated KTP, an empty or fake extra file)."""
    bad: list[dict] = []
    for doc in order:
        if scenario == "bad_ktp_file" and doc.type == "ktp":
            shot = shoot(rng, doc.page, str(rng.choice(["clean_scan", "phone_photo"])))
            ext = "jpg" if shot.dpi == 0 or rng.random() < 0.6 else "png"
            name = _name(rng, "phone" if shot.dpi == 0 else "scan", ext, used)
            data = pdf.encode_image(shot.image, ext, quality=85, dpi=shot.dpi or 72)
            (folder / name).write_bytes(_truncate(rng, data))
            bad.append({"file": name, "error": "FILE_TRUNCATED"})
    if scenario == "bad_extra_file":
        bad.append(_extra_bad(rng, folder, used))
    return bad


def _extra_bad(rng: np.random.Generator, folder: Path, used: set[str]) -> dict:
    kind = int(rng.integers(3))
    if kind == 0:
        name = _name(rng, "phone", "jpg", used)
        (folder / name).write_bytes(b"")
        return {"file": name, "error": "FILE_EMPTY"}
    if kind == 1:
        name = _name(rng, "scan", "jpg", used)
        (folder / name).write_bytes(b"Surat pernyataan menyusul, berkas asli dibawa saat verifikasi.\n")
        return {"file": name, "error": "FILE_TYPE_MISMATCH"}
    name = _name(rng, "pdf", "pdf", used)
    data = _blank_pdf()
    (folder / name).write_bytes(data[: len(data) // 3])
    return {"file": name, "error": "FILE_TRUNCATED"}


def _blank_pdf() -> bytes:
    from PIL import Image  # noqa: PLC0415

    img = Image.new("RGB", (850, 1100), (252, 252, 250))
    return pdf.image_pdf([(img, 100.0)])
