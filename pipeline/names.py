"""Fuzzy comparison of Indonesian person names as printed on KTP, ijazah and health letters.

Before comparing, a name loses what documents add or spell differently: titles (H., HJ., DR., IR., ...) and
degrees (S.PD., S.KOM, A.MD., ...), punctuation and spacing, old spellings (OE, DJ, TJ), doubled letters,
the many forms of Muhammad (MOH., MOCH., MUH., M., ...) and common OCR digit-for-letter slips. The score is
0..1; what counts as a match is the rules file's business, not this module's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

# Titles written before a name (letters only, dots removed).
PREFIX_TITLES = frozenset(
    {"H", "HJ", "HAJI", "HAJAH", "DR", "DRS", "DRA", "IR", "PROF", "KH", "NY", "TN", "SDR", "SDRI", "RA", "RM"}
)
# Degrees written after a name (letters only, dots removed).
DEGREES = frozenset(
    {
        "SPD", "SPDI", "SPDSD", "SKOM", "SH", "SE", "ST", "SSOS", "SAG", "SKEP", "SKM", "SSI", "SIP", "SAP",
        "SHUT", "SFARM", "SKED", "SGZ", "SPSI", "SIKOM", "SSTP", "STP", "SHI", "SPT", "SKEB", "SSN", "SS",
        "SP", "STR", "STRKEP", "AMD", "AMA", "AMDKEP", "AMDKEB", "AMK", "AMKEB", "AMG", "AMDKES",
        "MPD", "MSI", "MM", "MKES", "MAG", "MKOM", "MT", "MH", "ME", "MA", "LC", "BA", "BSC", "MSC", "PHD",
        "SPOG", "SPA", "SPPD", "MPH", "DR", "IR",
    }
)
MUHAMMAD_FORMS = frozenset(
    {
        "MOH", "MOCH", "MOCHAMAD", "MOCHAMMAD", "MOHAMAD", "MOHAMMAD", "MOHAMMED", "MOHAMED", "MUH", "MUCH",
        "MUHAMAD", "MUHAMMAD", "MUHAMMED", "MUCHAMAD", "MUCHAMMAD", "MOHD", "MHD", "MUHD", "MOKH", "MOKHAMAD",
        "MOKHAMMAD", "MUKHAMAD", "MUKHAMMAD", "MUHAMMADH", "MOHAMAT", "MOCHAMAT", "M",
    }
)
# Other abbreviations of common name words.
SHORT_FORMS = {"ABD": "ABDUL", "ABDL": "ABDUL", "MOCHD": "MUHAMMAD"}
_OCR_DIGITS = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z", "4": "A", "7": "T"})
_GLUED_TITLE = re.compile(r"^\s*(H|HJ|DR|DRS|DRA|IR|KH|MOH|MOCH|MUH|M)\.[A-Z]{2}")
_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("SJ", "SY"), ("NJ", "NY"), ("CH", "KH"))


@dataclass(frozen=True)
class NameComparison:
    score: float  # 0..1
    a: str  # normalised forms, as compared
    b: str


def _letters(token: str) -> str:
    return re.sub(r"[^A-Z]", "", token)


def _is_degree(token: str) -> bool:
    """A degree token after a comma: a known one, or a short dotted abbreviation such as S.TR.KEB."""
    letters = _letters(token)
    return letters in DEGREES or ("." in token and len(letters) <= 8)


def _drop_degrees(text: str) -> str:
    """Remove degree segments after commas and degree tokens at the end."""
    parts = text.split(",")
    keep = [parts[0]] + [p for p in parts[1:] if not all(_is_degree(t) for t in p.split() if _letters(t))]
    tokens = " ".join(keep).split()
    while len(tokens) > 1 and "." in tokens[-1] and _letters(tokens[-1]) in DEGREES:
        tokens.pop()
    while len(tokens) > 1 and _letters(tokens[-1]) in DEGREES - {"MA", "SE", "ST", "SS", "ME", "SP"}:
        # without dots only the unambiguous ones (MA, SE, ... can be name parts)
        tokens.pop()
    return " ".join(tokens)


def normalise_name(name: str | None) -> str:
    """Upper-case words of a name without titles, degrees, punctuation; Muhammad forms -> MUHAMMAD."""
    text = unicodedata.normalize("NFKC", name or "").upper().translate(_OCR_DIGITS)
    text = re.sub(r"[^A-Z.,' ]+", " ", text)
    if _GLUED_TITLE.match(text):  # "H.AHMAD" -> "H. AHMAD"
        text = text.replace(".", ". ", 1)
    text = _drop_degrees(text)
    words = [_letters(t) for t in text.replace(".", " ").split()]
    words = [w for w in words if w]
    while len(words) > 1 and words[0] in PREFIX_TITLES:
        words.pop(0)
    return " ".join(_canonical_word(w) for w in words)


def _canonical_word(word: str) -> str:
    if word in MUHAMMAD_FORMS:
        return "MUHAMMAD"
    return SHORT_FORMS.get(word, word)


def _key(word: str) -> str:
    for old, new in _OLD_SPELLING:
        word = word.replace(old, new)
    word = word.replace("Q", "O")  # tesseract reads Q as O with high confidence (QOMARIYAH -> OOMARIYAH)
    return re.sub(r"(.)\1+", r"\1", word)


def _expand_initials(a: list[str], b: list[str]) -> list[str]:
    """Replace single-letter initials in `a` by the unused word of `b` that starts with that letter."""
    used: set[int] = set()
    out = []
    for w in a:
        if len(w) == 1:
            hit = next((i for i, v in enumerate(b) if i not in used and len(v) > 1 and v[0] == w), None)
            if hit is not None:
                used.add(hit)
                out.append(b[hit])
                continue
        out.append(w)
    return out


def compare_names(a: str | None, b: str | None) -> NameComparison:
    """Similarity 0..1 of two person names after normalisation (0 when either is empty)."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return NameComparison(0.0, na, nb)
    ka = [_key(w) for w in na.split()]
    kb = [_key(w) for w in nb.split()]
    ka, kb = _expand_initials(ka, kb), _expand_initials(kb, ka)
    sa, sb = " ".join(ka), " ".join(kb)
    score = max(fuzz.ratio(sa.replace(" ", ""), sb.replace(" ", "")), fuzz.token_sort_ratio(sa, sb))
    if min(len(ka), len(kb)) >= 2:
        # a middle name left out on one document: strong, but never a perfect match
        score = max(score, 0.9 * fuzz.token_set_ratio(sa, sb))
    if sa.replace(" ", "") != sb.replace(" ", ""):
        # Whole-string similarity is lenient for names that share common words (SITI, MUHAMMAD, NUR): every
        # word of the shorter name must also be close to its own word in the other, or it is another person.
        score = min(score, _weakest_word(ka, kb))
    return NameComparison(round(score / 100.0, 4), na, nb)


def _weakest_word(a: list[str], b: list[str]) -> float:
    """Score (0..100) of the worst-matched word, aligning the shorter name's words with the longer's.

    One wrong letter in a word of 4+ letters (two in 10+) is OCR noise and scores 90; more is another name.
    """
    if len(a) == len(b):
        return max(_align(a, b), _align(b, a))
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    # a word split or glued differently ("NURHALIZA" / "NUR HALIZA") is judged on the whole string instead
    return max(_align(short, long_), fuzz.ratio("".join(a), "".join(b)))


def _align(short: list[str], long_: list[str]) -> float:
    free = list(long_)
    worst = 100.0
    for w in short:
        scores = [_word_score(w, v) for v in free]
        if not scores:
            return 0.0
        best_i = max(range(len(scores)), key=scores.__getitem__)
        worst = min(worst, scores[best_i])
        free.pop(best_i)
    return worst


def _word_score(a: str, b: str) -> float:
    if a == b:
        return 100.0
    edits = Levenshtein.distance(a, b)
    allowed = 2 if min(len(a), len(b)) >= 10 else 1 if min(len(a), len(b)) >= 4 else 0
    return 90.0 if edits <= allowed else fuzz.ratio(a, b) * 0.85
