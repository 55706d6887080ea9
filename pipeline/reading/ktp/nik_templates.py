"""Digit templates of the KTP's NIK face and the glyph matcher that reads one character against them.

`templates()` is the single entry point to the templates: they are rendered once, at development time, from
OCR-A and two sans faces at several sizes and weights (`render_templates`, run by
`python -m scripts.render_nik_templates`) and shipped as package data (`data/nik_templates.npz`, its sha256 in
`data/nik_templates.sha256`), so no font is needed where Berkas runs. A missing or altered file stops the
reader (EngineMissing) instead of letting it read NIKs with fewer templates. `classify_glyph` matches one
character's ink mask against them.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import EngineMissing

DATA_DIR = Path(__file__).resolve().parent / "data"
TEMPLATES_FILE = DATA_DIR / "nik_templates.npz"
CHECKSUM_FILE = DATA_DIR / "nik_templates.sha256"
REINSTALL_HINT = ("pasang ulang Berkas (pip install berkas), atau buat ulang di mesin pengembang dengan "
                  "`python -m scripts.render_nik_templates` (perlu paket Debian fonts-ocr-a fonts-dejavu-core "
                  "fonts-liberation)")
OCRA = Path("/usr/share/fonts/truetype/ocr-a/OCRA.ttf")
SECOND_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
TH, TW = 36, 26  # normalised glyph size (height, width)
PAD = 3


def _normalise(glyph: np.ndarray) -> np.ndarray:
    """Ink mask (float 0..1, ink high) cropped to its bounding box, scaled to height TH, centred in TW."""
    ys, xs = np.nonzero(glyph > 0.25)
    out = np.zeros((TH, TW), np.float32)
    if len(ys) == 0:
        return out
    g = glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = g.shape
    s = TH / h
    nw = max(1, min(TW, round(w * s)))
    g = cv2.resize(g, (nw, TH), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    x0 = (TW - nw) // 2
    out[:, x0 : x0 + nw] = g
    return out


def _render_digit(path: Path, size: int, d: str) -> np.ndarray:
    f = ImageFont.truetype(str(path), size)
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text((size // 2, size // 4), d, font=f, fill=255)
    return np.asarray(img, np.float32) / 255.0


def render_templates() -> dict[str, list[np.ndarray]]:
    """Digit -> normalised templates rendered from the fonts: OCR-A at three sizes and three weights, plus the
    second fonts. Development time only (scripts/render_nik_templates.py); raises EngineMissing when a font is
    not installed, so that a regenerated file never holds fewer templates than the shipped one."""
    out: dict[str, list[np.ndarray]] = {str(d): [] for d in range(10)}
    missing = [str(p) for p in (OCRA, *SECOND_FONTS) if not p.exists()]
    if missing:
        raise EngineMissing(f"font untuk templat NIK tidak ada: {', '.join(missing)}; pasang dengan: "
                            "apt-get install fonts-ocr-a fonts-dejavu-core fonts-liberation")
    fonts = [(OCRA, s) for s in (24, 40, 64)] + [(p, 48) for p in SECOND_FONTS]
    k = np.ones((3, 3), np.uint8)
    for path, size in fonts:
        for d in out:
            g = _render_digit(path, size, d)
            variants = [g]
            if path == OCRA:
                variants += [cv2.dilate(g, k), cv2.erode(g, k)] if size >= 40 else [cv2.dilate(g, k)]
            for v in variants:
                t = cv2.GaussianBlur(_normalise(v), (3, 3), 0)
                out[d].append(t)
    return out


def templates_bytes(temps: dict[str, list[np.ndarray]]) -> bytes:
    """The .npz file of `temps`: one array per digit (templates x TH x TW, float32)."""
    buf = io.BytesIO()
    arrays: dict[str, Any] = {f"d{d}": np.stack(ts).astype(np.float32) for d, ts in temps.items()}
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def expected_sha256(checksum_file: Path = CHECKSUM_FILE) -> str:
    try:
        return checksum_file.read_text(encoding="ascii").split()[0]
    except (OSError, IndexError, UnicodeDecodeError) as e:
        raise EngineMissing(f"checksum templat NIK tidak terbaca: {checksum_file}; {REINSTALL_HINT}") from e


def load_templates(path: Path = TEMPLATES_FILE, checksum_file: Path = CHECKSUM_FILE) -> dict[str, list[np.ndarray]]:
    """The shipped templates after checking the file's sha256; EngineMissing says what is wrong and what to do."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise EngineMissing(f"file templat NIK tidak ada: {path}; {REINSTALL_HINT}") from e
    if hashlib.sha256(data).hexdigest() != expected_sha256(checksum_file):
        raise EngineMissing(f"file templat NIK rusak atau berbeda dari yang dikirim (sha256): {path}; {REINSTALL_HINT}")
    with np.load(io.BytesIO(data)) as npz:
        out = {str(d): list(npz[f"d{d}"]) for d in range(10)}
    if any(not ts for ts in out.values()):
        raise EngineMissing(f"file templat NIK tidak lengkap: {path}; {REINSTALL_HINT}")
    return out


@lru_cache(maxsize=1)
def templates() -> dict[str, list[np.ndarray]]:
    """Digit -> normalised templates, as shipped (`load_templates`)."""
    return load_templates()


@lru_cache(maxsize=1)
def _template_bank() -> tuple[np.ndarray, np.ndarray]:
    """All templates as rows of one matrix, each centred and scaled to unit norm (for TM_CCOEFF_NORMED as
    a dot product), and the digit of each row."""
    rows, digits = [], []
    for d, temps in templates().items():
        for t in temps:
            v = t.ravel().astype(np.float32)
            v = v - v.mean()
            n = np.linalg.norm(v)
            rows.append(v / n if n > 0 else v)
            digits.append(int(d))
    return np.stack(rows), np.asarray(digits)


def _match_scores(sample: np.ndarray) -> np.ndarray:
    """Best normalised correlation coefficient of every template over every placement in `sample`: what
    `cv2.matchTemplate(sample, t, TM_CCOEFF_NORMED).max()` gives per template, as one matrix product
    (the 100 templates x 16 glyphs of a NIK were 1,600 separate calls). The product is OpenCV's, which
    follows `cv2.setNumThreads`, not numpy's BLAS, which would start threads of its own in every worker."""
    bank, _ = _template_bank()
    windows = np.lib.stride_tricks.sliding_window_view(sample.astype(np.float32), (TH, TW))
    windows = windows.reshape(-1, TH * TW)
    windows = windows - windows.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", windows, windows))
    flat = norms <= 1e-6  # a uniform placement correlates with nothing (0, as OpenCV)
    windows = windows / np.where(flat, 1.0, norms)[:, None]
    r = cv2.gemm(windows, bank, 1.0, None, 0.0, flags=cv2.GEMM_2_T)  # type: ignore[call-overload]  # no src3: OpenCV takes None
    r[flat] = 0.0
    return r.max(axis=0)


def classify_glyph(glyph: np.ndarray) -> tuple[str, float, float]:
    """(digit, score, margin over the best other digit) for an ink mask of one character."""
    sample = cv2.GaussianBlur(_normalise(glyph), (3, 3), 0)
    sample = cv2.copyMakeBorder(sample, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=0)
    _, digit_of = _template_bank()
    per_template = _match_scores(sample)
    best = np.full(10, -1.0)
    np.maximum.at(best, digit_of, per_template)
    order = np.argsort(-best, kind="stable")
    d1, d2 = int(order[0]), int(order[1])
    return str(d1), float(best[d1]), float(best[d1] - best[d2])
