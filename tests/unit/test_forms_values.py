"""Form values: blood pressure parsing with OCR slips, names on dot leaders, keeping the better of two readings."""

from __future__ import annotations

import pytest

from pipeline.context import FieldValue, Word
from pipeline.nlp import build_nlp
from pipeline.reading.common.lines import form_name_text
from pipeline.reading.common.reread import same_text
from pipeline.reading.surat_sehat.vitals import blood_pressure_field, bp_plausible
from tests.unit.ocr_fakes import policy


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def better(old: FieldValue | None, new: FieldValue | None) -> FieldValue | None:
    """Two readings of a form value as the weak-value re-read reconciles them."""
    return policy().reconcile(old, new, same=same_text)


def _words(text: str, conf: float = 0.9) -> list[Word]:
    out, x = [], 10
    for tok in text.split():
        out.append(Word(tok, conf, (x, 10, 12 * len(tok), 24)))
        x += 12 * len(tok) + 12
    return out


@pytest.mark.parametrize(("text", "want"), [
    ("120/80 mmHg", "120/80"), ("120 / 80", "120/80"), ("12O/8O", "120/80"), ("120/80mmHg", "120/80"),
    ("110/70.", "110/70"), (": 125/75 mmHg", "125/75"),
])
def test_blood_pressure_read_with_full_trust(nlp, text: str, want: str) -> None:
    fv = blood_pressure_field(_words(text), 1.0, nlp)
    assert fv.value == want
    assert fv.confidence >= 0.85


@pytest.mark.parametrize(("text", "want"), [("120/701", "120/70"), ("13075", "130/75")])
def test_guessed_blood_pressure_keeps_half_trust(nlp, text: str, want: str) -> None:
    fv = blood_pressure_field(_words(text), 1.0, nlp)
    assert fv.value == want
    assert fv.confidence <= 0.5


@pytest.mark.parametrize("text", ["12/70", "120/20", "70/120"])
def test_implausible_blood_pressure_stays_low(nlp, text: str) -> None:
    fv = blood_pressure_field(_words(text), 1.0, nlp)
    assert fv.confidence < 0.5
    assert not bp_plausible(fv.value)


def test_unreadable_blood_pressure_has_no_value(nlp) -> None:
    fv = blood_pressure_field(_words("TE ESYYANA LI"), 1.0, nlp)
    assert fv.value is None and fv.confidence < 0.3


def test_form_name_text_drops_leaders_keeps_abbreviations() -> None:
    assert form_name_text("UMMI HASANAH ROHMAH.........") == "UMMI HASANAH ROHMAH"
    assert form_name_text("..SYAIFUL MUBAROK") == "SYAIFUL MUBAROK"
    assert form_name_text("ABD. RAHMAN, S.KOM.") == "ABD. RAHMAN, S.KOM."


def _fv(value: object, conf: float) -> FieldValue:
    return FieldValue(value, conf, (0, 0, 10, 10), str(value))


def test_better_agreement_keeps_the_higher_confidence() -> None:
    assert better(_fv("120/80", 0.6), _fv("120/80", 0.9)).confidence == 0.9


def test_better_weak_first_reading_is_no_evidence() -> None:
    assert better(_fv("12/70", 0.16), _fv("125/70", 0.9)).value == "125/70"
    assert better(None, _fv("125/70", 0.9)).value == "125/70"
    assert better(_fv(None, 0.0), _fv("125/70", 0.7)).value == "125/70"


def test_better_disagreement_is_capped() -> None:
    got = better(_fv("SITI", 0.7), _fv("SITTI", 0.9))
    assert got.value == "SITTI" and got.confidence <= policy().disagree_cap


def test_better_without_a_second_value_keeps_the_first() -> None:
    old = _fv("120/80", 0.6)
    assert better(old, _fv(None, 0.0)) is old and better(old, None) is old


def test_letter_spaced_name_keeps_its_word_space() -> None:
    """GIVEN a PDF text layer that letter-spaces a name over a leader THEN the word space survives."""
    from pipeline.reading.common.lines import strip_value

    words, x = [], 100
    for ch in "ARIF HARYANTO":
        if ch == " ":
            words.append(Word(".", 1.0, (x, 10, 7, 26)))
            x += 9
            continue
        words.append(Word(ch, 1.0, (x, 0, 22, 36)))
        words.append(Word("...", 1.0, (x + 2, 10, 20, 26)))
        x += 22
    assert [w.text for w in strip_value(words)] == ["ARIF", "HARYANTO"]
    spaced = [Word(ch, 0.9, (10 + 20 * i, 0, 14, 30)) for i, ch in enumerate("120/80")]
    assert [w.text for w in strip_value(spaced + [Word("...", 0.9, (200, 5, 30, 20))])] == ["120/80"]
