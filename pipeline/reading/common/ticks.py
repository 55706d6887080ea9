"""Printed alternatives on a health letter ("[v] Sehat  [ ] Tidak Sehat", "SEHAT / TIDAK SEHAT *)").

When a letter prints both conclusions, the words alone say nothing: the choice is the mark a person made
(a tick or cross in a box before an option, a circle round it, a line striking the other one out). So the
choice is read from the pixels next to and over each option, and only a clear difference between the
options counts. No clear difference (no mark, both marked, both struck, no image) leaves `kesimpulan`
without a value, which the rules send to review: a doubtful choice must never read as SEHAT.

    resolve_printed_choice(fields, ocr, gray) -> True when the page prints both options (fields changed)

Geometry is relative to the option words' height, never to a layout; thresholds are in `CHOICE` below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
from rapidfuzz import fuzz

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.normalise import fold
from pipeline.ocr.base import as_gray
from pipeline.reading.common.lines import Line, make_field, mean_conf, union_box, visual_lines
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.protocol import Look

POSITIVE, NEGATIVE = "SEHAT", "TIDAK SEHAT"
NEGATORS = ("TIDAK", "TDK", "BELUM")
MIN_RATIO = 80  # fuzzy match of an option word
LOOSE_RATIO = 55  # a word this close to SEHAT beside a lone TIDAK SEHAT may be the other option misread
SHORT_LINE = 5  # a line of at most this many words may hold one option of a vertical list


@dataclass(frozen=True)
class _Thresholds:
    """Ink shares (0..1 of a region's pixels) that tell a mark apart. Regions are measured in option heights."""

    box_width: float = 3.2  # the region left of an option (tick box, check mark) reaches this far
    margin: float = 0.7  # above/below an option (a drawn circle), in heights
    min_delta: float = 0.025  # the marked option shows at least this much more ink than the other
    min_ratio: float = 1.5  # ... and this many times as much
    strike_run: float = 0.6  # a horizontal ink run this share of an option's width is a strike-through
    clear_delta: float = 0.06  # a difference this large is fully clear (confidence not lowered)


CHOICE = _Thresholds()


@dataclass
class Option:
    value: str  # POSITIVE or NEGATIVE
    words: list[Word]
    before: Word | None  # the word left of the option on its line (the box region stops there)


def _token(text: str) -> str:
    return re.sub(r"[^A-Z]", "", fold(text))


def options_on_line(line: Line, *, ratio: int = MIN_RATIO) -> list[Option]:
    """Each SEHAT on the line (fuzzy match >= `ratio`), with a negator before it making it TIDAK SEHAT."""
    tokens = [_token(w.text) for w in line.words]
    out: list[Option] = []
    for k, tok in enumerate(tokens):
        if len(tok) < 4 or fuzz.ratio(tok, "SEHAT") < ratio:
            continue
        negated = k > 0 and any(fuzz.ratio(tokens[k - 1], n) >= MIN_RATIO for n in NEGATORS)
        start = k - 1 if negated else k
        # the word the box region stops at: short tokens before an option are the box or mark itself as
        # OCR reads them ("vl", "LI", "[v]", "O"), not text
        before = next((w for w in reversed(line.words[:start]) if len(w.text.strip("[](){}|")) > 3), None)
        out.append(Option(NEGATIVE if negated else POSITIVE, line.words[start:k + 1], before))
    return out


def find_choice(lines: list[Line]) -> list[Option] | None:
    """The options of a printed choice: both on one line, or on two neighbouring short lines (a list)."""
    per_line = [options_on_line(ln) for ln in lines]
    for opts in per_line:
        if {o.value for o in opts} == {POSITIVE, NEGATIVE}:
            return opts
    for i in range(len(lines) - 1):
        a, b = per_line[i], per_line[i + 1]
        if len(a) == 1 and len(b) == 1 and a[0].value != b[0].value and \
                len(lines[i].words) <= SHORT_LINE and len(lines[i + 1].words) <= SHORT_LINE:
            return [a[0], b[0]]
    return None


def misread_choice(lines: list[Line]) -> list[Option] | None:
    """A line holding one clear TIDAK SEHAT and, before it, a word only loosely like SEHAT ("Senar"): maybe
    both options are printed and the positive one was misread. Such a line is no proof of TIDAK SEHAT."""
    for line in lines:
        strict = options_on_line(line)
        if [o.value for o in strict] != [NEGATIVE]:
            continue
        loose = options_on_line(line, ratio=LOOSE_RATIO)
        if {o.value for o in loose} == {POSITIVE, NEGATIVE}:
            return loose
    return None


def _ink(gray: np.ndarray, x0: float, y0: float, x1: float, y1: float, level: float) -> np.ndarray:
    h, w = gray.shape[:2]
    xa, xb = max(0, int(x0)), min(w, int(x1))
    ya, yb = max(0, int(y0)), min(h, int(y1))
    if xb <= xa or yb <= ya:
        return np.zeros((0, 0), dtype=bool)
    return gray[ya:yb, xa:xb] < level


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def _longest_run(row: np.ndarray) -> int:
    best = run = 0
    for v in row:
        run = run + 1 if v else 0
        best = max(best, run)
    return best


@dataclass
class Marks:
    box: float  # ink share left of the option (box outline + any tick)
    ring: float  # ink share in the bands above and below the option
    struck: bool  # a line runs through the option's words


def measure(gray: np.ndarray, option: Option, level: float, height: float) -> Marks:
    """Ink next to, around and over one option; `level` is the ink/paper grey level of the row, `height`
    the options' common word height (regions of the same size for every option)."""
    box = union_box(option.words)
    assert box is not None
    x, top, w, _ = box
    y = top + box[3] / 2 - height / 2
    h = max(height, 4.0)
    left = x - CHOICE.box_width * h
    if option.before is not None:
        left = max(left, option.before.box[0] + option.before.box[2] + 0.15 * h)
    side = _ink(gray, left, y - 0.6 * h, x - 0.15 * h, y + 1.6 * h, level)
    m = CHOICE.margin * h
    above = _ink(gray, x, y - m, x + w, y - 0.2 * h, level)
    below = _ink(gray, x, y + 1.2 * h, x + w, y + h + m, level)
    ring = (_share(above) * above.size + _share(below) * below.size) / max(1, above.size + below.size)
    inner = _ink(gray, x, y + 0.25 * h, x + w, y + 0.8 * h, level)
    struck = inner.size > 0 and max(_longest_run(r) for r in inner) >= CHOICE.strike_run * w
    return Marks(_share(side), ring, struck)


def _level(gray: np.ndarray, options: list[Option]) -> float:
    """Otsu's grey level over the rows of the options (ink and paper of this very row)."""
    box = union_box([w for o in options for w in o.words])
    assert box is not None
    x, y, w, h = box
    crop = gray[max(0, y - 2 * h): y + 3 * h, max(0, x - 4 * h): x + w + h]
    if crop.size == 0:
        return 0.0
    level, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level)


