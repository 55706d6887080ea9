"""Q or O from the glyph's pixels (pipeline/reading/common/glyphs.py), on text rendered in several faces and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.reading.common import glyphs
from tests.unit.ocr_fakes import policy

FONTS = "/usr/share/fonts/truetype/"
FACES = {
    "DejaVu Sans": FONTS + "dejavu/DejaVuSans.ttf",
    "DejaVu Sans Bold": FONTS + "dejavu/DejaVuSans-Bold.ttf",
    "Liberation Sans": FONTS + "liberation/LiberationSans-Regular.ttf",
    "Liberation Sans Bold": FONTS + "liberation/LiberationSans-Bold.ttf",
    "Liberation Serif": FONTS + "liberation/LiberationSerif-Regular.ttf",
    "Liberation Serif Bold": FONTS + "liberation/LiberationSerif-Bold.ttf",
}
SIZES = (14, 18, 24, 36)


def render(text: str, face: str, size: int, *, blur: bool = False) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A gray image of `text` (words separated by spaces) and each word's ink box, as OCR would give it."""
    font = ImageFont.truetype(FACES[face], size)
    img = Image.new("L", (size * (len(text) + 6), size * 3), 255)
    draw = ImageDraw.Draw(img)
    x, boxes = size * 3, []
    for token in text.split():
        draw.text((x, size), token, font=font, fill=0)
        left, top, right, bottom = draw.textbbox((x, size), token, font=font)
        boxes.append((left, top, right - left, bottom - top))
        x = right + size // 2
    arr = np.array(img)
    if blur:
        import cv2

        arr = cv2.GaussianBlur(arr, (3, 3), 0.8)
    tight = []
    for bx, by, bw, bh in boxes:  # textbbox includes side bearings: shrink to the ink, as tesseract's boxes do
        ys, xs = np.nonzero(arr[by:by + bh, bx:bx + bw] < 128)
        tight.append((bx + int(xs.min()), by + int(ys.min()), int(xs.max() - xs.min() + 1),
                      int(ys.max() - ys.min() + 1)))
    return arr, tight


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("printed", "read"), [
    ("ROZIQIN", "ROZIOIN"), ("ROFIQOH", "ROFIGOH"), ("ROFIQOH", "ROFIOOH"), ("QOMAR", "@OMAR"),
    ("QOMAR", "0OMAR"), ("ROZIQIN", "ROZIQIN"),
])
def test_a_q_read_as_a_round_letter_is_restored(face, size, printed, read):
    img, (box,) = render(printed, face, size)
    res = glyphs.check_word(img, Word(read, 0.9, box))
    assert res.text == printed
    assert not res.unsure


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("printed", ["ROBERTO", "GHOFUR", "SOLEH", "COKRO", "JOKO", "BAGOES"])
def test_round_letters_stay_and_are_not_doubted(face, size, printed):
    img, (box,) = render(printed, face, size)
    res = glyphs.check_word(img, Word(printed, 0.9, box))
    assert res == glyphs.WordCheck(printed, False)


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("size", (14, 18, 24))
@pytest.mark.parametrize("printed", ["ROJALI", "SUJONO", "WOLO", "DODO"])
def test_blurred_round_letters_and_js_are_not_doubted(face, size, printed):
    """A J's hook hangs below the line in some faces, but to the left: it is no Q's tail."""
    img, (box,) = render(printed, face, size, blur=True)
    assert glyphs.check_word(img, Word(printed, 0.9, box)) == glyphs.WordCheck(printed, False)


