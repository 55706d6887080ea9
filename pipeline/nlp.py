"""The one spaCy pipeline of Berkas: a blank Indonesian tokenizer plus rule matchers, built once per process.

No statistical model: KTP, ijazah and health letters are forms, so token rules (Matcher) and phrase lists
(PhraseMatcher, from `config/vocab.yaml`) find the values; rapidfuzz handles OCR noise in labels elsewhere.

Match labels (see `find`):
    BP          blood pressure "120/80" (optionally "mmHg")
    LAB         a lab value "98 mg/dL", "180 mg / dl"
    DOCTOR      "dr. Siti Aminah" / "drg. ..." (the signer, never the patient)
    ISSUER      a facility word (PUSKESMAS, RSUD, KLINIK, ...) followed by its name
    YEAR        a four-digit year 1950..2099
    TAHUN_AJAR  a school year "2016/2017"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import spacy
from spacy.lang.id import Indonesian
from spacy.lang.id._tokenizer_exceptions_list import ID_BASE_EXCEPTIONS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from pipeline.normalise import load_vocab


@dataclass(frozen=True)
class Found:
    label: str
    text: str
    start_char: int
    end_char: int


@dataclass
class Nlp:
    """The spaCy pipeline with Berkas's rule matchers. Build with `build_nlp()`, once per process."""

    spacy: Language
    matcher: Matcher
    phrases: PhraseMatcher

    def find(self, text: str, label: str) -> list[Found]:
        """Non-overlapping matches of `label` in `text`, in order."""
        doc = self.spacy.make_doc(text)
        if label == "ISSUER":
            return self._issuers(doc)
        strings = self.spacy.vocab.strings
        spans = spacy.util.filter_spans([doc[s:e] for m, s, e in self.matcher(doc) if strings[m] == label])
        return [Found(label, sp.text, sp.start_char, sp.end_char) for sp in sorted(spans, key=lambda x: x.start)]

    def _issuers(self, doc: Doc) -> list[Found]:
        """A facility word and the capitalised words after it ("PUSKESMAS PURWOREJO", "RSUD dr. Soedarsono",
        "Klinik Al-Hikmah"); an address word (Jl., Telp, No.) or a lower-case word ends it."""
        out = []
        for sp in spacy.util.filter_spans([doc[s:e] for _, s, e in self.phrases(doc)]):
            end = sp.end
            while end < len(doc):
                tok = doc[end].text
                if tok.strip(".").upper() in _ADDRESS_WORDS:
                    break
                if _NAME_TOKEN.match(tok):
                    end += 1
                elif tok in _JOINERS and end + 1 < len(doc) and doc[end + 1].text[:1].isalnum() \
                        and doc[end + 1].text.strip(".").upper() not in _ADDRESS_WORDS:
                    end += 2  # "Al-hikmah": the joiner and the word after it
                else:
                    break
            span = doc[sp.start:end]
            text = span.text.rstrip(".-' ")
            out.append(Found("ISSUER", text, span.start_char, span.start_char + len(text)))
        return out


_JOINERS = {".", "-", "'"}
_ADDRESS_WORDS = {"JL", "JLN", "JALAN", "TELP", "TELEPON", "NO", "KODE", "POS", "EMAIL", "FAX"}
_NAME_TOKEN = re.compile(r"^[A-Z0-9][\w.'-]*$|^dr\.?$")


def _is_reduplication(orth: str) -> bool:
    """One of spaCy's ~16,000 Indonesian exceptions for hyphenated reduplications ("anak-anak" and its
    case variants), which keep such a word one token instead of word, hyphen, word."""
    return "-" in orth and orth.lower() in _REDUPLICATIONS


_REDUPLICATIONS = frozenset(e.lower() for e in ID_BASE_EXCEPTIONS if "-" in e)


class FormIndonesian(Indonesian):
    """spaCy's Indonesian (its prefix, suffix and infix rules, its abbreviations such as "Dr." or "Jan.")
    without the hyphenated reduplication exceptions. Adding those special cases was 95% of the build (4-5 s
    of CPU per process, measured with cProfile on `spacy.blank("id")`), and no rule here looks at a
    reduplicated word: BP, LAB, YEAR and TAHUN_AJAR are numbers, and an ISSUER name takes a hyphen and the
    word after it whether they come as one token or three."""

    class Defaults(Indonesian.Defaults):  # type: ignore[misc,valid-type]  # spaCy types Defaults as a variable
        tokenizer_exceptions = {k: v for k, v in Indonesian.Defaults.tokenizer_exceptions.items()
                                if not _is_reduplication(k)}


def build_nlp() -> Nlp:
    """The Indonesian tokenizer (`FormIndonesian`) with the matchers below: call once per process."""
    nlp = FormIndonesian()
    matcher = Matcher(nlp.vocab)
    num23 = {"TEXT": {"REGEX": r"^\d{2,3}$"}}
    unit = {"LOWER": {"IN": ["mmhg", "mm"]}, "OP": "?"}
    matcher.add("BP", [
        [num23, {"ORTH": "/"}, num23, unit],
        [{"TEXT": {"REGEX": r"^\d{2,3}/\d{2,3}$"}}, unit],
    ])
    value = {"TEXT": {"REGEX": r"^\d{2,3}([.,]\d)?$"}}
    matcher.add("LAB", [
        [value, {"LOWER": {"IN": ["mg", "mg/dl", "mgdl"]}}, {"ORTH": "/", "OP": "?"},
         {"LOWER": "dl", "OP": "?"}],
        [value, {"LOWER": {"IN": ["mmol", "mmol/l"]}}],
    ])
    matcher.add("DOCTOR", [
        [{"LOWER": {"IN": ["dr", "dr.", "drg", "drg."]}}, {"ORTH": ".", "OP": "?"},
         {"IS_ALPHA": True, "IS_LOWER": False, "OP": "+"}],
    ], greedy="LONGEST")
    matcher.add("YEAR", [[{"TEXT": {"REGEX": r"^(19[5-9]\d|20\d\d)$"}}]])
    matcher.add("TAHUN_AJAR", [
        [{"TEXT": {"REGEX": r"^(19|20)\d\d$"}}, {"ORTH": "/"}, {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}],
        [{"TEXT": {"REGEX": r"^(19|20)\d\d/(19|20)\d\d$"}}],
    ])
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    issuers = [str(k) for k in load_vocab()["issuer_keywords"]]
    phrases.add("ISSUER_WORD", [nlp.make_doc(k.lower()) for k in issuers])
    return Nlp(spacy=nlp, matcher=matcher, phrases=phrases)
