"""Surat keterangan sehat: no national template, so keywords and labels, never positions.

Beyond the contract's fields, two extra ones feed the vitals check: `gula_darah` and `kolesterol`, each the
value as printed after its label ("98 MG/DL"); when the label is there but no number could be read, the
text as read (or None for a bare "-") with a low confidence. A field is absent when the letter does not mention it at all.
"""

from __future__ import annotations

import re
from datetime import date

from rapidfuzz import fuzz

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.nlp import Nlp
from pipeline.normalise import (
    DateMatch,
    clean_name,
    clean_text,
    find_dates,
    fold,
    load_vocab,
    looks_like_name,
    snap,
)
from pipeline.reading.common.lines import (
    Line,
    colon_x,
    form_name_text,
    make_field,
    split_label,
    strip_value,
    until_gap,
    visual_lines,
    words_in_span,
    words_text,
)
from pipeline.reading.surat_sehat.sentences import read_sentences
from pipeline.reading.surat_sehat.vitals import blood_pressure_field, bp_field, bp_value

TITLE = "SURAT KETERANGAN SEHAT"
DOCTOR_PREFIX = re.compile(r"^(DR|DRG)\b\.?", re.I)
PLACE_BEFORE = re.compile(r"[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){0,3},\s*$")  # "Kota Batu, " + date
BIRTH_WORDS = ("LAHIR", "TEMPAT", "TGL")
NUMBER = re.compile(r"\d{2,3}(?:[.,]\d)?")
def extract_surat_sehat(ocr: OcrPage, nlp: Nlp) -> dict[str, FieldValue]:
    labels: dict[str, list[str]] = load_vocab()["labels"]["surat_sehat"]
    lines = visual_lines(ocr)
    column = colon_x(lines)
    title_at = _title_index(lines)
    fields: dict[str, FieldValue] = {}
    after_statement = name_after = False
    birth_lines: set[int] = set()
    for i, line in enumerate(lines):
        folded = fold(line.text)
        if "MENERANGKAN" in folded or "MEMERIKSA" in folded:
            after_statement = True
        hit = split_label(line, labels, column_x=column) if i > title_at or title_at < 0 else None
        if hit is None:
            continue
        words = until_gap(strip_value(hit.value_words))
        trust = min(1.0, hit.score + 0.1)
        if hit.key == "tempat_tgl_lahir":
            birth_lines.add(i)
        elif hit.key == "nama":
            fv = _name(words, trust)
            if fv is not None and ("nama" not in fields or (after_statement and not name_after)):
                fields["nama"], name_after = fv, after_statement
        elif hit.key == "nomor_surat" and "nomor_surat" not in fields and any(
                ch.isdigit() for w in words for ch in w.text):  # a letter number holds digits ("No. | Pemeriksaan")
            fields["nomor_surat"] = make_field(_clean_number(words_text(words)), words, validation=trust)
        elif hit.key == "tekanan_darah":
            _blood_pressure(words, trust, nlp, fields)
        elif hit.key in ("gula_darah", "kolesterol"):
            _lab(hit.key, words, trust, nlp, fields)
        elif hit.key == "kesimpulan" and words:
            value, score = snap(words_text(words), "kesimpulan", min_score=0.8)
            if value is not None:
                fields["kesimpulan"] = make_field(value, words, validation=trust * score)
    if "tekanan_darah" not in fields:
        _blood_pressure_anywhere(lines, nlp, fields)
    if "kesimpulan" not in fields:
        _conclusion(lines[title_at + 1:], fields)
    _issuer(lines[: max(title_at, 0) + 1] if title_at >= 0 else lines[:6], nlp, fields)
    if "penerbit" not in fields:  # letterhead lost (logo, stamp): the body names it ("dokter pada Klinik X")
        _issuer(lines[title_at + 1:], nlp, fields, validation=0.8)
    _letter_date(lines, birth_lines, fields)
    read_sentences(lines[title_at + 1:], nlp, fields)  # running text: vitals, name; a birth date is no letter date
    return fields


def _title_index(lines: list[Line]) -> int:
    for i, line in enumerate(lines):
        if fuzz.partial_ratio(TITLE, fold(line.text)) >= 85 and len(fold(line.text)) < 2 * len(TITLE):
            return i
    return -1


def _clean_number(text: str) -> str:
    """Letter numbers as printed, slashes unspaced; a Roman month read with 1/l/| gets its I back (X1 -> XI)."""
    parts = re.sub(r"\s*/\s*", "/", clean_text(text)).split("/")
    roman = re.compile(r"^(?=.*[VX])[IVX1L|]{1,4}$")
    return "/".join(re.sub(r"[1L|]", "I", p) if roman.match(p) else p for p in parts)


def _name(words: list[Word], trust: float) -> FieldValue | None:
    """A name row, unless it is the doctor's (dr. ...). The caller prefers rows after "menerangkan"."""
    text = form_name_text(words_text(words))
    if not text or DOCTOR_PREFIX.match(text.strip()) or not looks_like_name(text):
        return None
    return make_field(clean_name(text), words, validation=trust)


def name_field(words: list[Word], trust: float, nlp: Nlp) -> FieldValue | None:
    """The holder's name from a value region read again (`pipeline.reading.common.reread`)."""
    return _name(words, trust)


def _blood_pressure(words: list[Word], trust: float, nlp: Nlp, fields: dict[str, FieldValue]) -> None:
    fields["tekanan_darah"] = blood_pressure_field(words, trust, nlp)


