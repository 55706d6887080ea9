"""Line geometry and fuzzy labels: the shared tools of every reader.

`visual_lines` rebuilds text lines from word boxes (tesseract often puts a form's label column and value
column in different blocks); `split_label` finds "label : value" on a line; `make_field` builds a FieldValue
whose confidence never exceeds what OCR gave.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from pipeline.context import Box, FieldValue, OcrPage, Word
from pipeline.normalise import squash

COLON_CHARS = ":;"
COLON_LOOKALIKES = {"1", "i", "l", "|", "!"}  # not "I": Balinese names start with it
ENUMERATOR = re.compile(r"^\(?(\d{1,2}|[a-h])[.)]$")  # "3." / "b)" numbering a table or list row
LEADER = re.compile(r"^[.\u2026_·]+$")  # dot leaders of a form ("........"), read as words
LEADER_RUN = re.compile(r"[.\u2026_·]{2,}")  # ... or glued to the value ("ROHMAH........", "..SYAIFUL")


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box | None:
        return union_box(self.words)

    @property
    def top(self) -> int:
        return min(w.box[1] for w in self.words)


def centre_in(b: Box, box: Box) -> bool:
    """The centre of box `b` lies inside `box`."""
    cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
    return box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]


def union_box(words: Iterable[Word]) -> Box | None:
    ws = list(words)
    if not ws:
        return None
    x0 = min(w.box[0] for w in ws)
    y0 = min(w.box[1] for w in ws)
    x1 = max(w.box[0] + w.box[2] for w in ws)
    y1 = max(w.box[1] + w.box[3] for w in ws)
    return (x0, y0, x1 - x0, y1 - y0)


def mean_conf(words: Sequence[Word]) -> float:
    return float(statistics.fmean(w.conf for w in words)) if words else 0.0


def _v_overlap(a: Word, b: Word) -> float:
    top = max(a.box[1], b.box[1])
    bottom = min(a.box[1] + a.box[3], b.box[1] + b.box[3])
    return max(0, bottom - top) / max(1, min(a.box[3], b.box[3]))


def visual_lines(ocr: OcrPage) -> list[Line]:
    """Text lines by geometry: OCR's own lines, joined left to right when they sit at the same height.

    OCR lines are kept whole (their baselines follow any skew); a later OCR line joins an earlier one when
    its first word overlaps the earlier line's last word vertically by half a word height and starts to
    its right.
    """
    atoms = [sorted(ln, key=lambda w: w.box[0]) for ln in ocr.lines() if ln]
    atoms = [[w for w in a if w.text.strip()] for a in atoms]
    atoms = [a for a in atoms if a]
    atoms.sort(key=lambda a: a[0].box[0])
    merged: list[list[Word]] = []
    for atom in atoms:
        first = atom[0]
        best, best_ov = None, 0.5
        for line in merged:
            last = line[-1]
            if first.box[0] < last.box[0] + last.box[2] - max(2, first.box[3] // 2):
                continue
            ov = _v_overlap(first, last)
            if ov > best_ov:
                best, best_ov = line, ov
        if best is None:
            merged.append(list(atom))
        else:
            best.extend(atom)
    lines = [Line(ws) for ws in merged]
    lines.sort(key=lambda ln: (ln.words[0].box[1] + ln.words[0].box[3] / 2, ln.words[0].box[0]))
    return lines


def _cut_word(w: Word, i: int, j: int) -> Word | None:
    """The characters [i:j] of a word, with a box shrunk in proportion (OCR gives no per-character boxes)."""
    text = w.text[i:j].strip()
    if not text:
        return None
    n = max(1, len(w.text))
    x, y, bw, bh = w.box
    x0 = x + int(bw * i / n)
    x1 = x + int(bw * j / n)
    return Word(text=text, conf=w.conf, box=(x0, y, max(1, x1 - x0), bh), line=w.line, block=w.block)


def split_colon(words: Sequence[Word]) -> tuple[list[Word], list[Word]] | None:
    """Words left and right of the first colon on a line (a colon glued to a word is cut out of it)."""
    for k, w in enumerate(words):
        pos = next((i for i, ch in enumerate(w.text) if ch in COLON_CHARS), -1)
        if pos < 0:
            continue
        left = list(words[:k])
        right = list(words[k + 1:])
        before = _cut_word(w, 0, pos)
        after = _cut_word(w, pos + 1, len(w.text))
        if before is not None:
            left.append(before)
        if after is not None:
            right.insert(0, after)
        return left, right
    return None


def colon_x(lines: Sequence[Line]) -> float | None:
    """The x of the colon column of a form (median over lines that show a colon), or None."""
    xs = []
    for ln in lines:
        for w in ln.words:
            pos = next((i for i, ch in enumerate(w.text) if ch in COLON_CHARS), -1)
            if pos >= 0:
                xs.append(w.box[0] + w.box[2] * (pos + 0.5) / max(1, len(w.text)))
                break
    return statistics.median(xs) if len(xs) >= 3 else None


@dataclass
class LabelHit:
    key: str  # the field key the label names
    score: float  # 0..1
    value_words: list[Word]
    label_words: list[Word]


def label_score(words: Sequence[Word], spellings: Sequence[str]) -> float:
    return _key_score(squash(" ".join(w.text for w in words)), spellings)


def _key_score(key: str, spellings: Sequence[str]) -> float:
    if not key:
        return 0.0
    return max(fuzz.ratio(key, squash(s)) for s in spellings) / 100.0


def best_label(words: Sequence[Word], labels: dict[str, list[str]]) -> tuple[str | None, float]:
    best, score = None, 0.0
    key = squash(" ".join(w.text for w in words))  # once, not once per label
    if not key:
        return best, score
    for label, spellings in labels.items():
        s = _key_score(key, spellings)
        if s > score:
            best, score = label, s
    return best, score


def split_label(line: Line, labels: dict[str, list[str]], *, column_x: float | None = None,
                min_score: float = 0.75, max_label_words: int = 5) -> LabelHit | None:
    """Which label a line starts with, and the words of its value.

    With a colon on the line, the label is everything left of it. Without one, the value starts at the
    form's colon column (`column_x`) when known, else after the first 1..5 words that match a label best.
    """
    words = line.words
    if len(words) > 1 and ENUMERATOR.match(words[0].text):  # "3. Tekanan Darah | 120/80": the row number
        words = words[1:]
    parts = split_colon(words)
    if parts is not None and parts[0] and len(parts[0]) <= max_label_words + 1:
        key, score = best_label(parts[0], labels)
        if key is not None and score >= min_score:
            return LabelHit(key, score, parts[1], parts[0])
    column_hit: LabelHit | None = None
    if column_x is not None:
        left = [w for w in words if w.box[0] + w.box[2] / 2 < column_x]
        right = [w for w in words if w.box[0] + w.box[2] / 2 >= column_x]
        # a colon OCR read as "1", "i" or "|" sits right on the column: it is not part of the value
        if right and right[0].text in COLON_LOOKALIKES and abs(right[0].box[0] - column_x) < right[0].box[3]:
            right = right[1:]
        if left and len(left) <= max_label_words + 1:
            key, score = best_label(left, labels)
            if key is not None and score >= max(min_score, 0.85):  # no colon seen: ask more of the label
                column_hit = LabelHit(key, score, right, left)
    best = _label_prefix(words, labels, min_score, max_label_words)
    # a table row off the form's colon column ("Kolesterol Total | 142" all left of it): the closer label wins
    if column_hit is not None and (best is None or best.score <= column_hit.score + 0.02):
        return column_hit
    return best


def _label_prefix(words: Sequence[Word], labels: dict[str, list[str]], min_score: float,
                  max_label_words: int) -> LabelHit | None:
    """The first 1..max_label_words words that match a label best, and the rest as the value."""
    best: LabelHit | None = None
    for k in range(1, min(max_label_words, len(words)) + 1):
        key, score = best_label(words[:k], labels)
        if key is None or score < max(min_score, 0.85):
            continue
        if best is None or score >= best.score:
            value = list(words[k:])
            # no colon on the line: a lone "1" / "|" right after the label is the colon (or a table rule)
            if len(value) > 1 and value[0].text in COLON_LOOKALIKES:
                value = value[1:]
            best = LabelHit(key, score, value, list(words[:k]))
    return best


def strip_value(words: Sequence[Word]) -> list[Word]:
    """Drop leading colons/dashes the OCR read as separate words, and dot leaders anywhere; letter-spaced
    text ("1 ... 2 ... 0 / 8 ... 0", a PDF text layer of a form filled over dot leaders) is joined up."""
    out = [w for w in words if not LEADER.match(w.text)]
    while out and re.fullmatch(r"[:;=\-_~.,|]+", out[0].text):
        out.pop(0)
    return join_spaced(out) if len(out) < len(words) else out


def join_spaced(words: Sequence[Word], min_run: int = 2) -> list[Word]:
    """Runs of `min_run`+ one-character words joined into one word (box = union, confidence = mean); a run
    breaks where letters meet digits or signs, so "1 2 0 / 8 0 m m H g" gives "120/80" and "mmHg"."""
    out: list[Word] = []
    run: list[Word] = []

    def emit(part: list[Word]) -> None:
        if len(part) >= min_run:
            box = union_box(part)
            assert box is not None
            out.append(Word(text="".join(w.text for w in part), conf=mean_conf(part), box=box,
                            line=part[0].line, block=part[0].block))
        else:
            out.extend(part)

    def flush() -> None:
        for part in _split_at_spaces(run):
            emit(part)
        run.clear()

    for w in words:
        if len(w.text) == 1:
            if run and run[-1].text.isalpha() != w.text.isalpha():
                flush()
            run.append(w)
            continue
        flush()
        out.append(w)
    flush()
    return out


def _split_at_spaces(run: list[Word]) -> list[list[Word]]:
    """A run of letter-spaced characters cut where the gap between two of them is a word space: wider than
    a fifth of the letter height and than twice the run's usual gap ("A R I F  H A R Y A N T O" is two
    words)."""
    if len(run) < 3:
        return [list(run)]
    gaps = [b.box[0] - (a.box[0] + a.box[2]) for a, b in zip(run, run[1:], strict=False)]
    usual = statistics.median(gaps)
    height = statistics.median(w.box[3] for w in run)
    parts, cur = [], [run[0]]
    for w, gap in zip(run[1:], gaps, strict=True):
        if gap > max(0.2 * height, 2 * max(usual, 0) + 2):
            parts.append(cur)
            cur = []
        cur.append(w)
    parts.append(cur)
    return parts


def words_text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def make_field(value: Any, words: Sequence[Word], *, validation: float = 1.0,
               raw: str | None = None) -> FieldValue:
    """A FieldValue: confidence = mean OCR confidence of the value words x validation (0..1), never more."""
    conf = mean_conf(words) if words else 0.0
    conf = max(0.0, min(1.0, conf * max(0.0, min(1.0, validation))))
    return FieldValue(value=value, confidence=round(conf, 4), box=union_box(words),
                      raw=raw if raw is not None else words_text(words))


def words_in_span(words: Sequence[Word], start: int, end: int) -> list[Word]:
    """Words of `words` whose characters overlap [start, end) of `words_text(words)`."""
    out, pos = [], 0
    for w in words:
        w_start, w_end = pos, pos + len(w.text)
        if w_start < end and w_end > start:
            out.append(w)
        pos = w_end + 1
    return out


def form_name_text(text: str) -> str:
    """A name as written on a form line, without the line's dot leaders ("..SYAIFUL", "ROHMAH.........").
    A single dot stays: it belongs to an abbreviation or a title ("ABD.", "S.KOM.")."""
    return " ".join(LEADER_RUN.sub(" ", text).split())


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
