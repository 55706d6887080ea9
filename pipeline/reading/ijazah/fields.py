"""Ijazah (school diploma): keyword-driven, since layouts differ by year, ministry and school type.

Fields come from labelled rows where the page has them ("Nama : ...", "NISN : ...") and from keywords in
running text otherwise ("menerangkan bahwa", "Tahun Pelajaran 2016/2017", the title's school type).
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.nlp import Nlp
from pipeline.normalise import (
    DIGIT_LOOKALIKES,
    clean_name,
    clean_text,
    digits_only,
    find_dates,
    fold,
    load_vocab,
    looks_like_name,
    squash,
)
from pipeline.reading.common.birth import birth_fields
from pipeline.reading.common.columns import SEPARATE_BIRTH, birth_row, cut_statement, split_rows
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
from pipeline.reading.confidence import ConfidencePolicy

# Diploma serials: "DN-05 Ma/13 0000001", "DN-05/M-SMA/13/0000001", "MA.02/11.02/PP.01.1/001/2016", "M-SMA/13 ...".
_D = r"[\dOoSsIlB]"  # a digit, or a letter OCR reads for one
SERIAL_PATTERNS = (
    re.compile(rf"\b[DO0]N\s*-?\s*{_D}{{2}}\s*[/ ]?\s*[A-Z]{{1,3}}(?:-[A-Z]{{2,4}})?\s*/\s*{_D}{{2}}\s*[/ ]?\s*{_D}{{5,8}}\b",
               re.I),
    re.compile(r"\bM[AT]S?\.\s*\d{2}(?:\s*/\s*[\w.]+){2,5}", re.I),
    re.compile(r"\b[A-Z]{1,3}-[A-Z]{2,4}/\d{2}/\d{5,8}\b", re.I),
)
SERIAL_DIGIT_SLIPS = set("OSILB")  # letters that, inside a numeric part of a serial, are misread digits
SCHOOL_START = re.compile(
    r"^(SMA|SMK|SMU|SMEA|STM|MA|MAN|MAS|MAK|SMAN|SMKN|SMAS|SMKS|SEKOLAH MENENGAH|MADRASAH ALIYAH|PKBM|SKB"
    r"|SD|SDN|SMP|SMPN|MTS|MTSN|MI|MIN|UNIVERSITAS|INSTITUT|SEKOLAH TINGGI|POLITEKNIK|AKADEMI)\b"
)


def extract_ijazah(ocr: OcrPage, nlp: Nlp, policy: ConfidencePolicy) -> dict[str, FieldValue]:
    labels: dict[str, list[str]] = load_vocab()["labels"]["ijazah"]
    lines = split_rows(visual_lines(ocr), labels)  # two pairs on a row, labels above values
    column = colon_x(lines)
    fields: dict[str, FieldValue] = {}
    for line in lines:
        hit = split_label(line, labels, column_x=column)
        if hit is None:
            continue
        words = until_gap(strip_value(hit.value_words))
        trust = min(1.0, hit.score + 0.1)
        for key, fv in _row(hit.key, words, trust).items():
            fields.setdefault(key, fv)  # the first labelled row wins (the holder comes before the parents)
    if "nama" not in fields:
        _name_from_statement(lines, fields)
    if "tanggal_lahir" not in fields:
        _birth_in_text(lines, fields)
    if "nisn" not in fields:
        _nisn_anywhere(lines, fields)
    if "nomor_ijazah" not in fields:
        _serial_anywhere(lines, fields)
    school_before_statement(lines, fields)  # "Kepala SMK X menerangkan bahwa"
    _school_agreement(fields, _school_in_text(lines), policy)
    _jenjang(lines, fields)
    _year(lines, fields, nlp)
    return fields


def _row(key: str, words: list[Word], trust: float) -> dict[str, FieldValue]:
    text = words_text(words)
    if not text:
        return {}
    if key == "nama":
        fv = name_field(words, trust, None)
        return {"nama": fv} if fv is not None else {}
    if key == "tempat_tgl_lahir":
        return birth_fields(words, trust)
    if key in SEPARATE_BIRTH:  # "Tempat Lahir" and "Tanggal Lahir" as rows of their own
        return birth_row(key, words, trust)
    if key == "nisn":
        return {"nisn": _nisn(words, trust)}
    if key == "nomor_ijazah":
        value, repaired = _clean_serial(text)
        return {"nomor_ijazah": make_field(value, words, validation=trust * (0.7 if repaired else 1.0))}
    if key == "nama_sekolah":
        return {"nama_sekolah": make_field(clean_text(text), words, validation=trust)}
    return {}


def name_field(words: list[Word], trust: float, nlp: Nlp | None) -> FieldValue | None:
    """The holder's name from a "nama" row (also used on a value region read again)."""
    text = form_name_text(words_text(words))
    return make_field(clean_name(text), words, validation=trust) if looks_like_name(text) else None


