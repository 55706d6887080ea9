"""A KTP birth date that disagrees with the NIK is read once more (pipeline/reading/ktp/looks.reread_birth_date)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.reading.ktp.looks import reread_birth_date
from tests.unit.ocr_fakes import policy

NIK = "3523110801880003"  # made up: a man born 08-01-(19)88
BOX = (200, 40, 120, 20)


class _Engine:
    """Answers every read with one canned word (the region re-read), and records the whitelist."""

    name = "scripted"

    def __init__(self, text: str | None, conf: float = 0.95) -> None:
        self.text, self.conf, self.calls = text, conf, []

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        self.calls.append(whitelist)
        words = [] if self.text is None else [Word(self.text, self.conf, (10, 10, 100, 30))]
        return OcrPage(words=words, width=image.shape[1], height=image.shape[0])


def _fields(printed: date, conf: float = 0.78) -> dict[str, FieldValue]:
    return {"nik": FieldValue(NIK, 0.95, (200, 10, 300, 20), NIK),
            "tanggal_lahir": FieldValue(printed, conf, BOX, printed.strftime("%d-%m-%Y"))}


GRAY = np.full((120, 600), 255, np.uint8)


def test_agreeing_dates_are_not_read_again() -> None:
    engine = _Engine("08-01-1988")
    fields = _fields(date(1988, 1, 8))
    reread_birth_date(fields, GRAY, engine, policy())
    assert engine.calls == [] and fields["tanggal_lahir"].value == date(1988, 1, 8)


def test_a_well_read_reread_that_agrees_with_the_nik_replaces_the_first_reading() -> None:
    engine = _Engine("08-01-1988", conf=0.93)
    fields = _fields(date(1948, 1, 8))
    reread_birth_date(fields, GRAY, engine, policy())
    assert fields["tanggal_lahir"].value == date(1988, 1, 8)
    assert fields["tanggal_lahir"].confidence == 0.93
    assert engine.calls and "0123456789" in engine.calls[0]  # digits only


def test_a_weak_reread_changes_nothing() -> None:
    fields = _fields(date(1948, 1, 8))
    reread_birth_date(fields, GRAY, _Engine("08-01-1988", conf=0.6), policy())
    assert fields["tanggal_lahir"] == _fields(date(1948, 1, 8))["tanggal_lahir"]


def test_a_reread_that_confirms_the_print_leaves_the_disagreement_to_the_rules() -> None:
    """The NIK's date is never copied into the printed field; the two readings of the print agree, so the
    printed date keeps the stronger confidence (the policy's agreement rule) and `nik_consistent` decides."""
    fields = _fields(date(1948, 1, 8))
    reread_birth_date(fields, GRAY, _Engine("08-01-1948"), policy())
    assert fields["tanggal_lahir"] == replace(_fields(date(1948, 1, 8))["tanggal_lahir"], confidence=0.95)


def test_three_different_readings_make_the_date_doubtful() -> None:
    fields = _fields(date(1948, 1, 8), conf=0.9)
    reread_birth_date(fields, GRAY, _Engine("08-07-1948"), policy())
    assert fields["tanggal_lahir"].value == date(1948, 1, 8)
    assert fields["tanggal_lahir"].confidence <= policy().disagree_cap


def test_no_nik_or_unreadable_reread_is_left_alone() -> None:
    fields = _fields(date(1948, 1, 8))
    del fields["nik"]
    engine = _Engine("08-01-1988")
    reread_birth_date(fields, GRAY, engine, policy())
    assert engine.calls == []
    fields = _fields(date(1948, 1, 8))
    reread_birth_date(fields, GRAY, _Engine(None), policy())
    assert fields["tanggal_lahir"].value == date(1948, 1, 8)
