"""Blood pressure as printed on a health letter: "120/80 mmHg", "120 / 80", "12O/8O", "120/80mmHg", with the
OCR slips that can be repaired and a plausibility check (shared by the letter's rows and its running text)."""

from __future__ import annotations

import re

from pipeline.context import FieldValue, Word
from pipeline.nlp import Nlp
from pipeline.normalise import digits_only
from pipeline.reading.common.lines import make_field, words_in_span, words_text

BP = re.compile(r"(?<!\d)(\d{2,3})\s*/\s*(\d{2,3})(?!\d)")
SYSTOLIC, DIASTOLIC = (60, 260), (30, 160)  # mmHg: wide, only what no living adult shows is out
IMPLAUSIBLE = 0.3  # trust kept by a blood pressure out of physiological range
GUESSED_BP = (
    re.compile(r"(?<!\d)(\d{2,3})\s*/\s*(\d{2})\d(?!\d)"),  # "120/701"
    re.compile(r"(?<!\d)(\d{3})(\d{2})(?!\d)"),  # "13075"
    re.compile(r"(?<!\d)(\d{3})1(\d{2})(?!\d)"),  # "120175"
)


def bp_value(text: str) -> str | None:
    m = BP.search(text)
    return f"{int(m.group(1))}/{int(m.group(2))}" if m else None


def bp_plausible(value: str | None) -> bool:
    """Systolic and diastolic within what a living adult shows, systolic the higher: "12/70" (a digit
    lost) or "120/701" (a stray mark read as 1) are not."""
    if value is None:
        return False
    high, low = (int(v) for v in value.split("/"))
    return SYSTOLIC[0] <= high <= SYSTOLIC[1] and DIASTOLIC[0] <= low <= DIASTOLIC[1] and high > low


def bp_field(value: str | None, used: list[Word], trust: float, raw: str) -> FieldValue:
    """A reading out of physiological range is kept as read but stays low (a person looks at it)."""
    return make_field(value, used, validation=trust if bp_plausible(value) else IMPLAUSIBLE * trust, raw=raw)


def blood_pressure_field(words: list[Word], trust: float, nlp: Nlp) -> FieldValue:
    """Blood pressure from a row's value words: "120/80 mmHg", "120 / 80", "12O/8O", "120/80mmHg".
    Readings that had to be guessed (a stray digit, the slash lost) keep half the trust; a reading out of
    physiological range is kept as read, low."""
    raw = words_text(words)
    repaired = " ".join(_repair_numeric(w.text) for w in words)
    found = nlp.find(repaired, "BP")
    first: FieldValue | None = None
    if found and BP.search(found[0].text):
        used = words_in_span(words, found[0].start_char, found[0].end_char)
        first = bp_field(bp_value(found[0].text), used, trust, raw)
    elif (m := BP.search(repaired)) is not None:  # glued to its unit ("120/70mmHg"): the matcher does not split
        first = bp_field(bp_value(m.group()), words_in_span(words, m.start(), m.end()), trust, raw)
    if first is not None and bp_plausible(first.value):
        return first
    # a stray mark after the diastolic read as a digit ("120/701"), the slash lost ("10070" -> 100/70) or
    # read as 1 ("120175" -> 120/75): half the trust, and only when the result is plausible
    for pattern in GUESSED_BP:
        m = pattern.search(repaired)
        if m and bp_plausible(f"{int(m.group(1))}/{int(m.group(2))}"):
            used = words_in_span(words, m.start(), m.end())
            return make_field(f"{int(m.group(1))}/{int(m.group(2))}", used, validation=0.5 * trust, raw=raw)
    return first if first is not None else make_field(None, words, validation=0.2 * trust, raw=raw)


def _repair_numeric(token: str) -> str:
    """Digit repair for tokens that are mostly digits already ("12O/8O" -> "120/80"); others unchanged."""
    digits = sum(ch.isdigit() for ch in token)
    if digits >= max(1, len(token) // 2):
        return "".join(d if d.isdigit() or d in "/.," else digits_only(d) or d for d in token)
    return token
