"""Health letters written as running text ("... menerangkan bahwa Sdr. BUDI SANTOSO, lahir di Malang pada
tanggal 3 Mei 1990, ... didapatkan tekanan darah 120/80 mmHg, nadi 80 x/menit, gula darah sewaktu 98 mg/dL
dan kolesterol 174 mg/dL").

The body's lines are joined into one text (a phrase may wrap) and searched for keywords from
`config/vocab.yaml` (`labels.surat_sehat` for the vitals, `sentence_name_cues` for the holder's name,
`sentence_birth_words` for a birth date); what the row reader already found is never replaced, except a
letter date that the text shows to be a birth date.

    read_sentences(lines, nlp, fields)   # fills missing fields in place
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from pipeline.context import FieldValue, Word
from pipeline.nlp import Nlp
from pipeline.normalise import clean_name, clean_text, find_dates, fold, load_vocab, looks_like_name
from pipeline.reading.common.lines import Line, make_field, words_in_span, words_text
from pipeline.reading.surat_sehat.vitals import blood_pressure_field

VITALS = ("tekanan_darah", "gula_darah", "kolesterol")
VALUE_REACH = 5  # a vital's value starts within this many words after its keyword
NAME_WORDS = 6  # a name in a sentence is at most this many words
BIRTH_REACH = 7  # a date this many words or fewer after a birth word is a birth date
TRUST = 0.9  # a value found in running text: a little less sure than a labelled row
GARBLED_CUE = 66  # rapidfuzz ratio to a name cue for a word right after "bahwa" ("SIR" ~ "SDR")
LAB_VALUE = re.compile(r"(?<![\d/])(\d{2,3}(?:[.,]\d)?)\s*(mg\s*/\s*dl|mmol\s*/\s*l)?", re.I)
STOP = re.compile(r"[,;:]$")
DEGREE = re.compile(r"^[A-Z][A-Za-z]{0,3}\.(?:[A-Za-z]{1,4}\.?)*,?$")  # S.Pd., A.Md., S.Kom, Ir.


@dataclass
class Text:
    """The body as one string, with its words (`words_in_span` maps character spans back to words)."""

    words: list[Word]

    @property
    def text(self) -> str:
        return words_text(self.words)

    def tokens(self) -> list[str]:
        return [re.sub(r"[^A-Z0-9]", "", fold(w.text)) for w in self.words]


def read_sentences(lines: list[Line], nlp: Nlp, fields: dict[str, FieldValue]) -> None:
    """Vitals and the holder's name from running text where no row gave them; a letter date that is
    the holder's birth date (read from "lahir ... tanggal <date>") is dropped or replaced."""
    body = Text([w for ln in lines for w in ln.words])
    if not body.words:
        return
    vocab = load_vocab()
    for key in VITALS:
        if key not in fields or fields[key].value is None:
            for phrase in vocab["labels"]["surat_sehat"][key]:
                fv = _vital(body, key, phrase, nlp)
                if fv is not None:
                    fields[key] = fv
                    break
    if "nama" not in fields or fields["nama"].value is None:
        fv = sentence_name(body, [fold(c) for c in vocab.get("sentence_name_cues", [])])
        if fv is not None:
            fields["nama"] = fv
    _guard_letter_date(lines, body, [fold(b) for b in vocab.get("sentence_birth_words", ["LAHIR"])], fields)


def _find_phrase(tokens: list[str], phrase: str, min_ratio: int = 88) -> list[int]:
    """Indexes just after each place where `phrase` (folded, fuzzy) occurs among `tokens`."""
    parts = [re.sub(r"[^A-Z0-9]", "", p) for p in fold(phrase).split()]
    parts = [p for p in parts if p]
    n = len(parts)
    if not n:
        return []
    target = "".join(parts)
    short = len(target) <= 3  # "TD", "GDS": exact only
    out = []
    for i in range(len(tokens) - n + 1):
        got = "".join(tokens[i:i + n])
        if got == target or (not short and fuzz.ratio(got, target) >= min_ratio):
            out.append(i + n)
    return out


