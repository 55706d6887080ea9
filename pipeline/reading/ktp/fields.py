"""KTP-el front side: header lines, then "label : value" rows found by fuzzy labels and line geometry."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from pipeline.context import FieldValue, OcrPage, Word
from pipeline.nik import decode_nik
from pipeline.normalise import (
    clean_name,
    clean_text,
    digits_only,
    find_dates,
    fold,
    load_vocab,
    looks_like_name,
    snap,
    squash,
)
from pipeline.reading.common.birth import birth_fields
from pipeline.reading.common.lines import (
    COLON_LOOKALIKES,
    LabelHit,
    Line,
    best_label,
    colon_x,
    make_field,
    split_colon,
    split_label,
    strip_value,
    until_gap,
    visual_lines,
    words_text,
)

SNAPPED = {"agama", "status_perkawinan", "kewarganegaraan", "jenis_kelamin", "golongan_darah"}
PLAIN = {"alamat", "kel_desa", "kecamatan"}
ADDRESS_ABBR = re.compile(r"\b(JL|GG|DSN)\b(?!\.)")
ROW_ORDER = ("nik", "nama", "tempat_tgl_lahir", "jenis_kelamin", "alamat", "rt_rw", "kel_desa", "kecamatan",
             "agama", "status_perkawinan", "pekerjaan", "kewarganegaraan", "berlaku_hingga")
INFERRED_TRUST = 0.6
SELF_NAMING_TRUST = 0.95  # a row placed by order whose value is exactly its slot's vocabulary (see _inferred_trust)
COLON_LETTERS = {"I", "l", "i"}  # a colon read as a letter ("I. AINUL MAULANA"), on the colon column only
HEADER_WORDS = {"provinsi": ("PROVINSI",), "kabupaten_kota": ("KABUPATEN", "KOTA", "KAB")}


def extract_ktp(ocr: OcrPage) -> dict[str, FieldValue]:
    labels: dict[str, list[str]] = load_vocab()["labels"]["ktp"]
    lines = visual_lines(ocr)
    column = colon_x(lines)
    fields: dict[str, FieldValue] = {}
    seen_rows = False
    rows: list[tuple[Line, LabelHit | None]] = []  # lines below the header, with their label (None: unlabelled)
    province_below: float | None = None  # a "PROVINSI" line without the name: its validation score
    for line in lines:
        hit = split_label(line, labels, column_x=column)
        if hit is None:
            if not seen_rows and province_below is not None and _province_name(line, fields, province_below):
                province_below = None
                continue
            if not seen_rows:
                is_header, province_below = _header(line, fields)
                if is_header:
                    continue
            if seen_rows or "provinsi" in fields or "kabupaten_kota" in fields:
                rows.append((line, None))
            continue
        seen_rows = True
        rows.append((line, hit))
    rows = _out_of_order_labels(rows)
    for _line, hit in rows:
        if hit is None:
            continue
        value_words = drop_colon_mark(strip_value(hit.value_words), column)
        if hit.key != "jenis_kelamin":  # the blood group sits right of a wide gap on that line
            value_words = until_gap(value_words)
        trust = min(1.0, hit.score + 0.1)
        for key, fv in _row(hit.key, value_words, labels, trust).items():
            if key not in fields or fv.confidence > fields[key].confidence:
                fields[key] = fv
    _rows_by_order([(line, hit.key if hit else None) for line, hit in rows], labels, fields, ocr.width, column)
    return fields


def drop_colon_mark(words: list[Word], column: float | None) -> list[Word]:
    """Without the first word when it is the row's colon misread as a digit, sign or I ("2 WNI", "1 ISLAM",
    "I. AINUL"): one or two such characters standing on the form's colon column, with more words after it. Kept
    in the value, its low confidence would make a clean value look doubtful."""
    if column is None or len(words) < 2:
        return words
    first = words[0]
    text = first.text
    letter = any(ch.isalpha() for ch in text)
    if len(text) > 2 or (letter and text.rstrip(".:") not in COLON_LETTERS):
        return words
    centre = first.box[0] + first.box[2] / 2
    # an I is a letter too ("I KETUT" after the colon): only one right on the colon column goes
    reach = max(first.box[3], 1) * (0.5 if letter else 1.0)
    return words[1:] if abs(centre - column) <= reach else words


def _order(key: str | None) -> int | None:
    key = "jenis_kelamin" if key == "golongan_darah" else key
    return ROW_ORDER.index(key) if key in ROW_ORDER else None


def _out_of_order_labels(rows: list[tuple[Line, LabelHit | None]]) -> list[tuple[Line, LabelHit | None]]:
    """A label claimed by two lines (a garbled "Nama" read as "lama" matches "Alamat"): the line that sits
    out of the card's row order (after a later row's label or before an earlier one's) loses its label and
    is placed by order like any unlabelled row."""
    keys = [hit.key if hit else None for _, hit in rows]
    out = list(rows)
    for key in {k for k in keys if k is not None and keys.count(k) > 1 and _order(k) is not None}:
        want = _order(key)
        assert want is not None
        fits = []
        for i, k in enumerate(keys):
            if k != key:
                continue
            before = [o for j in range(i) if keys[j] not in (None, key) and (o := _order(keys[j])) is not None]
            after = [o for j in range(i + 1, len(keys))
                     if keys[j] not in (None, key) and (o := _order(keys[j])) is not None]
            fits.append((i, all(o < want for o in before) and all(o > want for o in after)))
        if any(ok for _, ok in fits):
            for i, ok in fits:
                if not ok:
                    out[i] = (rows[i][0], None)
    return out


def _rows_by_order(rows: list[tuple[Line, str | None]], labels: dict[str, list[str]],
                   fields: dict[str, FieldValue], page_width: int, column: float | None = None) -> None:
    """Rows whose label OCR lost take the slot after the previous row, in the card's fixed row order.

    Only plausible values are kept (a date in the birth row, a vocabulary hit for agama, ...), with
    INFERRED_TRUST: a faint or low-DPI card keeps its values but never looks certain.
    """
    pos = -1
    starts = sorted(line.words[0].box[0] for line, key in rows if key is not None)
    row_x = starts[len(starts) // 2] if starts else None  # where labelled rows start
    # top to bottom: OCR may list a card's rows out of order (a block of values before a block of others)
    for line, key in sorted(rows, key=lambda r: _middle_y(r[0])):
        if key is None and row_x is not None and _right_column(line, row_x, page_width):
            continue  # the issue place/date beside the photo, not a row
        if key is not None:
            key = "jenis_kelamin" if key == "golongan_darah" else key
            pos = ROW_ORDER.index(key) if key in ROW_ORDER else pos
            continue
        words = drop_colon_mark([w for w in line.words if w.text.strip(":;|!")], column)
        # a colon read as 1 / | and a label OCR garbled (labels are Title Case, values CAPITALS) go
        while words and (words[0].text in COLON_LOOKALIKES or _garbled_label(words[0].text)):
            words = words[1:]
        if sum(ch.isalnum() for w in words for ch in w.text) < 2:
            continue
        pos += 1
        if pos >= len(ROW_ORDER):
            return
        slot = ROW_ORDER[pos]
        words = _without_label_remnant(slot, words, labels)
        value_words = words if slot == "jenis_kelamin" else until_gap(words)
        found = _row(slot, value_words, labels, _inferred_trust(slot, value_words))
        if slot == "tempat_tgl_lahir" and "tanggal_lahir" not in found:
            continue
        for k, fv in found.items():
            if k not in fields and _plausible(k, fv.value):
                fields[k] = fv


def _without_label_remnant(slot: str, words: list[Word], labels: dict[str, list[str]]) -> list[Word]:
    """A closed-vocabulary row whose label OCR cut down to its first letters ("K : WNI" for Kewarganegaraan):
    the remnant goes, but only when the words after it are exactly one of the slot's values."""
    if slot not in SNAPPED or len(words) < 2:
        return words
    head = squash(words[0].text)
    if not head or not any(squash(label).startswith(head) for label in labels.get(slot, [])):
        return words
    value, score = snap(words_text(words[1:]), slot)
    return words[1:] if value is not None and score >= 1.0 else words


