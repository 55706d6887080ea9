"""Handwriting (pipeline/reading/handwriting.py): the detector on a hand that is not the sample generator's (an
OpenCV vector font drawn letter by letter, each letter with its own baseline shift, size and pen width), and
the keep-or-empty rule as a pure function."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.context import FieldValue
from pipeline.reading import handwriting
from tests.unit.ocr_fakes import policy
from tests.unit.synth import render_lines


def letter_by_letter(text: str, seed: int, *, wobble: float = 0.05, slant: float = 0.15) -> np.ndarray:
    """A line written letter by letter: each letter shifted off the baseline and resized at random (sd
    `wobble` of the letter size), pens of 1-3 px, the whole line sheared by `slant`. Grayscale, white paper."""
    rng = np.random.default_rng(seed)
    size = 40
    img = np.full((size * 2, 20 + len(text) * size), 255, np.uint8)
    x = 10.0
    for ch in text:
        s = float(rng.uniform(1 - 2 * wobble, 1 + 2 * wobble))
        dy = float(rng.normal(0, wobble * size))
        pen = int(rng.integers(1, 4))
        (w, _), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, s, pen)
        cv2.putText(img, ch, (int(x), int(1.4 * size + dy)), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, s, 0, pen, cv2.LINE_AA)
        x += w + float(rng.uniform(0, 3))
    img = img[:, : int(x) + 10]
    shear = np.float32([[1, -slant, slant * img.shape[0] / 2], [0, 1, 0]])
    return cv2.warpAffine(img, shear, (img.shape[1], img.shape[0]), borderValue=255)


def assert_told_from_its_label(written: np.ndarray, label_text: str) -> None:
    """The written value beside a printed label on one page: the value looks handwritten, the label does not."""
    label = render_lines([label_text], size=32)
    h = max(label.shape[0], written.shape[0])
    page = np.full((h, label.shape[1] + written.shape[1]), 255, np.uint8)
    page[: label.shape[0], : label.shape[1]] = label
    page[: written.shape[0], label.shape[1] :] = written
    value_box = (label.shape[1], 0, written.shape[1], written.shape[0])
    label_box = (0, 0, label.shape[1], label.shape[0])
    assert handwriting.looks_handwritten(page, value_box, label_box)
    assert not handwriting.looks_handwritten(page, label_box, label_box)


@pytest.mark.parametrize("seed", range(5))
def test_a_hand_the_detector_was_not_tuned_on_is_told_from_print(seed: int) -> None:
    written = letter_by_letter("Siti Aminah Slamet", seed)
    assert handwriting.stroke_irregularity(written) >= handwriting.HAND_MIN
    assert_told_from_its_label(written, "Tempat Lahir")


@pytest.mark.parametrize("text", ["SITI AMINAH BINTI SLAMET", "Pasuruan, 5 Juni 1999", "Siti Aminah"])
def test_printed_lines_are_not_taken_for_a_hand(text: str) -> None:
    assert handwriting.stroke_irregularity(render_lines([text], size=32)) < handwriting.HAND_MIN


def test_a_value_is_kept_when_two_engines_agree_or_one_is_sure_of_print() -> None:
    p = policy()
    sure, weak = FieldValue("SITI AMINAH", 0.95), FieldValue("SITI AMINAH", p.review_below - 0.05)
    assert handwriting.keep_reading(weak, agreed=True, handwritten=True, policy=p)
    assert handwriting.keep_reading(sure, agreed=False, handwritten=False, policy=p)
    fair = FieldValue("SITI AMINAH", (p.review_below + p.reread_below) / 2)  # passes a check, not sure
    assert not handwriting.keep_reading(fair, agreed=False, handwritten=False, policy=p)
    assert not handwriting.keep_reading(sure, agreed=False, handwritten=True, policy=p)  # one engine, a hand
    assert not handwriting.keep_reading(weak, agreed=False, handwritten=False, policy=p)  # weak, unconfirmed


def test_two_readings_agree_whatever_the_case_and_spacing() -> None:
    assert handwriting.agree(FieldValue("Siti  Aminah", 0.7), FieldValue("SITI AMINAH", 0.6))
    assert not handwriting.agree(FieldValue("SITI AMINAH", 0.9), FieldValue("SITI AMINAN", 0.9))
    assert not handwriting.agree(FieldValue("SITI AMINAH", 0.9), None)
    assert not handwriting.agree(FieldValue(None, 0.0), FieldValue(None, 0.0))


def test_a_value_left_unread_keeps_its_box_only() -> None:
    out = handwriting.unread(FieldValue("SIFI", 0.9, (1, 2, 3, 4), raw="SIFI"))
    assert out == FieldValue(None, 0.0, (1, 2, 3, 4))


def test_a_value_that_runs_on_to_the_next_line_is_looked_at_line_by_line() -> None:
    """GIVEN a name in a sentence that wraps ("... Sdri. KHOIRUN ROHMAH / NADHIFAH NISA, lahir ...") THEN its
    rows are the name's words on each line, not one box over two lines and the sentence beside it."""
    from pipeline.context import OcrPage, Word

    words = [Word("bahwa", 0.9, (835, 550, 93, 21)), Word("Sdri.", 0.9, (942, 549, 65, 22)),
             Word("KHOIRUN", 0.9, (1022, 550, 136, 21)), Word("ROHMAH", 0.9, (1174, 550, 130, 21)),
             Word("NADHIFAH", 0.9, (179, 603, 152, 21)), Word("NISA,", 0.9, (347, 603, 74, 24)),
             Word("lahir", 0.9, (437, 602, 65, 22))]
    ocr = OcrPage(words=words, width=1400, height=800)
    box = (179, 550, 1125, 77)
    rows = handwriting.value_rows(ocr, box, "KHOIRUN ROHMAH NADHIFAH NISA")
    assert rows == [(1022, 550, 282, 21), (179, 603, 242, 24)]
    assert handwriting.value_rows(ocr, (1022, 550, 282, 21), "KHOIRUN ROHMAH") == [(1022, 550, 282, 21)]
    assert handwriting.value_rows(ocr, box, "SIFI") == [box]  # nothing spelled: the box as it is
