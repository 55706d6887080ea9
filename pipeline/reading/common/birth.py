"""Place and date of birth printed on one row ("MALANG, 19-08-2002"): KTP, ijazah and the ijazah's columns."""

from __future__ import annotations

from pipeline.context import FieldValue, Word
from pipeline.normalise import clean_text, find_dates
from pipeline.reading.common.lines import make_field, words_in_span, words_text


def birth_fields(words: list[Word], trust: float, *, caps_only: bool = False) -> dict[str, FieldValue]:
    """'MALANG, 19-08-2002' -> tempat_lahir + tanggal_lahir (the place is whatever precedes the date).

    `caps_only` (KTP, printed in capitals): the place is the run of all-capital words just before the
    date, so a garbled label left on the line ("Tempat! $ Late") stays out of it."""
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
    tokens = text[: d.start].split()
    k = len(tokens)
    if caps_only:
        while k > 0 and _capitals(tokens[k - 1]):
            k -= 1
    else:
        k = 0
    while k < len(tokens) and not any(ch.isalpha() for ch in tokens[k]):
        k += 1  # a place has letters: a colon read as "1", or a stray mark, is not part of it
    place = clean_text(" ".join(tokens[k:])).strip(" ,.")
    if place:
        start = len(" ".join(tokens[:k])) + (1 if k else 0)
        place_words = words_in_span(words, start, d.start) or list(words[:1])
        out["tempat_lahir"] = make_field(place, place_words, validation=trust)
    return out


def _capitals(token: str) -> bool:
    """A token printed in capitals (or bare punctuation between such tokens)."""
    if any(ch.islower() for ch in token):
        return False
    return any(ch.isalpha() for ch in token) or not any(ch.isalnum() for ch in token)
