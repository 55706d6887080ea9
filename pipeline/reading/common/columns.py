"""Form rows that are not one "label : value" per line: the row reader's lines, re-cut.

* Two label/value pairs on one row ("Nama : BUDI      NIS : 1234") are split at the second label.
* Labels printed above their values, without colons ("Nama        NIS" / "BUDI        1234"): each label
  takes the words of the next line that sit under it, as if it read "Nama : BUDI", unless that line starts
  with a label of its own, even a garbled one (a label whose handwritten value OCR missed is alone on its line).
* A value that is itself a label of the document ("Nama | NIS", the neighbour column's label) is no value.
* A statement phrase after a value ("Satuan Pendidikan SMA X menerangkan bahwa:") starts a line of its own.

    split_rows(lines, labels) -> lines   # every line a reader's split_label can take at face value

Labels come from `config/vocab.yaml` (`labels.<doc type>`), statement phrases from `statement_phrases`.
Geometry is relative to word heights, never to a layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.context import FieldValue, Word
from pipeline.normalise import clean_text, find_dates, fold, load_vocab, squash
from pipeline.reading.common.birth import birth_fields
from pipeline.reading.common.lines import COLON_CHARS, Line, best_label, make_field, words_text

MIN_LABEL = 0.9  # a label inside a row must match closely (a fuzzy "NIS" would be found in many values)
MAX_LABEL_WORDS = 4
NEXT_LABEL = 0.85  # the line under a label row starts with a label this close: a row of its own
GAP = 2.0  # a second pair without a colon starts after a gap this many word heights wide
SEPARATE_BIRTH = ("tempat_lahir", "tanggal_lahir")  # label keys of birth place and date printed apart


@dataclass
class Span:
    start: int  # word index of the label's first word
    end: int  # one past its last word
    key: str
    score: float
    colon: bool  # the label ends with a colon, or one follows it


def _label_at(words: list[Word], k: int, labels: dict[str, list[str]]) -> Span | None:
    """The longest label starting at word k (each word without colons; a colon may close the last)."""
    best: Span | None = None
    for n in range(1, MAX_LABEL_WORDS + 1):
        part = words[k:k + n]
        if len(part) < n or any(ch in COLON_CHARS for w in part[:-1] for ch in w.text):
            break
        key_text = squash(" ".join(w.text for w in part))
        if not key_text:
            continue
        for key, spellings in labels.items():
            score = max(fuzz.ratio(key_text, squash(s)) for s in spellings) / 100.0
            if score >= MIN_LABEL and (best is None or n > best.end - best.start or score > best.score):
                colon = any(ch in COLON_CHARS for ch in part[-1].text) or (
                    k + n < len(words) and words[k + n].text.strip() in {":", ";"})
                best = Span(k, k + n, key, score, colon)
    return best


def label_spans(words: list[Word], labels: dict[str, list[str]]) -> list[Span]:
    """Labels found left to right, without overlaps."""
    out: list[Span] = []
    k = 0
    while k < len(words):
        span = _label_at(words, k, labels)
        if span is None:
            k += 1
            continue
        out.append(span)
        k = span.end
    return out


def is_label(words: list[Word], labels: dict[str, list[str]]) -> bool:
    """True when the words are nothing but labels (and colons): such a "value" is the next column's label."""
    rest = [w for w in words if w.text.strip(":;|") != ""]
    if not rest:
        return False
    spans = label_spans(rest, labels)
    return sum(s.end - s.start for s in spans) == len(rest)


def _gap_before(words: list[Word], k: int) -> float:
    prev, w = words[k - 1], words[k]
    return (w.box[0] - (prev.box[0] + prev.box[2])) / max(1, prev.box[3], w.box[3])


def _colon(after: Word) -> Word:
    x, y, _, h = after.box
    return Word(text=":", conf=after.conf, box=(x + after.box[2], y, 1, h), line=after.line, block=after.block)