def _blood_pressure_anywhere(lines: list[Line], nlp: Nlp, fields: dict[str, FieldValue]) -> None:
    for line in lines:
        folded = fold(line.text)
        if "MMHG" not in folded.replace(" ", "") and "TEKANAN" not in folded:
            continue
        found = nlp.find(line.text, "BP")
        if found:
            words = words_in_span(line.words, found[0].start_char, found[0].end_char)
            fields["tekanan_darah"] = bp_field(bp_value(found[0].text), words, 0.8, line.text)
            return


def _lab(key: str, words: list[Word], trust: float, nlp: Nlp, fields: dict[str, FieldValue]) -> None:
    if key in fields and fields[key].value is not None:
        return
    raw = words_text(words)
    found = nlp.find(raw, "LAB")
    if found:
        used = words_in_span(words, found[0].start_char, found[0].end_char)
        fields[key] = make_field(clean_text(found[0].text), used, validation=trust, raw=raw)
        return
    m = NUMBER.search(raw)
    if m:
        used = words_in_span(words, m.start(), m.end())
        fields[key] = make_field(clean_text(raw[m.start():]), used, validation=0.8 * trust, raw=raw)
        return
    # no number: garbled text stays as read (something is shown, badly); a bare "-" means nothing shown
    text = clean_text(raw)
    value = text if any(ch.isalnum() for ch in text) else None
    fields[key] = make_field(value, words, validation=0.2 * trust, raw=raw)


def _conclusion(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    """SEHAT / TIDAK SEHAT from the statement ("dinyatakan SEHAT", "dalam keadaan TIDAK SEHAT")."""
    found: list[tuple[int, FieldValue]] = []
    for line in lines:
        tokens = [re.sub(r"[^A-Z]", "", fold(w.text)) for w in line.words]
        for k, tok in enumerate(tokens):
            score = fuzz.ratio(tok, "SEHAT") / 100.0
            if score < 0.8:
                continue
            negated = k > 0 and fuzz.ratio(tokens[k - 1], "TIDAK") >= 80
            partial = k > 0 and not negated and _part_of_tidak(tokens[k - 1])
            words = line.words[k - 1:k + 1] if negated or partial else line.words[k:k + 1]
            strength = 2 if any(t in fold(line.text) for t in ("DINYATAKAN", "KEADAAN", "KESIMPULAN")) else 1
            if partial:  # "DAK SEHAT": maybe TIDAK SEHAT read in part; kept as read, low, for a person
                found.append((strength, make_field(f"{tokens[k - 1]} SEHAT", words, validation=min(score, 0.5))))
                continue
            found.append((strength, make_field("TIDAK SEHAT" if negated else "SEHAT", words, validation=score)))
    if found:
        best = max(found, key=lambda sf: sf[0])[0]
        fields["kesimpulan"] = [fv for s, fv in found if s == best][-1]


def _part_of_tidak(token: str) -> bool:
    """A token that may be TIDAK read in part ("DAK", "IDAK", "TDA"); never a plain short word like "DAN"."""
    return len(token) >= 3 and (fuzz.ratio(token, "TIDAK") >= 60 or fuzz.partial_ratio(token, "TIDAK") >= 80)


def _issuer(header: list[Line], nlp: Nlp, fields: dict[str, FieldValue], *, validation: float = 1.0) -> None:
    """The facility in the letterhead (the line naming a Puskesmas / RS / klinik)."""
    for line in header:
        hits = nlp.find(line.text, "ISSUER")
        if hits:
            h = max(hits, key=lambda f: len(f.text))
            words = words_in_span(line.words, h.start_char, h.end_char)
            fields["penerbit"] = make_field(clean_text(h.text), words, validation=validation)
            return


def _letter_date(lines: list[Line], birth_lines: set[int], fields: dict[str, FieldValue]) -> None:
    """The date by the signature ("Pasuruan, 12 Desember 2023").

    Candidates are dates on lines that do not name a birth (no Lahir / Tempat / Tgl word, however garbled)
    and are not a dated row's value after a colon. A date right after "Place," (or on a "Tanggal" line)
    beats a bare one; among equals the latest date wins, since a letter is dated after the birth it
    records (a birth row whose label OCR lost still reads "Probolinggo, 23-01-1984"). Dates after today
    and the birth row's own date are never the letter's. A bare date keeps 0.8 of its trust."""
    birth_dates = {d.value for i in birth_lines for d in find_dates(lines[i].text)}
    today = date.today()
    best: tuple[int, date, int, Line, DateMatch] | None = None
    for i, line in enumerate(lines):
        text = line.text
        if i in birth_lines:
            continue
        for d in find_dates(text):
            before = text[: d.start]
            if d.value > today or d.value in birth_dates or _names_birth(before):
                continue
            if ":" in before and "TANGGAL" not in fold(before):
                continue  # a labelled row's value ("Tgl. Periksa : ..." may be; a birth row usually is)
            strength = 2 if PLACE_BEFORE.search(before) or "TANGGAL" in fold(before) else 1
            key = (strength, d.value, i, line, d)
            if best is None or key[:3] > best[:3]:
                best = key
    if best is None:
        return
    strength, _, _, line, d = best
    words = words_in_span(line.words, d.start, d.end)
    fields["tanggal_surat"] = make_field(d.value, words, validation=d.score * (1.0 if strength == 2 else 0.8))


def _names_birth(text: str) -> bool:
    """True when `text` holds a word of a birth label (LAHIR, TEMPAT, TGL), allowing OCR slips."""
    for token in re.findall(r"[A-Z]{3,}", fold(text)):
        if any(fuzz.partial_ratio(word, token) >= 85 for word in BIRTH_WORDS if len(token) >= len(word) - 1):
            return True
    return False
