"""Turn OCR text into canonical values: dates, digit-only fields, closed vocabularies, names.

Every function is pure and tolerant: it returns None (or a low score) for text it cannot read; it never raises
on bad input. Vocabularies and month names are data (`config/vocab.yaml`), loaded once per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from config.settings import CONFIG_DIR

VOCAB_FILE = CONFIG_DIR / "vocab.yaml"

# Characters OCR confuses with digits. Applied only where a field can hold nothing but digits.
DIGIT_LOOKALIKES = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "°": "0",
    "I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "L": "1", "j": "1", "J": "1", "]": "1", "[": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5", "$": "5",
    "B": "8",
    "G": "6", "b": "6",
    "T": "7",
    "A": "4",
    "g": "9", "q": "9",
}
# The reverse, for words that must be letters (month names).
LETTER_LOOKALIKES = {"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z", "|": "I", "!": "I"}

SEPARATORS = re.compile(r"[\s\-/.,:;_'\"()]+")
BRACKETED_DATE = 0.5  # trust in a date with a bracket between its parts (<= the policy's disagree_cap: a test checks)
SPLIT_DAY = 0.5  # trust in a date whose day may have lost a digit to a space ("1 4-10-2023")
DATE_JOINERS = {"-", "/", "."}  # what joins a date's parts
TWO_DIGIT_PIVOT = 40  # "5-6-99" -> 1999, "12-12-23" -> 2023
MIN_YEAR, MAX_YEAR = 1900, 2100


@lru_cache(maxsize=4)
def load_vocab(path: Path = VOCAB_FILE) -> dict[str, Any]:
    """The vocabulary file, parsed once per process."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def fold(text: str | None) -> str:
    """NFKC, upper case, accents dropped from letters (the documents print plain Latin letters: an OCR "TÜBAN"
    is TUBAN), single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).upper()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)))
    return re.sub(r"\s+", " ", text).strip()


def caps_fix(text: str | None) -> str:
    """In text printed in capitals, OCR's lower-case l, digit 1, | and 0 stand for I and O."""
    if not text:
        return ""
    upper = sum(ch.isupper() for ch in text)
    lower = sum(ch.islower() for ch in text)
    if upper < lower:
        return text
    return text.translate(_CAPS_FIX)


_CAPS_FIX = str.maketrans({"l": "I", "|": "I", "1": "I", "0": "O", "!": "I"})


@lru_cache(maxsize=16384)
def squash(text: str | None) -> str:
    """Upper-case letters and digits only: the key used to compare labels. Cached: the readers compare every
    line's first words with every label's spellings (~15,000 calls a page, nearly all repeats)."""
    return _NOT_KEY.sub("", fold(text))


_NOT_KEY = re.compile(r"[^A-Z0-9]")


# ---- digits -------------------------------------------------------------------------------------


