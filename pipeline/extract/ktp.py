"""KTP-el front side: header lines, then "label : value" rows found by fuzzy labels and line geometry."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.extract.lines import (
    Line,
    best_label,
    colon_x,
    make_field,
    split_colon,
    split_label,
    strip_value,
    visual_lines,
    words_in_span,
    words_text,
)
from pipeline.nik import decode_nik
from pipeline.normalise import clean_name, clean_text, digits_only, find_dates, fold, load_vocab, snap, squash

SNAPPED = {"agama", "status_perkawinan", "kewarganegaraan", "jenis_kelamin", "golongan_darah"}
PLAIN = {"alamat", "kel_desa", "kecamatan"}
ADDRESS_ABBR = re.compile(r"\b(JL|GG|DSN)\b(?!\.)")
HEADER_WORDS = {"provinsi": ("PROVINSI",), "kabupaten_kota": ("KABUPATEN", "KOTA", "KAB")}


def extract_ktp(ocr: OcrPage) -> dict[str, FieldValue]:
    labels: dict[str, list[str]] = load_vocab()["labels"]["ktp"]
    lines = visual_lines(ocr)
    column = colon_x(lines)
    fields: dict[str, FieldValue] = {}
    seen_rows = False
    for line in lines:
        hit = split_label(line, labels, column_x=column)
        if hit is None:
            if not seen_rows:
                _header(line, fields)
            continue
        seen_rows = True
        value_words = strip_value(hit.value_words)
        if hit.key != "jenis_kelamin":  # the blood group sits right of a wide gap on that line
            value_words = until_gap(value_words)
        trust = min(1.0, hit.score + 0.1)
        for key, fv in _row(hit.key, value_words, labels, trust).items():
            if key not in fields or fv.confidence > fields[key].confidence:
                fields[key] = fv
    return fields


def until_gap(words: Sequence[Word], factor: float = 2.5) -> list[Word]:
    """The value's words up to the first wide horizontal gap (text beyond it belongs to another column)."""
    out: list[Word] = []
    for w in words:
        if out:
            prev = out[-1]
            gap = w.box[0] - (prev.box[0] + prev.box[2])
            if gap > factor * max(prev.box[3], w.box[3]):
                break
        out.append(w)
    return out


def _header(line: Line, fields: dict[str, FieldValue]) -> None:
    words = line.words
    if not words:
        return
    head = squash(words[0].text)
    for key, starts in HEADER_WORDS.items():
        if key in fields:
            continue
        score = max(fuzz.ratio(head, s) for s in starts) / 100.0
        if score < 0.75:
            continue
        if key == "provinsi":
            rest = words[1:]
            value = clean_text(words_text(rest))
        else:
            rest = words
            kind = max(starts[:2], key=lambda s: fuzz.ratio(head, s))
            kind = "KABUPATEN" if kind == "KAB" else kind
            value = clean_text(" ".join([kind, words_text(words[1:])]))
        if len(value) > len(starts[0]) - 3:
            fields[key] = make_field(value, rest, validation=score)
        return


def _row(key: str, words: list[Word], labels: dict[str, list[str]], trust: float) -> dict[str, FieldValue]:
    text = words_text(words)
    if key == "nik":
        return {"nik": nik_field(words)}
    if key == "nama":
        return {"nama": make_field(clean_name(text), words, validation=trust)} if text else {}
    if key == "tempat_tgl_lahir":
        return birth_fields(words, trust)
    if key == "jenis_kelamin":
        return _sex_and_blood(words, labels, trust)
    if key == "rt_rw":
        return {"rt_rw": rt_rw_field(words, trust)}
    if key == "berlaku_hingga":
        return {"berlaku_hingga": _valid_until(words, trust)}
    if key == "pekerjaan":
        value, score = snap(text, "pekerjaan", min_score=0.9)
        return {"pekerjaan": make_field(value or clean_text(text), words, validation=trust)} if text else {}
    if key in SNAPPED:
        value, score = snap(text, key)
        return {key: make_field(value, words, validation=trust * score)} if text else {}
    if key == "alamat" and text:
        return {key: make_field(address_text(text), words, validation=trust)}
    if key in PLAIN and text:
        return {key: make_field(clean_text(text), words, validation=trust)}
    return {}


