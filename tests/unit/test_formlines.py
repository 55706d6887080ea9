"""Form-line clean-up on synthetic pages: dot leaders and rules go, text (i-dots, periods, commas) stays."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from pipeline.preprocess.formlines import clean_form_lines, ink_mask
from tests.unit.synth import SANS, font

SIZE = 30


def _page(rows: list[tuple[str, str]], *, leaders: bool = True, rule: bool = False,
          pitch: int = 7, dot: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A form: "label : value" rows; under each value a dot leader (or a rule). Returns the page, the
    text-only page (the truth of what must stay) and the mask of the leader/rule pixels."""
    f = font(SANS, SIZE)
    h = 60 + 60 * len(rows)
    page, text = Image.new("L", (1100, h), 255), Image.new("L", (1100, h), 255)
    marks = Image.new("L", (1100, h), 0)
    for i, (label, value) in enumerate(rows):
        y = 30 + 60 * i
        for img in (page, text):
            d = ImageDraw.Draw(img)
            d.text((40, y), label, font=f, fill=0)
            d.text((300, y), ":", font=f, fill=0)
            d.text((340, y - 4), value, font=f, fill=40)
        base = y + SIZE  # just under the value's baseline
        for img, fill in ((page, 0), (marks, 255)):
            d = ImageDraw.Draw(img)
            if leaders:
                for x in range(330, 1000, pitch):
                    d.rectangle((x, base, x + dot - 1, base + dot - 1), fill=fill)
            if rule:
                d.rectangle((330, base + 1, 1000, base + 2), fill=fill)
    return np.array(page), np.array(text), np.array(marks) > 0


ROWS = [("Nama", "Siti Aisyah, S.Pd."), ("Tekanan Darah", "120/80 mmHg"), ("Pekerjaan", "Guru ... (honorer)")]


def _kept(out: np.ndarray, page: np.ndarray, text: np.ndarray) -> float:
    """Share of the text's ink pixels left as they were on the page."""
    t = ink_mask(text).astype(bool)
    return float((out[t] == page[t]).mean())


def test_dot_leaders_are_removed_and_text_kept() -> None:
    page, text, marks = _page(ROWS)
    out, found = clean_form_lines(page)
    assert found.leaders >= len(ROWS)  # a descender crossing a leader may split it in two
    only_marks = marks & ~ink_mask(text).astype(bool)
    assert (out[only_marks] < 128).mean() < 0.02  # the dots are gone
    assert _kept(out, page, text) > 0.97  # letters, i-dots, periods, commas and the ellipsis stay


def test_underline_rule_is_removed() -> None:
    page, text, marks = _page(ROWS, leaders=False, rule=True)
    out, found = clean_form_lines(page)
    assert found.rules == len(ROWS)
    only_marks = marks & ~ink_mask(text).astype(bool)
    assert (out[only_marks] < 128).mean() < 0.05
    assert _kept(out, page, text) > 0.95


def test_page_without_form_lines_is_returned_unchanged() -> None:
    """GIVEN text with periods, an ellipsis, i-dots and a short dotted run THEN nothing is taken."""
    _, text, _ = _page(ROWS + [("Catatan", "iiii . . . . . jjj")], leaders=False)
    out, found = clean_form_lines(text)
    assert not found.found
    assert out is text


def test_blank_page() -> None:
    blank = np.full((200, 300), 255, np.uint8)
    out, found = clean_form_lines(blank)
    assert out is blank and not found.found


def test_table_grid_is_kept() -> None:
    """GIVEN a table (horizontal rules meeting vertical ones) THEN its rules stay: tesseract reads cells."""
    _, text, _ = _page(ROWS, leaders=False)
    grid = text.copy()
    for y in (20, 80, 140, 200):
        grid[y : y + 2, 30:1050] = 0
    for x in (30, 320, 1048):
        grid[20:202, x : x + 2] = 0
    out, found = clean_form_lines(grid)
    assert found.rules == 0
    assert (out == grid).all()