def cut_statement(words: list[Word], phrases: list[str]) -> int | None:
    """Index where a statement phrase ("MENERANGKAN BAHWA") starts among `words`, if one does."""
    tokens = [re.sub(r"[^A-Z]", "", fold(w.text)) for w in words]
    for k in range(1, len(words)):
        for p in phrases:
            parts = p.split()
            got = "".join(tokens[k:k + len(parts)])
            if got and fuzz.ratio(got, "".join(parts)) >= 88:
                return k
    return None


def split_rows(lines: list[Line], labels: dict[str, list[str]]) -> list[Line]:
    """The lines, with rows of two pairs split, labels above values joined to them, statement phrases cut."""
    phrases = [fold(str(p)) for p in load_vocab().get("statement_phrases", [])]
    out: list[Line] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        if i in used:
            continue
        words = line.words
        spans = label_spans(words, labels)
        if not spans or spans[0].start != 0:
            out.append(line)
            continue
        if is_label(words, labels) and i + 1 < len(lines) and _just_below(line, lines[i + 1]) \
                and not _starts_with_label(lines[i + 1], labels):
            out.extend(_labels_above(words, spans, lines[i + 1]))
            used.add(i + 1)
            continue
        cuts = [s.start for s in spans[1:] if s.start > spans[0].end and (s.colon or _gap_before(words, s.start) >= GAP)]
        pieces, prev = [], 0
        for c in cuts:
            pieces.append(words[prev:c])
            prev = c
        pieces.append(words[prev:])
        for piece in pieces:
            head = _label_at(piece, 0, labels)
            value = piece[head.end:] if head is not None else []
            if head is not None and is_label(value, labels):
                piece = piece[:head.end]  # "Nama : NIS": the neighbour's label is no value
            cut = cut_statement(piece, phrases) if phrases else None
            if cut is not None and head is not None and cut >= head.end:
                out.extend([Line(piece[:cut]), Line(piece[cut:])])
            else:
                out.append(Line(piece))
    return out


def _starts_with_label(line: Line, labels: dict[str, list[str]]) -> bool:
    """The line's first one or two words are a label, as closely as a row's label without a colon must be
    (NEXT_LABEL; a value under a label row is a name, a number, a place: nothing like a label). Then the line is
    a row of its own, not the value of a label above it whose own value OCR missed ("Nama" over a hand it
    could not read, then "Tempat Lahlr  SAMPANG")."""
    if label_spans(line.words[:2], labels):
        return True
    return any(best_label(line.words[:n], labels)[1] >= NEXT_LABEL for n in (1, 2) if len(line.words) >= n)


def _just_below(upper: Line, lower: Line) -> bool:
    """The lower line starts below the upper one, within three of its word heights (a value under its label)."""
    h = max(w.box[3] for w in upper.words)
    return 0 < lower.top - upper.top <= 3 * h


def _labels_above(labels_row: list[Word], spans: list[Span], values: Line) -> list[Line]:
    """Each label with the words of the next line that start under it (up to the next label's start)."""
    out = []
    lefts = [labels_row[s.start].box[0] for s in spans]
    for n, s in enumerate(spans):
        h = labels_row[s.start].box[3]
        x0 = lefts[n] - h
        x1 = lefts[n + 1] - h if n + 1 < len(spans) else float("inf")
        label = labels_row[s.start:s.end]
        under = [w for w in values.words if x0 <= w.box[0] < x1]
        out.append(Line(label + [_colon(label[-1])] + under))
    return out


def birth_row(key: str, words: list[Word], trust: float) -> dict[str, FieldValue]:
    """A birth place or a birth date printed as its own row ("Tempat Lahir : X", "Tanggal Lahir : Y")."""
    text = words_text(words)
    if not text:
        return {}
    if key == "tanggal_lahir":
        dates = find_dates(text)
        return birth_fields(words, trust) if dates else {}
    place = clean_text(text).strip(" ,.-")
    if not any(ch.isalpha() for ch in place):
        return {}
    return {"tempat_lahir": make_field(place, words, validation=trust)}