def address_text(text: str) -> str:
    """Upper case, with the dot of the usual abbreviations restored when OCR lost it (JL -> JL.)."""
    return ADDRESS_ABBR.sub(lambda m: m.group(1) + ".", clean_text(text))


def nik_field(words: list[Word]) -> FieldValue:
    """16 digits after repair; confidence drops when the length or the NIK's date part is wrong."""
    raw = "".join(w.text for w in words)
    nik = digits_only(raw)
    if len(nik) == 16:
        validation = 1.0 if decode_nik(nik) is not None else 0.5
    else:
        validation = 0.2
    return make_field(nik or None, words, validation=validation, raw=raw)


def birth_fields(words: list[Word], trust: float) -> dict[str, FieldValue]:
    """'MALANG, 19-08-2002' -> tempat_lahir + tanggal_lahir (the place is whatever precedes the date)."""
    text = words_text(words)
    dates = find_dates(text)
    out: dict[str, FieldValue] = {}
    if not dates:
        if text:
            out["tempat_lahir"] = make_field(clean_text(text.split(",")[0]), words, validation=trust * 0.5)
        return out
    d = dates[0]
    date_words = words_in_span(words, d.start, d.end)
    out["tanggal_lahir"] = make_field(d.value, date_words, validation=trust * d.score, raw=text[d.start:d.end])
    place = clean_text(text[: d.start]).strip(" ,.")
    if place:
        place_words = words_in_span(words, 0, d.start)
        out["tempat_lahir"] = make_field(place, place_words, validation=trust)
    return out


def _sex_and_blood(words: list[Word], labels: dict[str, list[str]], trust: float) -> dict[str, FieldValue]:
    """'LAKI-LAKI  Gol. Darah : O' on one line: split at the blood-group label."""
    blood_labels = {"golongan_darah": labels["golongan_darah"]}
    cut = None
    for k in range(len(words)):
        for n in (1, 2, 3):
            chunk = words[k:k + n]
            parts = split_colon(chunk)
            label_part = parts[0] if parts else chunk
            if label_part and best_label(label_part, blood_labels)[1] >= 0.75:
                cut = (k, k + n)
                break
        if cut:
            break
    out: dict[str, FieldValue] = {}
    sex_words = words if cut is None else words[: cut[0]]
    if sex_words:
        value, score = snap(words_text(sex_words), "jenis_kelamin")
        out["jenis_kelamin"] = make_field(value, sex_words, validation=trust * score)
    if cut is not None:
        rest = words[cut[0]:]
        parts = split_colon(rest)
        blood_words = parts[1] if parts else strip_value(words[cut[1]:])
        blood_words = [w for w in blood_words if w.text not in {":", ";"}]
        if blood_words:
            value, score = snap(words_text(blood_words[:1]), "golongan_darah")
            out["golongan_darah"] = make_field(value, blood_words[:1], validation=trust * score)
    return out


def rt_rw_field(words: list[Word], trust: float) -> FieldValue:
    raw = "".join(w.text for w in words)
    parts = [digits_only(p) for p in re.split(r"[/\\|]", raw) if digits_only(p)]
    if len(parts) != 2:
        digits = digits_only(raw)
        # 6 digits: the slash was lost; 7: the slash was read as 1 / l / I
        parts = {6: [digits[:3], digits[3:]], 7: [digits[:3], digits[4:]]}.get(len(digits), [])
    if len(parts) == 2 and all(len(p) <= 3 for p in parts):
        return make_field(f"{int(parts[0]):03d}/{int(parts[1]):03d}", words, validation=trust, raw=raw)
    return make_field(None, words, validation=0.2 * trust, raw=raw)


def _valid_until(words: list[Word], trust: float) -> FieldValue:
    text = words_text(words)
    value, score = snap(text, "berlaku_hingga", min_score=0.75)
    if value is not None:
        return make_field(value, words, validation=trust * score)
    dates = find_dates(text)
    if dates:
        return make_field(dates[0].value, words, validation=trust * dates[0].score)
    return make_field(fold(text) or None, words, validation=0.3 * trust)
