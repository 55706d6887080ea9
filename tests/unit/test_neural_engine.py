"""The neural engine adapter (pipeline/ocr/neural.py) on images rendered here with DejaVu fonts.

These run the real PP-OCR models the project installs (rapidocr's wheel); the engine is built once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from config.settings import Settings
from pipeline.context import OcrPage
from pipeline.errors import EngineMissing
from pipeline.ocr import factory, neural
from pipeline.ocr.neural import NeuralEngine
from pipeline.ocr.regions import read_region

pytestmark = pytest.mark.neural

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
LINES = ["PROVINSI JAWA TIMUR", "NIK 3514015506990003", "Nama SITI AMINAH"]


@pytest.fixture(scope="module")
def engine() -> NeuralEngine:
    try:
        return NeuralEngine()
    except EngineMissing as e:
        pytest.fail(f"the neural engine is part of the set-up (pyproject dependencies): {e}")


def render(lines: list[str], *, size: int = 36, font: str = DEJAVU, pad: int = 30, width: int | None = None):
    """Black text on white (grayscale) and the drawn box (x, y, w, h) of every word, keyed by the word."""
    f = ImageFont.truetype(font, size)
    w = width or int(max(f.getlength(t) for t in lines)) + 2 * pad
    step = int(size * 1.8)
    img = Image.new("L", (w, 2 * pad + step * len(lines)), 255)
    d = ImageDraw.Draw(img)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    for i, line in enumerate(lines):
        x, y = float(pad), pad + i * step
        for word in line.split(" "):
            d.text((x, y), word, font=f, fill=0)
            x0, y0, x1, y1 = d.textbbox((x, y), word, font=f)
            boxes[word] = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
            x += f.getlength(word + " ")
    return np.array(img), boxes


def norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).upper()


def centre_inside(box, outer, slack: int = 4) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    x, y, w, h = outer
    return x - slack <= cx <= x + w + slack and y - slack <= cy <= y + h + slack


def assert_page_reads(page: OcrPage, drawn: dict, *, scale: float = 1.0) -> None:
    found = {norm(w.text): w for w in page.words}
    for word, box in drawn.items():
        if word == ":":
            continue
        assert norm(word) in found, (word, [w.text for w in page.words])
        got = found[norm(word)]
        truth = tuple(int(v * scale) for v in box)
        assert centre_inside(truth, got.box), (word, got.box, truth)  # the box covers where the word was drawn
        assert centre_inside(got.box, truth, slack=int(10 * scale)), (word, got.box, truth)
    for w in page.words:
        x, y, bw, bh = w.box
        assert 0 <= x and 0 <= y and x + bw <= page.width and y + bh <= page.height and bw > 0 and bh > 0
        assert 0.0 <= w.conf <= 1.0


def test_reads_words_with_image_boxes_lines_and_confidences(engine):
    gray, drawn = render(LINES)
    page = engine.read(gray)
    assert (page.width, page.height) == (gray.shape[1], gray.shape[0])
    assert page.source == "neural"  # the reading says which engine made it (the cascade never confirms it by itself)
    assert_page_reads(page, drawn)
    lines = page.lines()
    assert [" ".join(norm(w.text) for w in ln) for ln in lines] == [norm(t) for t in LINES]
    assert min(w.conf for w in page.words) > 0.8  # clean print reads confidently


def test_a_narrow_colon_may_join_its_neighbours_but_the_line_text_is_kept(engine):
    """The recogniser writes a space only where it sees one: "NIK : 35.." in a tight font may come back as one
    word "NIK:35..". The adapter does not split words it was not given; the line's characters are all there."""
    gray, _ = render(["NIK : 3514015506990003", "Nama : SITI AMINAH"])
    lines = [" ".join(w.text for w in ln) for ln in engine.read(gray).lines()]
    assert [norm(t).replace(" ", "") for t in lines] == ["NIK:3514015506990003", "NAMA:SITIAMINAH"]


