"""NIK reader: exact on rendered OCR-A NIKs (clean, noisy, blurred, small), uncertain on garbage."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.reading.ktp.nik_reader import NIK_LEN, read_nik
from pipeline.reading.ktp.nik_templates import classify_glyph
from tests.unit.synth import DEMO_ROWS, SANS, render_card, render_lines


def _nik(seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join(str(d) for d in rng.integers(0, 10, NIK_LEN))


def _gray(card: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)


def _degrade(img: np.ndarray, *, blur: float, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = img.astype(np.float32)
    if blur:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    out += rng.normal(0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("seed", "width", "blur", "noise"),
    [
        (1, 1100, 0.0, 0.0),  # clean, large
        (2, 800, 0.8, 6.0),  # scanner softness and sensor noise
        (3, 1200, 1.5, 10.0),  # heavy blur
        (4, 600, 0.6, 8.0),  # small: NIK digits ~17 px high
        (5, 500, 0.0, 4.0),  # smaller still: ~14 px
    ],
)
def test_reads_rendered_nik_exactly(seed, width, blur, noise):
    nik = _nik(seed)
    card, box = render_card(nik, DEMO_ROWS, width=width, seed=seed)
    r = read_nik(_degrade(card, blur=blur, noise=noise, seed=seed))
    assert r.digits == nik
    assert not r.uncertain
    assert len(r.digit_conf) == NIK_LEN and all(0.0 <= c <= 1.0 for c in r.digit_conf)
    # the reported box covers the printed digits
    x, y, w, h = r.box
    assert abs(x - box[0]) <= h and abs((x + w) - (box[0] + box[2])) <= h and abs(y - box[1]) <= h // 2


def test_hint_box_selects_the_row():
    nik = _nik(7)
    card, box = render_card(nik, DEMO_ROWS, width=900, seed=7)
    # a decoy row of 16 digits below the NIK, in the same large OCR-A face
    decoy = _nik(8)
    decoy_card, decoy_box = render_card(decoy, DEMO_ROWS, width=900, seed=7)
    x, y, w, h = decoy_box
    stacked = card.copy()
    stacked[y + 8 * h : y + 9 * h + 4, x : x + w] = decoy_card[y : y + h + 4, x : x + w]
    hint = (box[0] - 200, box[1], 60, box[3])  # roughly where the "NIK" label sits
    assert read_nik(stacked, hint_box=hint).digits == nik
    hint_decoy = (x, y + 8 * h, w, h)
    assert read_nik(stacked, hint_box=hint_decoy).digits == decoy


def test_frame_edge_after_the_digits_is_not_a_digit():
    nik = _nik(14)
    card, (x, y, w, h) = render_card(nik, DEMO_ROWS, width=900, seed=14)
    edge, extra = x + w + h // 3, int(h * 0.2)
    # a dark bar a little taller than the digits, in line with them (a photo frame edge)
    card[y - extra // 2 : y + h + extra // 2, edge : edge + max(3, h // 6)] = 60
    r = read_nik(card)
    assert r.digits == nik and not r.uncertain


def test_glare_over_some_digits():
    nik = _nik(15)
    card, (x, y, w, h) = render_card(nik, DEMO_ROWS, width=900, seed=15)
    gray = _gray(card).astype(np.float32)
    yy, xx = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]]
    # additive light centred on the 10th digit: strokes there turn light gray
    spot = 170 * np.exp(-(((xx - (x + 0.6 * w)) / (0.12 * w)) ** 2 + ((yy - (y + h / 2)) / (1.5 * h)) ** 2))
    r = read_nik(np.clip(gray + spot, 0, 255).astype(np.uint8))
    assert r.digits == nik and not r.uncertain


def test_wrong_count_is_uncertain_and_not_returned():
    card, _ = render_card(_nik(9)[:15], DEMO_ROWS, width=900, seed=9)
    r = read_nik(card)
    assert r.uncertain
    assert r.digits is None


@pytest.mark.parametrize("shape", [(0, 10), (1, 1), (1, 500), (20, 20, 4)])
def test_degenerate_images_read_nothing(shape):
    r = read_nik(np.full(shape, 90, np.uint8))
    assert r.digits is None and r.uncertain


@pytest.mark.parametrize("kind", ["blank", "noise", "letters"])
def test_garbage_is_uncertain(kind):
    rng = np.random.default_rng(11)
    if kind == "blank":
        img = np.full((500, 800), 235, np.uint8)
    elif kind == "noise":
        img = rng.integers(0, 256, (500, 800)).astype(np.uint8)
    else:
        img = render_lines(["KABUPATEN PROBOLINGGO JAWA", "KECAMATAN KRAKSAAN TIMUR"], size=40, path=SANS)
    r = read_nik(img)
    assert r.uncertain
    assert r.digits is None or len(r.digits) == NIK_LEN


def test_sixteen_letters_in_the_nik_face_are_uncertain():
    card, _ = render_card("ABCDEFHKMNPRTUVW", DEMO_ROWS, width=900, seed=13)
    assert read_nik(card).uncertain


def test_classify_glyph_second_font_digits():
    # digits in a sans face (not OCR-A) are still classified, via the second-font templates
    for d in "0123456789":
        img = 255 - render_lines([d], size=60, path=SANS, pad=10)
        got, score, margin = classify_glyph(img.astype(np.float32) / 255.0)
        assert got == d and score > 0.6 and margin > 0


@pytest.mark.tesseract
def test_second_opinion_from_engine():
    from pipeline.errors import EngineMissing
    from pipeline.ocr.factory import make_engine

    try:
        engine = make_engine("auto")
    except EngineMissing as e:
        pytest.fail(f"tesseract is part of the set-up (scripts/setup.sh): {e}")
    nik = _nik(12)
    card, _ = render_card(nik, DEMO_ROWS, width=1000, seed=12)
    r = read_nik(card, engine=engine)
    assert r.digits == nik and not r.uncertain
    assert r.tesseract is not None and set(r.tesseract) <= set("0123456789")
