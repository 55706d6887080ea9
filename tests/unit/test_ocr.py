"""OCR engines, the factory's checks and region re-reading."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from pipeline.context import OcrPage, Word
from pipeline.errors import EngineMissing
from pipeline.ocr import factory
from pipeline.ocr.regions import clip_box, read_region
from tests.unit.synth import render_lines

LINES = ["PROVINSI JAWA TIMUR", "Kecamatan PURWOREJO 003/019"]


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).upper()


@pytest.mark.tesseract
def test_engine_reads_words_with_boxes_lines_and_confidence(engine):
    img = render_lines(LINES, size=34)
    page = engine.read(img, psm=6)
    assert isinstance(page, OcrPage)
    assert (page.width, page.height) == (img.shape[1], img.shape[0])
    texts = [_norm(w.text) for w in page.words]
    for expected in ["PROVINSI", "JAWA", "TIMUR", "PURWOREJO", "003/019"]:
        assert expected in texts
    lines = page.lines()
    assert len(lines) == 2
    assert [_norm(w.text) for w in lines[0]] == ["PROVINSI", "JAWA", "TIMUR"]
    for w in page.words:
        x, y, bw, bh = w.box
        assert 0 <= x and 0 <= y and x + bw <= page.width and y + bh <= page.height
        assert 0.0 <= w.conf <= 1.0
    # first line sits above the second one
    assert max(w.box[1] + w.box[3] for w in lines[0]) <= min(w.box[1] for w in lines[1])
    assert page.mean_conf() > 0.7


@pytest.mark.tesseract
def test_engine_accepts_bgr_and_blank(engine):
    img = render_lines(["NIK 3575024506990001"], size=34)
    bgr = np.dstack([img] * 3)
    assert any("3575024506990001" in w.text for w in engine.read(bgr, psm=7).words)
    assert engine.read(np.full((60, 200), 255, np.uint8), psm=6).words == []


@pytest.mark.tesseract
def test_whitelist_is_per_call(engine):
    img = render_lines(["RT/RW 003/019"], size=34)
    digits = engine.read(img, psm=7, whitelist="0123456789/")
    assert all(set(w.text) <= set("0123456789/") for w in digits.words)
    # the whitelist does not leak into the next call
    again = engine.read(img, psm=7)
    assert any("RT" in _norm(w.text) for w in again.words)


@pytest.mark.tesseract
def test_read_region_returns_page_coordinates(engine):
    img = render_lines(["Nama : SITI AMINAH", "RT/RW : 003/019"], size=30)
    full = engine.read(img, psm=6)
    target = next(w for w in full.words if "019" in w.text)
    words = read_region(engine, img, target.box, digits=True, whitelist="/")
    assert words and "003/019" in "".join(w.text for w in words)
    for w in words:  # each re-read word overlaps the original box's row
        assert abs((w.box[1] + w.box[3] / 2) - (target.box[1] + target.box[3] / 2)) < target.box[3]


@pytest.mark.tesseract
@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_osd_reports_clockwise_rotation(engine, turns):
    img = render_lines(["SURAT KETERANGAN SEHAT", "Yang bertanda tangan di bawah ini", "menerangkan bahwa Nama"
                        " SITI AMINAH", "dinyatakan SEHAT untuk pendaftaran KPPS"], size=30)
    res = engine.osd(np.ascontiguousarray(np.rot90(img, turns)))  # np.rot90 turns counter-clockwise
    assert res is not None
    assert res[0] == (360 - 90 * turns) % 360


@pytest.mark.tesseract
def test_tesserocr_missing_language_is_engine_missing():
    with pytest.raises(EngineMissing, match="tesseract-ocr-ind"):
        factory.make_engine("tesserocr", lang="zzz")


class _Recorder:
    name = "fake"

    def __init__(self, words):
        self.calls = []
        self._words = words

    def read(self, image, *, psm=3, whitelist=None):
        self.calls.append((image.shape, psm, whitelist))
        return OcrPage(words=self._words, width=image.shape[1], height=image.shape[0])


def test_read_region_scales_boxes_back_and_passes_whitelist():
    gray = np.full((200, 400), 255, np.uint8)
    # a small box (h=12) is upscaled 4x; the fake engine answers in crop coordinates
    eng = _Recorder([Word("12", 0.9, (10 + 4 * 4, 10 + 4 * 4, 40, 48))])
    words = read_region(eng, gray, (100, 50, 60, 12), digits=True, margin=4)
    (shape, psm, wl) = eng.calls[0]
    assert psm == 7 and wl == "0123456789"
    assert shape[0] == 20 * 4 + 20
    assert words[0].box == (100, 50, 10, 12)


def test_read_region_empty_box_reads_nothing():
    eng = _Recorder([])
    assert read_region(eng, np.zeros((50, 50), np.uint8), (80, 80, 10, 10)) == []
    assert eng.calls == []


def test_clip_box():
    assert clip_box((-5, 10, 20, 500), 100, 100, margin=2) == (0, 8, 17, 92)
    assert clip_box((200, 10, 5, 5), 100, 100) == (100, 10, 0, 5)


def test_factory_reports_missing_language(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract, "get_tesseract_version", lambda: "5.3.0")
    monkeypatch.setattr(pytesseract, "get_languages", lambda config="": ["eng", "osd"])
    with pytest.raises(EngineMissing, match="tesseract-ocr-ind"):
        factory.check_tesseract(lang="ind")


def test_factory_reports_missing_binary(monkeypatch):
    import pytesseract

    def missing():
        raise pytesseract.TesseractNotFoundError()

    monkeypatch.setattr(pytesseract, "get_tesseract_version", missing)
    with pytest.raises(EngineMissing, match="apt-get install tesseract-ocr"):
        factory.check_tesseract()


def test_factory_rejects_old_tesseract(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract, "get_tesseract_version", lambda: "3.05.02")
    with pytest.raises(EngineMissing, match="terlalu lama"):
        factory.check_tesseract()


def test_factory_rejects_unknown_kind():
    with pytest.raises(ValueError):
        factory.make_engine("easyocr")


def test_auto_falls_back_to_pytesseract_when_tesserocr_fails(monkeypatch):
    import pipeline.ocr.tesserocr_engine as te

    def broken(**kw):
        raise EngineMissing("no tesserocr")

    monkeypatch.setattr(te, "TesserocrEngine", broken)
    monkeypatch.setattr(factory, "check_tesseract", lambda **kw: "5.3.0")
    eng = factory.make_engine("auto")
    assert eng.name == "pytesseract"
    with pytest.raises(EngineMissing):
        factory.make_engine("tesserocr")


_LEPT_PROBE = """
import ctypes, sys
from pipeline.ocr.tesserocr_engine import TesserocrEngine, quiet_leptonica
engine = TesserocrEngine()  # quiets leptonica unless the argument says to turn it back on
if sys.argv[1] == "loud":
    paths = {l.split()[-1] for l in open("/proc/self/maps") if "libleptonica" in l}
    ctypes.CDLL(sorted(paths)[0]).setMsgSeverity(3)
lept = [l.split()[-1] for l in open("/proc/self/maps") if "libleptonica" in l][0]
ctypes.CDLL(lept).boxClipToRectangle(None, 10, 10)  # a NULL box: leptonica reports an error
"""


@pytest.mark.tesseract
@pytest.mark.parametrize("mode", ["quiet", "loud"])
def test_engine_silences_leptonica_messages(mode):
    """GIVEN a leptonica call that reports an error WHEN the engine was built THEN nothing reaches stderr
    (and with leptonica's messages turned back on, the same call does print: the probe works)."""
    import subprocess
    import sys

    pytest.importorskip("tesserocr")
    out = subprocess.run([sys.executable, "-c", _LEPT_PROBE, mode], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert ("boxClipToRectangle" in out.stderr) == (mode == "loud")