def repair_digits(text: str | None) -> str:
    """Map OCR look-alikes to digits and drop spaces; other characters stay (callers check isdigit)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return "".join(DIGIT_LOOKALIKES.get(ch, ch) for ch in text if not ch.isspace())


def digits_only(text: str | None) -> str:
    """The digits of `text` after repair, other characters dropped."""
    return "".join(ch for ch in repair_digits(text) if ch.isdigit())


def _as_number(chunk: str) -> str | None:
    """A chunk that reads as a number after repair (at least one real digit in it), else None."""
    if not any(ch.isdigit() for ch in chunk):
        return None
    fixed = repair_digits(chunk)
    return fixed if fixed.isdigit() else None


# ---- dates --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for month, names in load_vocab()["months"].items():
        for name in names:
            table[name] = int(month)
    return table


@lru_cache(maxsize=8192)
def month_number(word: str) -> tuple[int, float] | None:
    """The month a word names (Indonesian or English, full or abbreviated), with a 0..1 score. Cached: every
    word of every line is asked when dates are looked for."""
    key = "".join(LETTER_LOOKALIKES.get(ch, ch) for ch in fold(word))
    key = re.sub(r"[^A-Z]", "", key)
    if len(key) < 3:
        return None
    table = _month_table()
    if key in table:
        return table[key], 1.0
    if len(key) < 4:
        return None
    best = process.extractOne(key, [k for k in table if len(k) >= 4], scorer=fuzz.ratio)
    if best is None or best[1] < 75:
        return None
    return table[best[0]], best[1] / 100.0


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num" or "mon"
    value: int
    text: str
    start: int
    end: int
    score: float = 1.0


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    for chunk in SEPARATORS.split(text):
        start = text.find(chunk, pos) if chunk else pos
        pos = start + len(chunk)
        if not chunk:
            continue
        toks.extend(_chunk_tokens(chunk, start))
    return toks


def _chunk_tokens(chunk: str, start: int) -> list[_Tok]:
    mostly_letters = sum(ch.isalpha() for ch in chunk) >= 2 and sum(ch.isdigit() for ch in chunk) <= 1
    mon = month_number(chunk) if mostly_letters else None
    if mon is not None:
        return [_Tok("mon", mon[0], chunk, start, start + len(chunk), mon[1])]
    num = _as_number(chunk)
    if num is not None:
        return [_Tok("num", int(num), num, start, start + len(chunk))]
    # glued text such as "5Juni1999": split into letter and digit runs and retry each
    out: list[_Tok] = []
    for m in re.finditer(r"[A-Za-z]+|\d+", chunk):
        part = m.group()
        if part.isdigit():
            out.append(_Tok("num", int(part), part, start + m.start(), start + m.end()))
        else:
            mon = month_number(part)
            if mon is not None:
                out.append(_Tok("mon", mon[0], part, start + m.start(), start + m.end(), mon[1]))
    return out


def _year(tok: _Tok) -> int | None:
    if tok.kind != "num":
        return None
    if len(tok.text) == 4 and MIN_YEAR <= tok.value <= MAX_YEAR:
        return tok.value
    if len(tok.text) == 2:
        return 2000 + tok.value if tok.value < TWO_DIGIT_PIVOT else 1900 + tok.value
    return None


def _make(day: int, month: int, year: int | None) -> date | None:
    if year is None:
        return None
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):  # OCR digits can run to any length: "2001-99999999999999999999-05"
        return None


@dataclass(frozen=True)
class DateMatch:
    value: date
    start: int  # span in the input text
    end: int
    score: float  # 1.0 for a clean read, lower when a month name was snapped fuzzily


def find_dates(text: str | None) -> list[DateMatch]:
    """Every day-month-year date in `text`, in order (numeric, month-name, ISO and DDMMYYYY forms)."""
    if not text:
        return []
    toks = _tokens(text)
    out: list[DateMatch] = []
    i = 0
    while i < len(toks):
        found = _date_at(toks, i)
        if found is not None and _year_continues(toks, i, text):
            found = None  # "1 4-10-2023": not 01-04-(20)10; the date is the one ending in 2023, tried next
        if found is not None:
            if any(ch in "()" for ch in text[found.start : found.end]):
                # a bracket inside a date is a misread digit ("01/1)/2023" for 01/10/2023), not a separator
                found = replace(found, score=min(found.score, BRACKETED_DATE))
            if _split_day(toks, i, text, out):
                found = replace(found, score=min(found.score, SPLIT_DAY))
            out.append(found)
            i += 3
            continue
        compact = _compact_date(toks[i])
        if compact is not None:
            out.append(compact)
        i += 1
    return out


def _year_continues(toks: list[_Tok], i: int, text: str) -> bool:
    """The date at `i` ends in a short year that runs on into a four-digit number ("10-2023")."""
    year, nxt = toks[i + 2], toks[i + 3] if i + 3 < len(toks) else None
    return (year.kind == "num" and len(year.text) <= 2 and nxt is not None and nxt.kind == "num"
            and len(nxt.text) == 4 and text[year.end:nxt.start].strip() in DATE_JOINERS)


def _split_day(toks: list[_Tok], i: int, text: str, found: list[DateMatch]) -> bool:
    """A one-digit day right after another lone digit across a space ("1 4-10-2023"): the day may be 14."""
    if i == 0 or toks[i].kind != "num" or len(toks[i].text) != 1:
        return False
    before = toks[i - 1]
    if before.kind != "num" or len(before.text) != 1 or any(d.start <= before.start < d.end for d in found):
        return False
    return text[before.end:toks[i].start].isspace()


def _date_at(toks: list[_Tok], i: int) -> DateMatch | None:
    if i + 2 >= len(toks):
        return None
    a, b, c = toks[i], toks[i + 1], toks[i + 2]
    # ISO: 1999-06-05
    if a.kind == "num" and len(a.text) == 4 and b.kind == "num" and c.kind == "num" and len(c.text) <= 2:
        d = _make(c.value, b.value, _year(a))
        if d is not None:
            return DateMatch(d, a.start, c.end, 1.0)
    if a.kind != "num" or len(a.text) > 2:
        return None
    if b.kind == "num" and len(b.text) <= 2:
        month, score = b.value, 1.0
    elif b.kind == "mon":
        month, score = b.value, b.score
    else:
        return None
    d = _make(a.value, month, _year(c))
    return None if d is None else DateMatch(d, a.start, c.end, score)


def _compact_date(tok: _Tok) -> DateMatch | None:
    if tok.kind != "num" or len(tok.text) != 8:
        return None
    d = _make(int(tok.text[:2]), int(tok.text[2:4]), int(tok.text[4:]))
    if d is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        return None
    return DateMatch(d, tok.start, tok.end, 0.9)


def parse_date(text: str | None) -> date | None:
    """The first date in `text` ("05-06-1999", "5 Juni 1999", "5-6-99", "05 AGT 1999", ...) or None."""
    found = find_dates(text)
    return found[0].value if found else None


# ---- vocabularies -------------------------------------------------------------------------------


def snap(text: str | None, vocabulary: str, *, min_score: float = 0.7) -> tuple[str | None, float]:
    """The canonical value of a closed vocabulary closest to `text`, with a 0..1 score.

    Exact canonical values and known print spellings (aliases) score 1.0; otherwise a fuzzy ratio. Below
    `min_score` the value is None and the score says how close the best guess was.
    """
    vocab = load_vocab()["vocabularies"][vocabulary]
    if vocabulary == "golongan_darah":
        key = fold(text).strip(" :.")
    else:
        key = fold(caps_fix(text)).strip(" :.-")
    key = re.sub(r"\s*-\s*", "-", key)
    if not key:
        return None, 0.0
    canonical: list[str] = [str(c) for c in vocab["canonical"]]
    aliases: dict[str, str] = {str(k): str(v) for k, v in (vocab.get("aliases") or {}).items()}
    if key in canonical:
        return key, 1.0
    if key in aliases:
        return aliases[key], 1.0
    if vocabulary == "golongan_darah":
        return _snap_blood(key, canonical, aliases)
    choices = canonical + list(aliases)
    best = process.extractOne(key, choices, scorer=fuzz.ratio, processor=squash)
    if best is None:
        return None, 0.0
    value = aliases.get(best[0], best[0])
    score = best[1] / 100.0
    return (value, score) if score >= min_score else (None, score)


def _snap_blood(key: str, canonical: list[str], aliases: dict[str, str]) -> tuple[str | None, float]:
    """Blood groups are one or two letters: fuzzy ratios mean nothing, so only clean-up and look-ups."""
    key = re.sub(r"[^A-Z0-9+\-]", "", key)
    if key in canonical:
        return key, 0.9
    if key in aliases:
        return aliases[key], 0.8
    if key and set(key) <= {"-", "_", "~"}:
        return "-", 0.8
    return None, 0.0


# ---- names and free text ------------------------------------------------------------------------

LEADING_JUNK = ":;=-_~. »«|!*•>\"'“”‘’,([{"  # separators and stray marks OCR puts before a value
_NAME_JUNK = re.compile(r"[^A-Z0-9 .,'\-]")


def clean_text(text: str | None) -> str:
    """Upper case, single spaces, stray leading punctuation (colons, dashes) removed."""
    text = fold(text)
    text = text.lstrip(LEADING_JUNK).rstrip(":;=_~|» ")
    return re.sub(r"\s+", " ", text).strip()


def looks_like_name(raw: str | None) -> bool:
    """False for text that cannot be a person's name as printed on a form: no capital letter at all, a single
    letter (a table rule read as "L" or "I"), or a word of the form itself ("menerangkan bahwa", "PUSKESMAS")."""
    if not raw or not any(ch.isupper() for ch in raw) or sum(ch.isalpha() for ch in raw) < 2:
        return False
    words = set(re.findall(r"[A-Z]+", fold(raw)))
    return not words & {str(w) for w in load_vocab()["not_name_words"]}


def clean_name(text: str | None) -> str:
    """A person's name, upper case. Titles and their dots/commas stay (the rules engine handles them)."""
    text = (text or "").strip().lstrip(LEADING_JUNK)
    first, _, rest = text.partition(" ")
    if rest and not any(ch.isalpha() for ch in first):  # "2.0.1 MOH. SAHRI": the row's colon, garbled
        text = rest
    text = clean_text(caps_fix(text))
    text = _NAME_JUNK.sub("", text)
    # names hold no digits: a token without letters is OCR noise from a photo, stamp or frame, and one that is
    # half digits or more is a number beside the name ("5O83O", a NIS from the next column), not a misread name
    tokens = [t for t in text.split()
              if any(ch.isalpha() for ch in t) and sum(ch.isdigit() for ch in t) * 2 < sum(ch.isalnum() for ch in t)]
    # a dot after a whole word is a speck ("RAHMAWATI."); abbreviations (MOH., S.H.) are short or dotted inside
    tokens = [t[:-1] if re.fullmatch(r"[A-Z']{5,}\.", t) else t for t in tokens]
    return " ".join(tokens).strip(" ,-")