@pytest.mark.parametrize("kind", ["gray", "bgr", "bgra"])
def test_grayscale_bgr_and_bgra_give_the_same_words(engine, kind):
    gray, drawn = render(LINES[:2], font=DEJAVU_BOLD)
    img = {"gray": gray, "bgr": cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR),
           "bgra": cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA)}[kind]
    assert_page_reads(engine.read(img), drawn)


def test_a_coloured_background_is_read(engine):
    gray, drawn = render(LINES[1:])
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    bgr[gray > 128] = (235, 215, 170)  # light blue paper, like a KTP
    assert_page_reads(engine.read(bgr), drawn)


def test_upside_down_page_reads_in_reading_order(engine):
    gray, _ = render(LINES)
    page = engine.read(cv2.rotate(gray, cv2.ROTATE_180))
    words = [norm(w.text) for w in page.words if w.text != ":"]
    assert words == [norm(w) for t in LINES for w in t.split(" ") if w != ":"]


def test_tilted_page_boxes_follow_the_words(engine):
    gray, drawn = render(LINES)
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 4.0, 1.0)
    tilted = cv2.warpAffine(gray, m, (w, h), borderValue=255)
    page = engine.read(tilted)
    found = {norm(x.text): x for x in page.words}
    for word in ("PROVINSI", "TIMUR", "3514015506990003", "AMINAH"):
        x, y, bw, bh = drawn[word]
        cx, cy = m @ np.array([x + bw / 2, y + bh / 2, 1.0])
        assert word in found, [x.text for x in page.words]
        assert centre_inside((int(cx), int(cy), 0, 0), found[word].box, slack=6)


def test_large_image_boxes_stay_in_image_pixels(engine):
    """The detector works on a reduced copy of an image over 2000 px; boxes come back in the caller's pixels."""
    gray, drawn = render(LINES[:2], size=36)
    big = cv2.resize(gray, None, fx=5, fy=5, interpolation=cv2.INTER_CUBIC)
    assert max(big.shape) > 2000
    assert_page_reads(engine.read(big), drawn, scale=5)


def test_blank_and_tiny_images_give_no_words(engine):
    assert engine.read(np.full((300, 500), 255, np.uint8)).words == []
    tiny = engine.read(np.zeros((3, 3), np.uint8))
    assert tiny.words == [] and (tiny.width, tiny.height) == (3, 3)


def test_single_line_mode_reads_the_whole_image_without_detection(engine):
    gray, drawn = render(["KEBONAGUNG 003/019"], pad=6)
    page = engine.read(gray, psm=7)
    assert [norm(w.text) for w in page.words] == ["KEBONAGUNG", "003/019"]
    assert {w.line for w in page.words} == {0}
    left, right = page.words
    assert left.box[0] + left.box[2] <= right.box[0] + 4  # word boxes split the line in order
    assert centre_inside(drawn["003/019"], right.box)


def test_recognize_lines_on_crops_batched_and_single_agree(engine):
    crops = []
    for text in ["SITI AMINAH", "PASURUAN, 05-06-1999", "JL. MELATI NO. 12", "3514015506990003"]:
        gray, _ = render([text], pad=8)
        crops.append(gray)
    crops.append(cv2.cvtColor(crops[0], cv2.COLOR_GRAY2BGR))
    batched = engine.recognize_lines(crops)
    single = [engine.recognize_lines([c])[0] for c in crops]
    assert [norm(t) for t, _ in batched] == ["SITI AMINAH", "PASURUAN, 05-06-1999", "JL. MELATI NO. 12",
                                             "3514015506990003", "SITI AMINAH"]
    for (tb, cb), (ts, cs) in zip(batched, single, strict=True):
        assert tb == ts and abs(cb - cs) < 0.02 and 0.0 <= cb <= 1.0
    assert engine.recognize_lines([]) == []


def test_whitelist_constrains_recognition_and_shows_doubt(engine):
    gray, _ = render(["KEC3514015506"], pad=8)  # letters where only digits are allowed
    (free, free_conf), = engine.recognize_lines([gray])
    (digits, digit_conf), = engine.recognize_lines([gray], whitelist="0123456789")
    assert norm(free) == "KEC3514015506"
    assert digits.isdigit() and digits.endswith("3514015506")
    assert digit_conf < free_conf - 0.1  # the characters forced into digits are doubtful
    words = engine.read(gray, psm=7, whitelist="0123456789").words
    assert [w.text for w in words] == [digits]