def _nisn(words: list[Word], trust: float) -> FieldValue:
    """10 digits. Noise beside them (a colon read as 1, underline marks) is cut only when one word holds
    exactly 10 digits, or 11 starting with a colon look-alike; anything else stays as read, low."""
    raw = " ".join(w.text for w in words)
    digits = digits_only(raw)
    if len(digits) != 10:
        for w in words:
            d = digits_only(w.text)
            if len(d) == 10:
                return make_field(d, [w], validation=0.8 * trust, raw=raw)
        first = words[0].text if words else ""
        if len(digits_only(first)) == 11 and first[0] in "1lI|i!":
            return make_field(digits_only(first[1:]), words[:1], validation=0.5 * trust, raw=raw)
    return make_field(digits or None, words, validation=trust if len(digits) == 10 else 0.3 * trust, raw=raw)


def _clean_serial(text: str) -> tuple[str, bool]:
    """A serial as printed, separators unspaced, plus whether digits had to be repaired: inside a part that
    holds digits, O/S/I/L/B are misread 0/5/1/1/8 ("PP.O1.1" -> "PP.01.1", "DN-OS" -> "DN-05")."""
    text = fold(text)
    text = re.sub(r"\s*([/.\-])\s*", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip(" :")
    text = re.sub(r"^[O0]N-", "DN-", text)
    parts = re.split(r"([/.\- ])", text)
    fixed = []
    for k, part in enumerate(parts):
        letters = {ch for ch in part if ch.isalpha()}
        numeric = any(ch.isdigit() for ch in part) or (k == 2 and parts[0] == "DN" and len(part) == 2)
        if numeric and letters and letters <= SERIAL_DIGIT_SLIPS:
            part = "".join(DIGIT_LOOKALIKES.get(ch, ch) for ch in part)
        fixed.append(part)
    out = "".join(fixed)
    return out, out != text


def _name_from_statement(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    """The holder's name in capitals after "menerangkan bahwa" (same line or the next)."""
    phrases = [str(p) for p in load_vocab()["statement_phrases"]]
    for i, line in enumerate(lines):
        folded = fold(line.text)
        if max(fuzz.partial_ratio(p, folded) for p in phrases) < 85:
            continue
        tail = _after_phrase(line.words, phrases)
        candidates = [tail] if tail and _mostly_caps(tail) else []
        candidates += [ln.words for ln in lines[i + 1:i + 3]]
        for words in candidates:
            if words and _mostly_caps(words) and looks_like_name(words_text(words)):
                fields["nama"] = make_field(clean_name(words_text(words)), words, validation=0.85)
                return


def _after_phrase(words: list[Word], phrases: list[str]) -> list[Word]:
    """Words after the last word of a statement phrase on the line ("... menerangkan bahwa: BUDI")."""
    last_words = {p.split()[-1] for p in phrases}
    for k in range(len(words) - 1, -1, -1):
        if fold(words[k].text).strip(":,.") in last_words:
            return [w for w in words[k + 1:] if w.text not in {":", ","}]
    return []


def _birth_in_text(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    """"lahir di Probolinggo, tanggal 15 Februari 1968": place between "lahir (di)" and the date."""
    for line in lines:
        folded = fold(line.text)
        if "LAHIR" not in folded:
            continue
        dates = find_dates(line.text)
        if not dates:
            continue
        d = dates[0]
        fields.setdefault("tanggal_lahir", make_field(d.value, words_in_span(line.words, d.start, d.end),
                                                     validation=0.85 * d.score, raw=line.text[d.start:d.end]))
        m = re.search(r"LAHIR\s*(?:DI)?\s*:?\s*(.*)", folded[: d.start])
        place = re.sub(r"\b(TANGGAL|TGL|PADA)\b\.?", " ", m.group(1)) if m else ""
        place = re.sub(r"^(?:[^A-Z\s]+\s+)+", "", clean_text(place)).strip(" ,.")  # "1 PACITAN": a colon as 1
        if place:  # replaces a place the labelled row gave without a date ("AGUSTUS 1988: 406")
            start = line.text.upper().find(place.split()[0])
            words = words_in_span(line.words, start, start + len(place)) if start >= 0 else line.words
            fields["tempat_lahir"] = make_field(place, words, validation=0.85)
        return


def _mostly_caps(words: list[Word]) -> bool:
    letters = [ch for w in words for ch in w.text if ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def _nisn_anywhere(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    for line in lines:
        text = line.text
        m = re.search(r"NISN\W*([\dOoIlSB ]{10,14})", text, re.I)
        if m:
            words = words_in_span(line.words, m.start(1), m.end(1))
            fields["nisn"] = _nisn(words, 0.8)
            return


def _serial_anywhere(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    for line in lines:
        for pat in SERIAL_PATTERNS:
            m = pat.search(line.text)
            if m:
                words = words_in_span(line.words, m.start(), m.end())
                value, repaired = _clean_serial(m.group())
                fields["nomor_ijazah"] = make_field(value, words, validation=0.6 if repaired else 0.9)
                return


def _school_in_text(lines: list[Line]) -> FieldValue | None:
    """A line that starts like a school's name ("SMA NEGERI 2 KEDIRI Tahun Pelajaran ..."), not the title's
    school type alone ("SEKOLAH MENENGAH ATAS")."""
    types = {k for k in load_vocab()["jenjang_keywords"]}
    for line in lines:
        text = re.split(r"\bTAHUN PELAJARAN\b|\bTAHUN AJARAN\b", fold(line.text))[0].strip(" ,.")
        if not SCHOOL_START.match(text) or len(text.split()) < 2 or "IJAZAH" in text:
            continue
        if re.sub(r"[^A-Z ]", "", text).strip() in types:
            continue
        words = words_in_span(line.words, 0, len(text))
        return make_field(clean_text(text), words, validation=0.8)
    return None


def _school_agreement(fields: dict[str, FieldValue], in_text: FieldValue | None, policy: ConfidencePolicy) -> None:
    """The school is printed twice (the "Nama Sekolah" row and the graduation sentence): the two readings are
    reconciled (`ConfidencePolicy.reconcile`, letters compared without spaces); when they agree, the spelling
    with more words is kept ("3NGAWI" lost a space)."""
    row = fields.get("nama_sekolah")
    merged = policy.reconcile(row, in_text, same=_same_letters)
    if merged is None:
        return
    if row is not None and in_text is not None and _same_letters(row.value, in_text.value):
        spaced = max((row, in_text), key=lambda fv: len(str(fv.value).split()))
        merged = replace(spaced, confidence=merged.confidence)
    fields["nama_sekolah"] = merged


def _same_letters(a: object, b: object) -> bool:
    return squash(str(a)) == squash(str(b))


def school_before_statement(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    """"Kepala SMK Negeri 3 Sumenep menerangkan bahwa:": the school named right before the statement
    phrase, from its first school-type word (SMA, SMK, MA, PKBM, ...). Only when no row gave the school."""
    if "nama_sekolah" in fields:
        return
    phrases = [fold(str(p)) for p in load_vocab().get("statement_phrases", [])]
    for line in lines:
        cut = cut_statement(line.words, phrases)
        if cut is None:
            continue
        for j in range(cut - 1):
            words = line.words[j:cut]
            text = clean_text(fold(words_text(words))).strip(" ,.:")
            if SCHOOL_START.match(text) and len(text.split()) >= 2:
                fields["nama_sekolah"] = make_field(text, words, validation=0.8)
                return


def _jenjang(lines: list[Line], fields: dict[str, FieldValue]) -> None:
    """School level from the title or the school name (longest keyword first, fuzzy for multi-word ones)."""
    table: dict[str, str] = load_vocab()["jenjang_keywords"]
    texts = [f" {re.sub(r'[^A-Z0-9 ]', ' ', fold(ln.text))} " for ln in lines]
    for key in sorted(table, key=len, reverse=True):
        for line, text in zip(lines, texts, strict=True):
            if " " in key:
                # partial_ratio aligns the shorter string: a line shorter than the key must not match inside it
                if len(text.strip()) < len(key):
                    continue
                score = fuzz.partial_ratio(key, text) / 100.0
                if score < 0.9:
                    continue
            elif f" {key} " not in text:
                continue
            else:
                score = 1.0
            fields["jenjang"] = make_field(table[key], line.words, validation=score)
            return


def _year(lines: list[Line], fields: dict[str, FieldValue], nlp: Nlp) -> None:
    """Graduation year: the school year's end ("2016/2017" -> 2017), else the year of the issue date."""
    for line in lines:
        for found in nlp.find(line.text, "TAHUN_AJAR"):
            year = int(re.findall(r"\d{4}", found.text)[-1])
            words = words_in_span(line.words, found.start_char, found.end_char)
            fields["tahun_lulus"] = make_field(year, words, validation=0.95)
            return
    birth = fields.get("tanggal_lahir")
    for line in reversed(lines):
        for d in find_dates(line.text):
            if birth is not None and d.value == birth.value:
                continue
            words = words_in_span(line.words, d.start, d.end)
            fields["tahun_lulus"] = make_field(d.value.year, words, validation=0.8 * d.score)
            return