@pytest.mark.parametrize("face", ["DejaVu Sans", "Liberation Sans", "Liberation Serif Bold"])
def test_a_dropped_leading_q_is_restored_and_another_dropped_letter_doubted(face):
    img, (box,) = render("QOMARIYAH", face, 24)
    q_right = _first_glyph_right(img, box)  # the OCR box starts at the O, past the Q's ink
    dropped = (q_right + 1, box[1], box[0] + box[2] - q_right - 1, box[3])
    assert glyphs.check_word(img, Word("OMARIYAH", 0.9, dropped), leading=True).text == "QOMARIYAH"
    img, (box,) = render("ROMARIYAH", face, 24)
    r_right = _first_glyph_right(img, box)
    dropped = (r_right + 1, box[1], box[0] + box[2] - r_right - 1, box[3])
    res = glyphs.check_word(img, Word("OMARIYAH", 0.9, dropped), leading=True)
    assert res == glyphs.WordCheck("OMARIYAH", True)


def _first_glyph_right(img: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """x of the last ink column of the first glyph in `box` (the first blank column after ink, minus one)."""
    x, y, w, h = box
    cols = (img[y:y + h, x:x + w] < 128).any(axis=0)
    k = int(np.argmax(cols))
    while k < w and cols[k]:
        k += 1
    return x + k - 1


def test_the_previous_word_is_not_a_dropped_letter():
    img, boxes = render("NUR OMAR", "DejaVu Sans", 24)
    res = glyphs.check_word(img, Word("OMAR", 0.9, boxes[1]), leading=True,
                            left_limit=boxes[0][0] + boxes[0][2])
    assert res == glyphs.WordCheck("OMAR", False)


@pytest.mark.parametrize("face", FACES)
def test_a_table_rule_left_of_a_name_is_no_dropped_letter(face):
    """A name in a table cell: the cell's vertical rule stands just left of it, taller than any letter."""
    img, (box,) = render("MAGDALENA", face, 24)
    x, y, w, h = box
    img[y - h // 2:y + h + h // 2, x - h // 3:x - h // 3 + 2] = 0  # the rule, from above to below the line
    assert glyphs.check_word(img, Word("MAGDALENA", 0.9, box), leading=True) == glyphs.WordCheck("MAGDALENA", False)


def test_a_round_glyph_half_below_the_line_is_doubted_not_guessed():
    """GIVEN an O that sits lower than its neighbours (neither on the baseline nor hanging like a tail)."""
    img, (box,) = render("ROMAN", "DejaVu Sans", 36)
    x, y, w, h = box
    o_left = _first_glyph_right(img, box) + 2
    o_right = o_left + int(0.85 * h)
    shifted = img.copy()
    drop = max(1, int(round(0.065 * h)))
    shifted[y + drop:y + h + drop, o_left:o_right] = img[y:y + h, o_left:o_right]
    shifted[y:y + drop, o_left:o_right] = 255
    res = glyphs.check_word(shifted, Word("ROMAN", 0.9, (x, y, w, h + drop)))
    assert res == glyphs.WordCheck("ROMAN", True)


def test_touching_letters_still_place_a_clear_q():
    """Blur glues letters together; the Q's tail is still placed when the count from one side agrees."""
    img, (box,) = render("ROFIQOH", "Liberation Sans Bold", 14, blur=True)
    res = glyphs.check_word(img, Word("ROFIOOH", 0.9, box))
    assert res.text in ("ROFIQOH", "ROFIOOH")
    assert res.text == "ROFIQOH" or res.unsure  # never a silent O


def _page(img: np.ndarray, text: str, boxes) -> OcrPage:
    words = [Word(t, 0.9, b, line=0) for t, b in zip(text.split(), boxes, strict=True)]
    return OcrPage(words=words, width=img.shape[1], height=img.shape[0])


def _union(boxes):
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def test_name_field_rebuilt_from_checked_words():
    img, boxes = render("RIZKY ROZIQIN", "Liberation Sans", 24)
    fields = {"nama": FieldValue("RIZKY ROZIOIN", 0.9, _union(boxes), "RIZKY ROZIOIN")}
    glyphs.check_name_fields(fields, _page(img, "RIZKY ROZIOIN", boxes), img, policy())
    assert fields["nama"].value == "RIZKY ROZIQIN"
    assert fields["nama"].confidence == 0.9


def test_name_field_with_an_undecided_glyph_loses_confidence():
    img, boxes = render("ROMAN SOLEH", "DejaVu Sans", 36)
    x, y, w, h = boxes[0]
    o_left = _first_glyph_right(img, boxes[0]) + 2
    drop = max(1, int(round(0.065 * h)))
    shifted = img.copy()
    shifted[y + drop:y + h + drop, o_left:o_left + int(0.85 * h)] = img[y:y + h, o_left:o_left + int(0.85 * h)]
    shifted[y:y + drop, o_left:o_left + int(0.85 * h)] = 255
    boxes[0] = (x, y, w, h + drop)
    fields = {"nama": FieldValue("ROMAN SOLEH", 0.93, _union(boxes), "ROMAN SOLEH")}
    glyphs.check_name_fields(fields, _page(shifted, "ROMAN SOLEH", boxes), shifted, policy())
    assert fields["nama"].value == "ROMAN SOLEH"
    assert fields["nama"].confidence < 0.6


def test_a_name_word_with_a_sign_between_its_letters_is_doubted():
    """OCR read "YAQIN" as "YA@GIN"; the name's cleaning drops the @ and would hide the misread."""
    img, boxes = render("AHMAD YAQIN", "DejaVu Sans", 36)
    page = _page(img, "AHMAD YA@GIN", boxes)
    fields = {"nama": FieldValue("AHMAD YAGIN", 0.79, _union(boxes), "AHMAD YA@GIN")}
    glyphs.check_name_fields(fields, page, img, policy())
    assert fields["nama"].confidence <= policy().disagree_cap


def test_name_field_left_alone_when_words_do_not_rebuild_it():
    img, boxes = render("ROZIQIN", "DejaVu Sans", 24)
    fields = {"nama": FieldValue("ROZIOIN BIN X", 0.9, _union(boxes), "?")}
    glyphs.check_name_fields(fields, _page(img, "ROZIOIN", boxes), img, policy())
    assert fields["nama"].value == "ROZIOIN BIN X"


@pytest.mark.tesseract
@pytest.mark.parametrize("face", ["DejaVu Sans Bold", "Liberation Sans"])
def test_engines_word_boxes_carry_the_tail(engine, face):
    """Both engines' word boxes (no symbol boxes needed) let the check see the Q, whatever the OCR read."""
    img, _ = render("Nama : AHMAD ROZIQIN ARIFIN", face, 28)
    page = engine.read(img, psm=7)
    word = next(w for w in page.words if w.text.upper().startswith("ROZI"))
    res = glyphs.check_word(img, word)
    assert res.text.upper() == "ROZIQIN"


def _tilted(printed: str, face: str, size: int, degrees: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """`printed` rotated about its centre (a photographed word whose baseline slopes) and its ink box."""
    import cv2

    img, (box,) = render(printed, face, size)
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turned = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    ys, xs = np.nonzero(turned < 128)
    return turned, (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


@pytest.mark.parametrize("face", ["DejaVu Sans", "Liberation Sans", "Liberation Serif Bold"])
@pytest.mark.parametrize("degrees", [-4.0, -2.0, 2.0, 4.0])
def test_a_sloping_baseline_is_no_tail(face, degrees):
    """GIVEN a word photographed at a slant (its last O sits lower than the median baseline)
    THEN the O stays an O without doubt, and a real Q is never made an O for sure."""
    img, box = _tilted("PRASETYO", face, 28, degrees)
    assert glyphs.check_word(img, Word("PRASETYO", 0.9, box)) == glyphs.WordCheck("PRASETYO", False)
    img, box = _tilted("ROZIQIN", face, 28, degrees)
    res = glyphs.check_word(img, Word("ROZIOIN", 0.9, box))
    assert res.text == "ROZIQIN" or res.unsure