def test_resources_list_the_models_with_their_sha256(engine):
    files = neural.resources()
    assert [m.role for m in files] == ["det", "cls", "rec"]
    for m in files:
        assert m.path.is_file() and len(m.sha256) == 64
        assert neural.sha256_of(m.path) == m.sha256
    assert [m.path for m in engine.models] == [m.path for m in files]


def test_missing_model_raises_engine_missing_with_the_install_hint(tmp_path):
    with pytest.raises(EngineMissing, match="pip install") as e:
        NeuralEngine(model_dir=tmp_path)
    assert "det" in str(e.value) and str(tmp_path) in str(e.value)


def test_changed_model_file_raises_engine_missing(tmp_path):
    for m in neural.resources():
        shutil.copy(m.path, tmp_path / m.path.name)
    rec = tmp_path / neural.MODELS["rec"][0]
    rec.write_bytes(rec.read_bytes()[:-1] + b"\0")
    with pytest.raises(EngineMissing, match="sha256"):
        neural.check_models(tmp_path)


def test_missing_package_raises_engine_missing(monkeypatch):
    monkeypatch.setattr(neural, "find_spec", lambda name: None)
    with pytest.raises(EngineMissing, match="pip install"):
        neural.default_model_dir()
    with pytest.raises(EngineMissing, match="onnxruntime"):
        neural.check_models(Path("/nonexistent"))


def test_factory_builds_the_engine_or_none_when_off(monkeypatch):
    assert factory.make_neural_engine(Settings(ocr_neural="off")) is None
    built = []
    fake = SimpleNamespace(name="ppocr", models=neural.resources())
    monkeypatch.setattr(neural, "NeuralEngine", lambda: built.append(1) or fake)
    assert factory.make_neural_engine(Settings(ocr_neural="ppocr")) is fake and built == [1]


def test_setting_rejects_an_unknown_engine(monkeypatch):
    monkeypatch.setenv("BERKAS_OCR_NEURAL", "paddle")
    with pytest.raises(ValueError, match="ocr_neural"):
        Settings()


def test_onnxruntime_telemetry_is_off_in_a_worker(tmp_path):
    """GIVEN a fresh process without ORT_DISABLE_TELEMETRY WHEN it builds the engine and reads THEN onnxruntime
    keeps no device id or event cache under HOME (its telemetry never started)."""
    code = ("from pipeline.ocr.neural import NeuralEngine; import numpy as np; "
            "NeuralEngine().read(np.full((64, 64), 255, np.uint8))")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(tmp_path)
    # without a network namespace where one can be made: a failure here must not reach the collector either
    isolate = ["unshare", "-n"] if shutil.which("unshare") and os.geteuid() == 0 else []
    subprocess.run([*isolate, sys.executable, "-c", code], env=env, check=True, timeout=120,
                   cwd=Path(__file__).resolve().parents[2])
    assert not (tmp_path / ".cache" / "Microsoft").exists()


def test_region_rereads_work_with_the_neural_engine(engine):
    """The tesseract re-read helper (`read_region`, psm 7) takes the neural engine as it is: one line, words in
    page coordinates, the digit whitelist applied."""
    gray, drawn = render(LINES)
    x, y, w, h = drawn["3514015506990003"]
    words = read_region(engine, gray, (x, y, w, h), digits=True)
    assert [wd.text for wd in words] == ["3514015506990003"]
    assert centre_inside(drawn["3514015506990003"], words[0].box)


def _segment(text: str, x: int, y: int, w: int, h: int):
    """A detected line: its quad, a crop of its size and a reading whose characters fill the crop evenly."""
    quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    step = w / max(1, len(text))
    chars = [(c, 0.99, i * step, (i + 1) * step) for i, c in enumerate(text)]
    return quad, np.zeros((h, w, 3), np.uint8), False, neural.LineReading(text, 0.99, chars)