def decide(marks: list[Marks], values: list[str]) -> tuple[str | None, float]:
    """The chosen option's value and a clarity in 0..1, or (None, 0) when the marks do not tell."""
    free = [i for i, m in enumerate(marks) if not m.struck]
    if len(free) == 1 and len(marks) > 1:  # every other option struck out ...
        mine = marks[free[0]].box + marks[free[0]].ring
        if any(m.box + m.ring > mine + CHOICE.min_delta for m in marks):
            return None, 0.0  # ... yet a struck one looks ticked (a rule or underline read as a strike?)
        return values[free[0]], 1.0
    if not free:
        return None, 0.0
    ink = [marks[i].box + marks[i].ring for i in free]
    order = sorted(range(len(free)), key=lambda k: ink[k], reverse=True)
    top, second = ink[order[0]], ink[order[1]] if len(order) > 1 else 0.0
    if top - second < CHOICE.min_delta or top < CHOICE.min_ratio * second:
        return None, 0.0
    chosen = {values[free[k]] for k in order if ink[k] >= top - CHOICE.min_delta / 2}
    if len(chosen) != 1:  # the same option printed twice, or two options equally marked
        return None, 0.0
    return chosen.pop(), min(1.0, (top - second) / CHOICE.clear_delta)


def marked(options: list[Option], gray: np.ndarray | None) -> tuple[str | None, float]:
    """The option the marks in `gray` choose, with its clarity (`decide`); (None, 0) without pixels or when
    an option stands taller than wide (text not read upright)."""
    upright = all(b is not None and b[2] > b[3] for b in (union_box(o.words) for o in options))
    if gray is None or gray.ndim != 2 or not upright:
        return None, 0.0
    level = _level(gray, options)
    height = float(np.median([w.box[3] for o in options for w in o.words]))
    return decide([measure(gray, o, level, height) for o in options], [o.value for o in options])


def resolve_printed_choice(fields: dict[str, FieldValue], ocr: OcrPage, gray: np.ndarray | None,
                           policy: ConfidencePolicy, key: str = "kesimpulan") -> bool:
    """Set `fields[key]` from the marks when the page prints both conclusions; False otherwise.

    `gray` is the page image the word boxes refer to (None: no pixels, so the choice stays undecided). An
    undecided choice has no value and a doubted confidence (`policy.doubt`)."""
    lines = visual_lines(ocr)
    options = find_choice(lines)
    if options is None:
        misread = misread_choice(lines)
        if misread is None:
            return False
        return _resolve_misread(fields, misread, gray, policy, key)
    words = [w for o in options for w in o.words]
    raw = " / ".join(" ".join(w.text for w in o.words) for o in options)
    value, clarity = marked(options, gray)
    if value is None:
        fields[key] = policy.doubt(make_field(None, words, raw=raw))
        return True
    chosen = [w for o in options if o.value == value for w in o.words]
    fv = make_field(value, chosen, validation=clarity, raw=raw)
    fields[key] = FieldValue(value, min(fv.confidence, round(mean_conf(chosen), 4)), fv.box, raw)
    return True


def _resolve_misread(fields: dict[str, FieldValue], options: list[Option], gray: np.ndarray | None,
                     policy: ConfidencePolicy, key: str) -> bool:
    """A lone TIDAK SEHAT beside a word that may be a misread SEHAT: the marks may confirm TIDAK SEHAT (the
    words then say it plainly), otherwise the conclusion is doubted. A loosely matched word never makes SEHAT:
    the negative reading is only weakened to review, never turned into a pass."""
    if marked(options, gray)[0] == NEGATIVE:
        return False  # the marks agree with the words: the extraction's own reading stands
    words = [w for o in options for w in o.words]
    raw = " / ".join(" ".join(w.text for w in o.words) for o in options)
    fields[key] = policy.doubt(make_field(None, words, raw=raw))
    return True


@dataclass(frozen=True)
class PrintedChoice:
    """Second look: a conclusion whose options are all printed is decided by the marks in the pixels (the
    prepared image, or for a text layer the page as decoded)."""

    key: str = "kesimpulan"
    name: str = "printed_choice"
    needs_image: bool = False

    def run(self, look: Look) -> None:
        image = look.image if look.image is not None else look.page_image
        resolve_printed_choice(look.fields, look.ocr, None if image is None else as_gray(image), look.policy,
                               self.key)