def _inferred_trust(slot: str, words: list[Word]) -> float:
    """Trust in a row placed by order. A value that is exactly one of its own slot's closed vocabulary (WNI,
    ISLAM, BELUM KAWIN) names the row by itself: only the reading's own confidence counts."""
    if slot in SNAPPED:
        value, score = snap(words_text(words), slot)
        if value is not None and score >= 1.0 and squash(words_text(words)) == squash(str(value)):
            return SELF_NAMING_TRUST
    return INFERRED_TRUST


def _garbled_label(text: str) -> bool:
    """A label's remnant (labels are Title Case, values CAPITALS): lower case and no digit (a garbled NIK,
    "35143)bb2104", is a value)."""
    return any(ch.islower() for ch in text) and not any(ch.isdigit() for ch in text)


def _middle_y(line: Line) -> float:
    ys = sorted(w.box[1] + w.box[3] / 2 for w in line.words)
    return ys[len(ys) // 2] if ys else 0.0


def _right_column(line: Line, row_x: int, page_width: int) -> bool:
    """A line that starts far right of where the rows' labels start (the issue place and date, at the
    photo's side), measured as a share of the room between that start and the page edge."""
    return line.words[0].box[0] > row_x + 0.5 * max(1, page_width - row_x)


def _plausible(key: str, value: object) -> bool:
    if value is None:
        return False
    if key == "nik":
        return isinstance(value, str) and len(value) == 16
    if isinstance(value, str) and key in ("nama", "alamat", "kel_desa", "kecamatan", "pekerjaan", "tempat_lahir"):
        letters = sum(ch.isalpha() for ch in value)
        return letters >= 3 and letters >= 0.6 * sum(ch.isalnum() for ch in value)
    return True


def _header(line: Line, fields: dict[str, FieldValue]) -> tuple[bool, float | None]:
    """PROVINSI X / KABUPATEN Y / KOTA Z header lines: (whether the line was one, and for a "PROVINSI" alone
    on its line, whose name is printed below it, the label's score; else None)."""
    words = line.words
    if not words:
        return False, None
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
            if not rest:
                return True, score
        else:
            rest = words
            kind = max(starts[:2], key=lambda s: fuzz.ratio(head, s))
            kind = "KABUPATEN" if kind == "KAB" else kind
            value = clean_text(" ".join([kind, words_text(words[1:])]))
        if len(value) > len(starts[0]) - 3:
            fields[key] = make_field(value, rest, validation=score)
            return True, None
    return False, None


def _province_name(line: Line, fields: dict[str, FieldValue], score: float) -> bool:
    """The line below a lone "PROVINSI" is the province's name, unless it is already the kabupaten/kota line."""
    words = line.words
    if not words or max(fuzz.ratio(squash(words[0].text), s) for s in HEADER_WORDS["kabupaten_kota"]) >= 75:
        return False
    value = clean_text(words_text(words))
    if len(value) < 4:
        return False
    fields["provinsi"] = make_field(value, words, validation=score)
    return True


def _row(key: str, words: list[Word], labels: dict[str, list[str]], trust: float) -> dict[str, FieldValue]:
    text = words_text(words)
    if key == "nik":
        return {"nik": nik_field(words)}
    if key == "nama":
        return {"nama": make_field(clean_name(text), words, validation=trust)} if looks_like_name(text) else {}
    if key == "tempat_tgl_lahir":
        return birth_fields(words, trust, caps_only=True)
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
    text = re.sub(r"\bNO\s*[,:;]\s*(?=\d)", "NO. ", clean_text(text))  # "NO, 105": a comma read for a dot
    return ADDRESS_ABBR.sub(lambda m: m.group(1) + ".", text)


def nik_field(words: list[Word]) -> FieldValue:
    """16 digits after repair; confidence drops when the length or the NIK's date part is wrong."""
    raw = "".join(w.text for w in words)
    nik = digits_only(raw)
    if len(nik) == 16:
        validation = 1.0 if decode_nik(nik) is not None else 0.5
    else:
        validation = 0.2
    return make_field(nik or None, words, validation=validation, raw=raw)


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
    slip = 1.0
    if len(parts) == 2 and len(parts[0]) == 4 and raw[:1] in COLON_LOOKALIKES:  # "1013/008": a colon read as 1
        parts, slip = [parts[0][1:], parts[1]], 0.8
    if len(parts) == 2 and all(len(p) <= 3 for p in parts):
        return make_field(f"{int(parts[0]):03d}/{int(parts[1]):03d}", words, validation=trust * slip, raw=raw)
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
