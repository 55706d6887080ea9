"""Printed alternatives (SEHAT / TIDAK SEHAT) decided by the marks, rendered here with PIL; word boxes come
from the renderer, so no OCR is involved (the real-OCR check on generated pages is marked slow)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.reading.common.ticks import NEGATIVE, POSITIVE, resolve_printed_choice
from tests.unit.ocr_fakes import policy

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _row(marks: dict[str, str], *, boxes: bool = True, size: int = 28, noise: float = 0.0,
         seed: int = 0) -> tuple[np.ndarray, OcrPage]:
    """One 'Kesimpulan: [ ] Sehat  [ ] Tidak Sehat' row; marks[option] in tick, cross, circle, strike."""
    font = ImageFont.truetype(FONT, size)
    img = Image.new("L", (1100, 160), 255)
    d = ImageDraw.Draw(img)
    words: list[Word] = []
    y = 60

    def word(text: str, x: int) -> int:
        d.text((x, y), text, font=font, fill=0)
        x0, y0, x1, y1 = d.textbbox((x, y), text, font=font)
        words.append(Word(text, 0.95, (x0, y0, x1 - x0, y1 - y0), line=0, block=0))
        return x1

    x = word("Kesimpulan:", 20) + 60
    cap = size * 0.75
    for option in ("Sehat", "Tidak Sehat"):
        bx, by, side = x, y + size * 0.2, cap
        if boxes:
            d.rectangle([bx, by, bx + side, by + side], outline=0, width=2)
        mark = marks.get(option.upper())
        if mark == "tick":
            d.line([(bx + 4, by + side * 0.55), (bx + side * 0.4, by + side - 2)], fill=0, width=4)
            d.line([(bx + side * 0.4, by + side - 2), (bx + side + 6, by - 8)], fill=0, width=4)
        elif mark == "cross":
            d.line([(bx + 2, by + 2), (bx + side - 2, by + side - 2)], fill=0, width=4)
            d.line([(bx + 2, by + side - 2), (bx + side - 2, by + 2)], fill=0, width=4)
        tx = int(bx + side + 18)
        start = len(words)
        for part in option.split():
            tx = word(part, tx) + 14
        if mark in ("circle", "strike"):
            x0 = min(w.box[0] for w in words[start:])
            x1 = max(w.box[0] + w.box[2] for w in words[start:])
            y0, y1 = words[start].box[1], words[start].box[1] + words[start].box[3]
            if mark == "circle":
                d.ellipse([x0 - 14, y0 - 16, x1 + 14, y1 + 16], outline=0, width=3)
            else:
                d.line([(x0 - 6, (y0 + y1) // 2), (x1 + 6, (y0 + y1) // 2)], fill=0, width=3)
        x = tx + 120
    arr = np.asarray(img, dtype=np.float32)
    if noise:
        arr += np.random.default_rng(seed).normal(0, noise, arr.shape)
    gray = np.clip(arr, 0, 255).astype(np.uint8)
    return gray, OcrPage(words=words, width=gray.shape[1], height=gray.shape[0])


def _read(marks: dict[str, str], **kw: object) -> FieldValue:
    gray, ocr = _row(marks, **kw)  # type: ignore[arg-type]
    fields: dict[str, FieldValue] = {"kesimpulan": FieldValue("SEHAT", 0.96, None, "Sehat")}
    assert resolve_printed_choice(fields, ocr, gray, policy())
    return fields["kesimpulan"]


@pytest.mark.parametrize("mark", ["tick", "cross", "circle"])
def test_marked_sehat_reads_sehat(mark: str) -> None:
    fv = _read({POSITIVE: mark})
    assert fv.value == POSITIVE and fv.confidence >= 0.8


@pytest.mark.parametrize("mark", ["tick", "cross", "circle"])
def test_marked_tidak_sehat_reads_tidak_sehat(mark: str) -> None:
    """The false accept to avoid: TIDAK SEHAT ticked must never come out SEHAT."""
    fv = _read({NEGATIVE: mark})
    assert fv.value == NEGATIVE


def test_tidak_sehat_tick_on_noisy_photocopy() -> None:
    for seed in range(3):
        fv = _read({NEGATIVE: "tick"}, noise=25.0, seed=seed)
        assert fv.value == NEGATIVE


@pytest.mark.parametrize("marks", [{}, {POSITIVE: "tick", NEGATIVE: "tick"}], ids=["none", "both"])
def test_no_or_both_marks_stay_uncertain(marks: dict[str, str]) -> None:
    fv = _read(marks)
    assert fv.value is None and fv.confidence <= policy().disagree_cap


def test_strike_through_rejects_an_option() -> None:
    """'SEHAT / TIDAK SEHAT *) coret yang tidak perlu': the option left standing is the choice."""
    assert _read({POSITIVE: "strike"}, boxes=False).value == NEGATIVE
    assert _read({NEGATIVE: "strike"}, boxes=False).value == POSITIVE


def test_both_struck_stay_uncertain() -> None:
    assert _read({POSITIVE: "strike", NEGATIVE: "strike"}, boxes=False).value is None


def test_no_pixels_stay_uncertain() -> None:
    _, ocr = _row({POSITIVE: "tick"})
    fields: dict[str, FieldValue] = {}
    assert resolve_printed_choice(fields, ocr, None, policy())
    assert fields["kesimpulan"].value is None


def test_a_single_conclusion_is_no_choice() -> None:
    words = [Word(t, 0.9, (20 + 120 * i, 50, 100, 30)) for i, t in enumerate(["dinyatakan", "TIDAK", "SEHAT"])]
    fields: dict[str, FieldValue] = {}
    gray = np.full((200, 600), 255, np.uint8)
    assert not resolve_printed_choice(fields, OcrPage(words, 600, 200), gray, policy())
    assert fields == {}


def test_a_strike_through_a_ticked_option_is_no_choice() -> None:
    """A line through TIDAK SEHAT (or a form rule read as one) while its box is ticked: uncertain."""
    gray, ocr = _row({NEGATIVE: "tick"})
    neg = [w for w in ocr.words if w.text in ("Tidak",)] + [ocr.words[-1]]
    x0, x1 = neg[0].box[0], neg[-1].box[0] + neg[-1].box[2]
    y = neg[0].box[1] + neg[0].box[3] // 2
    gray[y - 1:y + 2, x0 - 6:x1 + 6] = 0
    fields: dict[str, FieldValue] = {}
    assert resolve_printed_choice(fields, ocr, gray, policy())
    assert fields["kesimpulan"].value != POSITIVE


def _misread(marks: dict[str, str], misread: str = "Senar") -> FieldValue:
    """The row with the positive option's word misread by OCR; the extraction read the lone TIDAK SEHAT."""
    gray, ocr = _row(marks)
    words = [Word(misread if w.text == "Sehat" and i == 1 else w.text, w.conf, w.box, line=0, block=0)
             for i, w in enumerate(ocr.words)]
    assert words[1].text == misread
    fields: dict[str, FieldValue] = {"kesimpulan": FieldValue(NEGATIVE, 0.72, words[-2].box, "Tidak Sehat")}
    resolve_printed_choice(fields, OcrPage(words, ocr.width, ocr.height), gray, policy())
    return fields["kesimpulan"]


def test_a_lone_tidak_sehat_beside_a_misread_ticked_sehat_is_doubted() -> None:
    """'[v] Senar [ ] Tidak Sehat' (OCR misread the ticked option): not a clear TIDAK SEHAT, and never SEHAT."""
    fv = _misread({POSITIVE: "tick"})
    assert fv.value is None and fv.confidence <= policy().disagree_cap


def test_a_lone_tidak_sehat_whose_box_is_ticked_stands() -> None:
    fv = _misread({NEGATIVE: "tick"})
    assert fv.value == NEGATIVE and fv.confidence == 0.72


def test_a_lone_tidak_sehat_with_no_word_like_sehat_stands() -> None:
    fv = _misread({POSITIVE: "tick"}, misread="Catatan")
    assert fv.value == NEGATIVE