def test_a_tall_line_does_not_chain_the_rows_above_and_below_into_one():
    """A card's NIK is printed larger than the rows: its box reaches into the Nama row below. The label NIK, the
    number and the Nama row must not become one line (the name was once read as 'NIK')."""
    segs = [
        _segment("NIK", 136, 140, 35, 40),
        _segment(":3520025107760334", 439, 149, 477, 66),
        _segment("Nama", 131, 194, 53, 37),
        _segment("AINUN AINI", 473, 211, 110, 34),
        _segment("Tempat/Tgl Lahir", 127, 238, 160, 38),
    ]
    quads, crops, flipped, readings = (list(x) for x in zip(*segs, strict=True))
    words = neural._words(quads, crops, flipped, readings, 1200, 760)
    line_of = {w.text: w.line for w in words}
    assert line_of["Nama"] == line_of["AINUN"] == line_of["AINI"]
    assert line_of["NIK"] != line_of["Nama"] and line_of[":3520025107760334"] != line_of["Nama"]
    assert line_of["Tempat/Tgl"] != line_of["Nama"]


def test_lines_of_one_row_share_a_line_id_in_reading_order():
    segs = [_segment("Gol. Darah", 600, 300, 120, 36), _segment("PEREMPUAN", 400, 302, 150, 34),
            _segment("Jenis Kelamin", 120, 299, 150, 37)]
    quads, crops, flipped, readings = (list(x) for x in zip(*segs, strict=True))
    words = neural._words(quads, crops, flipped, readings, 1200, 760)
    assert len({w.line for w in words}) == 1
    assert [w.text for w in words] == ["Jenis", "Kelamin", "PEREMPUAN", "Gol.", "Darah"]


def _tilted(text: str, x: float, y: float, w: float, h: float, deg: float):
    """A detected line turned by `deg` about the image origin (a photo taken aslant)."""
    quad, crop, flip, reading = _segment(text, int(x), int(y), int(w), int(h))
    t = np.deg2rad(deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], np.float32)
    return (quad @ rot.T).astype(np.float32), crop, flip, reading


def test_rows_of_a_tilted_card_stay_apart():
    """Rows 36 px apart on a card turned 4 degrees: a long value's box spans two rows' heights, but each line
    joins only its own row (label and value), in order top to bottom."""
    rows = [("Tempat/Tgl Lahir", "MAGETAN, 11-07-1976"), ("Jenis Kelamin", "PEREMPUAN Gol.Darah : -"),
            ("Alamat", "DUSUN JATIREJO")]
    segs = []
    for i, (label, value) in enumerate(rows):
        y = 200 + 36 * i
        segs += [_tilted(label, 120, y, 150, 30, 4.0), _tilted(value, 460, y, 330, 30, 4.0)]
    quads, crops, flipped, readings = (list(x) for x in zip(*segs, strict=True))
    words = neural._words(quads, crops, flipped, readings, 1200, 900)
    by_line: dict[int, list[str]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for _, v in sorted(by_line.items())] == [f"{a} {b}" for a, b in rows]


def test_preload_imports_the_libraries_in_a_fresh_process_without_building_sessions() -> None:
    """GIVEN a fresh interpreter WHEN preload runs THEN rapidocr's main module and onnxruntime are imported (a
    parent that forks pool processes pays for them once) and no native thread was started."""
    code = ("import sys, threading; from pipeline.ocr.neural import preload; preload(); "
            "print('rapidocr.main' in sys.modules, 'onnxruntime' in sys.modules, threading.active_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout.split()
    assert out == ["True", "True", "1"]


def test_building_the_engine_runs_no_detection(monkeypatch) -> None:
    """GIVEN the engine's detection step made to fail WHEN the engine is built THEN it builds (no warm-up
    inference at start: ~0.6 s CPU per process that most processes never need)."""

    def no_detection(self, img):
        raise AssertionError("detection ran while building the engine")

    monkeypatch.setattr(NeuralEngine, "_detect", no_detection)
    assert NeuralEngine(verify=False).name == "ppocr"
