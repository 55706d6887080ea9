"""The KTP's own second looks: the NIK by template matching, and the birth date against the NIK's date part.

Both reconcile two readings through the confidence policy (`ConfidencePolicy.reconcile`):

* the NIK: the OCR's reading and the template reader's (`nik_reader.read_nik`). The template reader's doubt
  (`uncertain`, or digits that are no valid NIK) is already in its confidence, so only a weak OCR reading
  may be set aside; when both read 16 digits that differ, the more plausible one (a valid NIK from a sure
  template reader) is kept, capped;
* the birth date, when it disagrees with the NIK's date part: read once more, digits only. A re-read that the
  NIK corroborates replaces the printed reading (a digit the first reading got wrong, e.g. 1988 read 1948 on
  a low-DPI card); one that the NIK does not corroborate and that differs from the printed reading leaves the
  printed value, capped. A re-read below the re-read trigger would itself need another look: it is no
  evidence either way. The NIK's date is never copied in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from pipeline.context import FieldValue
from pipeline.nik import decode_nik
from pipeline.normalise import find_dates
from pipeline.ocr.base import OcrEngine
from pipeline.ocr.regions import read_region
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.ktp.nik_reader import NikReading, read_nik
from pipeline.reading.protocol import PRIMARY, Look

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NikTemplates:
    """Second look: the NIK read by template matching, reconciled with the OCR's reading."""

    key: str = "nik"
    engine: str = PRIMARY  # the template reader's own digit second opinion
    name: str = "nik_templates"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        ocr_nik = look.fields.get(self.key)
        reading = read_nik(look.image, ocr_nik.box if ocr_nik else None, engine=look.tools.engine_named(self.engine))
        merged = merge_nik(ocr_nik, reading, look.policy)
        if merged is not None:
            look.fields[self.key] = merged


@dataclass(frozen=True)
class BirthDateAgainstNik:
    """Second look: a printed birth date that disagrees with the NIK's date part is read once more."""

    engine: str = PRIMARY
    name: str = "birth_date_against_nik"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        reread_birth_date(look.fields, look.image, look.tools.engine_named(self.engine), look.policy)


def merge_nik(ocr: FieldValue | None, reading: NikReading, policy: ConfidencePolicy) -> FieldValue | None:
    """One NIK from the OCR's reading and the template reader's (see the module docstring)."""
    if reading.digits is None:
        return ocr
    ocr_nik = ocr if ocr is not None and isinstance(ocr.value, str) and re.fullmatch(r"\d{16}", ocr.value) else None
    reader_conf = min(reading.digit_conf) if reading.digit_conf else 0.0
    if reading.uncertain:
        reader_conf = policy.doubt(FieldValue(reading.digits, reader_conf)).confidence
    if decode_nik(reading.digits) is None:
        reader_conf *= 0.5
    raw = ocr.raw if ocr is not None else reading.digits
    ocr_box = ocr.box if ocr is not None else None
    box = (ocr_box or reading.box) if ocr_nik is not None else (reading.box or ocr_box)
    template = FieldValue(reading.digits, round(reader_conf, 4), box, raw)
    reader_ok = not reading.uncertain and decode_nik(reading.digits) is not None

    def plausible(first: FieldValue, second: FieldValue) -> FieldValue:
        return second if reader_ok or decode_nik(str(first.value)) is None else first

    merged = policy.reconcile(ocr_nik, template, choose=plausible, dismiss_weak="first")
    if ocr_nik is not None and merged is not None and merged.value == reading.digits == ocr_nik.value:
        merged = replace(merged, box=box, raw=raw)  # agreement: the OCR's box and text as evidence
    if ocr_nik is not None and ocr_nik.value != reading.digits:
        log.debug("NIK readers disagree on %d digits",
                  sum(a != b for a, b in zip(str(ocr_nik.value), reading.digits, strict=True)))
    return merged


def reread_birth_date(fields: dict[str, FieldValue], gray: np.ndarray, engine: OcrEngine,
                      policy: ConfidencePolicy) -> None:
    """The printed birth date against the NIK's date part (see the module docstring)."""
    born, nik = fields.get("tanggal_lahir"), fields.get("nik")
    info = decode_nik(nik.value) if nik is not None and isinstance(nik.value, str) else None
    if info is None or born is None or born.box is None or not isinstance(born.value, date):
        return
    if same_day(born.value, info.birth_date):
        return
    words = read_region(engine, gray, born.box, digits=True, whitelist="-/.")
    found = find_dates(" ".join(w.text for w in words))
    if not words or not found:
        return
    again = replace(born, value=found[0].value, confidence=round(min(w.conf for w in words) * found[0].score, 4))
    if policy.needs_reread(again):
        return
    merged = policy.reconcile(born, again, choose=lambda printed, _: printed, dismiss_weak="none",
                              corroborated=lambda day: same_day(day, info.birth_date))
    if merged is not None:
        fields["tanggal_lahir"] = merged
    log.debug("birth date re-read: agrees with NIK=%s", same_day(again.value, info.birth_date))


def same_day(a: date, b: date) -> bool:
    """Same day, month and two-digit year (the NIK does not print the century)."""
    return (a.day, a.month, a.year % 100) == (b.day, b.month, b.year % 100)