def _vital(body: Text, key: str, phrase: str, nlp: Nlp) -> FieldValue | None:
    tokens = body.tokens()
    for end in _find_phrase(tokens, phrase):
        after = body.words[end:end + VALUE_REACH]
        if not after:
            continue
        if key == "tekanan_darah":
            fv = blood_pressure_field(after, TRUST, nlp)
            if fv.value is not None:
                return fv
            continue
        raw = words_text(after)
        m = LAB_VALUE.search(raw)
        if m and m.start() <= len(after[0].text) + 1:  # the number comes right after the keyword
            used = words_in_span(after, m.start(), m.end())
            return make_field(clean_text(m.group().upper().replace(" ", "")), used,
                              validation=TRUST if m.group(2) else 0.8 * TRUST, raw=raw)
    return None


def sentence_name(body: Text, cues: list[str]) -> FieldValue | None:
    """The name after a cue ("Sdr.", "Saudari", "Tn."), up to a comma or a lower-case word."""
    tokens = body.tokens()
    for k, tok in enumerate(tokens):
        if tok not in cues and not _garbled_cue(tokens, k, cues):
            continue
        taken: list[Word] = []
        closed = False  # a comma ended the name: only academic titles may follow ("BUDI, S.Pd.,")
        for w in body.words[k + 1:k + 1 + NAME_WORDS]:
            letters = [ch for ch in w.text if ch.isalpha()]
            if closed and not DEGREE.match(w.text):
                break
            if not letters or (letters[0].islower() and taken and not closed):
                break
            taken.append(w)
            closed = bool(STOP.search(w.text))
        text = " ".join(w.text for w in taken).rstrip(",;:")
        if taken and looks_like_name(text):
            return make_field(clean_name(text), taken, validation=TRUST)
    return None


def _garbled_cue(tokens: list[str], k: int, cues: list[str]) -> bool:
    """A cue that OCR garbled ("Sir." for "Sdr."), trusted only right after "bahwa", where the letter names
    its holder (elsewhere a short word like the doctor's "dr." would pass for one)."""
    tok = tokens[k]
    if k == 0 or tokens[k - 1] != "BAHWA" or not 2 <= len(tok) <= 6:
        return False
    return max((fuzz.ratio(tok, cue) for cue in cues), default=0) >= GARBLED_CUE


def _birth_dates(body: Text, birth_words: list[str]) -> set:
    """Dates that follow a birth word closely ("lahir di Malang pada tanggal 3 Mei 1990")."""
    text = body.text
    tokens = body.tokens()
    starts, pos = [], 0
    for w in body.words:
        starts.append(pos)
        pos += len(w.text) + 1
    births = set()
    for d in find_dates(text):
        k = max((i for i, s in enumerate(starts) if s <= d.start), default=0)
        before = tokens[max(0, k - BIRTH_REACH):k]
        if any(fuzz.ratio(t, b) >= 85 for t in before for b in birth_words if len(t) >= len(b) - 1):
            births.add(d.value)
    return births


def _guard_letter_date(lines: list[Line], body: Text, birth_words: list[str],
                       fields: dict[str, FieldValue]) -> None:
    """A letter date equal to a birth date of the text is the wrong date: the latest other date by a
    place ("Sukun, 12 Mei 2023") or after "tanggal" takes its place, else the field is dropped (review)."""
    letter = fields.get("tanggal_surat")
    if letter is None:
        return
    births = _birth_dates(body, birth_words)
    if letter.value not in births:
        return
    best: tuple | None = None
    for line in lines:
        for d in find_dates(line.text):
            if d.value in births:
                continue
            before = fold(line.text[: d.start])
            if re.search(r"[A-Z]\s*,\s*$", before) or before.rstrip().endswith("TANGGAL"):
                key = (d.value, line, d)
                if best is None or key[0] > best[0]:
                    best = key
    if best is None:
        del fields["tanggal_surat"]
        return
    _, line, d = best
    fv = make_field(d.value, words_in_span(line.words, d.start, d.end), validation=d.score * 0.9)
    fields["tanggal_surat"] = replace(fv, confidence=min(fv.confidence, letter.confidence))
