"""A value that no reading of its own page could settle, confirmed by another page of the same dossier.

The handwriting rule (`pipeline.reading.handwriting`) leaves a field empty when its engines do not agree and no
single reading is sure, and keeps those readings as the field's candidates. `confirm_across` looks, for each
such field, at the other pages of the dossier: when one of them reads the same field (the same name: nama,
tempat_lahir, tanggal_lahir are on the KTP, the ijazah and the health letter) at or above the review threshold,
and a candidate says exactly that (the same letters and digits; the same date; for a person's name, the same
name once titles and degrees are set aside, `pipeline.names.normalise_name`, as the health letter writes
"HJ. ... , S.KOM." where the KTP has none), the field takes that candidate, spelt as the sure page spells it
when their letters are the same (only its spaces and marks differ: "YOHANE'S" for YOHANES).
Two readings of two documents that agree letter for letter are independent evidence; an OCR error that spells
exactly what another document says is not a thing that happens by chance.

Nothing else is confirmed:
- a candidate that only resembles the other page's value, is shorter than MIN_LETTERS letters and digits, or
  is a name with a digit in it (an OCR slip the name comparison would forgive), leaves the field empty for a
  person, as before;
- the registration (what the candidate declares) never confirms a reading: it is what the checks compare the
  documents with, and a document must say it by itself;
- a value confirmed here never confirms another (the sure readings are taken before any change).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.context import DocumentReading, FieldValue
from pipeline.names import normalise_name
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.handwriting import letters, same_reading

log = logging.getLogger(__name__)

MIN_LETTERS = 3  # a shorter candidate agreeing with another page says too little
PERSON_NAMES = frozenset({"nama"})  # fields compared as names (titles and degrees aside)


@dataclass(frozen=True)
class Confirmation:
    """`field` of (file, page) took a candidate that (by_file, by_page) reads alike."""

    file: str
    page: int
    field: str
    by_file: str
    by_page: int


def confirm_across(readings: list[DocumentReading], policy: ConfidencePolicy) -> list[Confirmation]:
    """Settle, in place, the empty fields of `readings` that another reading confirms (module docstring)."""
    sure = [(r, name, fv) for r in readings for name, fv in r.fields.items() if not policy.needs_review(fv)]
    done: list[Confirmation] = []
    for r in readings:
        for name, fv in list(r.fields.items()):
            if fv.value is not None or not fv.candidates:
                continue
            found = _confirmed(r, name, fv.candidates, sure)
            if found is None:
                continue
            candidate, other, by = found
            # the same letters: spelt as the sure page reads it (an unsure reading's spaces and marks are what it
            # gets wrong: "YOHANE'S"); a name with its own titles keeps them (the letter's "HJ. ..., S.H.")
            value = by.value if letters(candidate.value) == letters(by.value) else candidate.value
            r.fields[name] = FieldValue(value, policy.agreed(candidate.confidence, by.confidence, True),
                                        fv.box, candidate.raw)
            done.append(Confirmation(r.file, r.page, name, other.file, other.page))
            log.debug("%s page %d: %s confirmed by the %s page", r.type.value, r.page, name, other.type.value)
    return done


def _confirmed(r: DocumentReading, name: str, candidates: tuple[FieldValue, ...],
               sure: list[tuple[DocumentReading, str, FieldValue]]
               ) -> tuple[FieldValue, DocumentReading, FieldValue] | None:
    for candidate in candidates:
        if candidate.value is None or len(letters(candidate.value)) < MIN_LETTERS:
            continue
        for other, other_name, by in sure:
            if other is not r and other_name == name and alike(name, candidate.value, by.value):
                return candidate, other, by
    return None


def alike(name: str, candidate: object, other: object) -> bool:
    """`candidate` says what `other` says: as names for a person's name (and no digit in it), else the same
    letters and digits (`handwriting.same_reading`; dates as dates)."""
    if name not in PERSON_NAMES:
        return same_reading(candidate, other)
    text = str(candidate)
    if any(ch.isdigit() for ch in text):
        return False
    core = normalise_name(text)
    return len(core.replace(" ", "")) >= MIN_LETTERS and core == normalise_name(str(other))
