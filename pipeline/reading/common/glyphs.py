"""Q or O? A second look at the glyphs of a name, from the pixels.

tesseract's `ind` model reads a capital Q as O (or G, 0, @) with high confidence, and sometimes drops a
leading Q altogether: ROZIQIN -> ROZIOIN, ROFIQOH -> ROFIGOH, QOMARIYAH -> @OMARIYAH / OMARIYAH. The
language model has seen few Q's in Indonesian text; the glyph itself is not ambiguous. A Q is a bowl with a
tail: the tail crosses the lower right of the bowl and hangs below the baseline of its neighbours, so the
glyph's lowest ink sits right of its centre. An O (and G, 0) is round at the bottom: it ends on the baseline
(a small optical overshoot at most) with its lowest ink centred.

This works on connected components of the word's box, so it is the same for every engine (tesserocr,
pytesseract, fakes): no symbol boxes needed. A component is matched to a letter only when the word splits
into exactly as many glyph-sized components as it has letters; otherwise the word is left alone. Each
decision is three-way: Q on clear evidence, O on clear evidence, and "unsure" in between, which the caller
turns into a lower field confidence (never a guess).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from enum import Enum

import cv2
import numpy as np

from pipeline.context import Box, FieldValue, OcrPage, Word
from pipeline.normalise import clean_name
from pipeline.ocr.base import as_gray
from pipeline.reading.common.lines import words_text
from pipeline.reading.confidence import ConfidencePolicy
from pipeline.reading.protocol import Look

log = logging.getLogger(__name__)

ROUND_READINGS = frozenset("O0G@Q")  # what a printed Q has been read as (and Q itself, to confirm it)
# Evidence thresholds, in units of the cap height of the word's other letters. A Q's tail hangs 0.10-0.30
# below the baseline in the sans and serif faces tried (DejaVu, Liberation, bold or not); round letters
# overshoot by 0.00-0.04. The lowest ink of a Q sits 0.15+ of the glyph's width right of its centre.
Q_DESCENT, O_DESCENT = 0.08, 0.05
Q_SHIFT, O_SHIFT = 0.12, 0.12
INK_LEVELS = (0.0, 0.25, 0.45)  # thresholds tried in turn until the word splits into one component per letter
MIN_CAP_PX = 8  # below this the tail is a pixel or two: no decision
RULE_HEIGHT = 1.4  # a component this many cap heights tall left of a name is a rule, not a dropped letter
BOTTOM_BAND = 0.12  # the lowest share of the glyph's height whose ink gives its bottom position


class Shape(Enum):
    Q = "Q"
    ROUND = "round"
    UNSURE = "unsure"


@dataclass(frozen=True)
class WordCheck:
    text: str  # the word's text with the glyph evidence applied
    unsure: bool  # a round-looking letter that could not be told Q or O


@dataclass(frozen=True)
class _Comp:
    x: int
    y: int
    w: int
    h: int
    mask: np.ndarray  # the component's own pixels, h x w, bool

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2.0


def check_word(gray: np.ndarray, word: Word, *, leading: bool = False, left_limit: int | None = None) -> WordCheck:
    """The word's text after looking at its round glyphs.

    `leading` also looks just left of the word (not left of `left_limit`, the previous word's right edge)
    for a letter-sized glyph that OCR dropped: a Q there is restored, anything else makes the word unsure.
    """
    text = word.text
    candidates = [i for i, ch in enumerate(text) if ch in ROUND_READINGS]
    if not candidates and not leading:
        return WordCheck(text, False)
    letters = [i for i, ch in enumerate(text) if ch.isalnum() or ch == "@"]
    # blurred print runs letters together at Otsu's threshold; a darker threshold thins the strokes apart
    for level in INK_LEVELS:
        comps, origin_x = _components(gray, word.box, extend_left=leading, level=level)
        x0 = word.box[0] - origin_x
        inside = [c for c in comps if x0 <= c.cx <= x0 + word.box[2]]
        if len(inside) >= len(letters):
            break
    if len(inside) < 2:
        return WordCheck(text, False)
    if len(inside) == len(letters):
        result = _paired(text, candidates, dict(zip(letters, inside, strict=True)), inside)
    else:  # touching or broken glyphs: letters and components cannot be paired one to one
        result = _unpaired(text, candidates, letters, inside, x0, word.box[2])
    if leading:
        limit = -1 if left_limit is None else left_limit - origin_x
        left = [c for c in comps if c.cx < x0 and c.x > limit]
        if left:
            q = _dropped_leading(left[-1], inside, x0)
            if q is not None:
                result = WordCheck("Q" + result.text, result.unsure) if q else WordCheck(result.text, True)
    return result


def _paired(text: str, candidates: list[int], by_char: dict[int, _Comp], inside: list[_Comp]) -> WordCheck:
    ref = [c for i, c in by_char.items() if text[i] not in ROUND_READINGS and text[i] != "J"] or inside
    line = _line_metrics(ref)
    if line.cap < MIN_CAP_PX:
        return WordCheck(text, False)
    chars = list(text)
    unsure = False
    for i in candidates:
        shape = glyph_shape(by_char[i], line=line, read_as=text[i])
        if shape is Shape.Q:
            chars[i] = "Q"
        elif shape is Shape.UNSURE or (shape is Shape.ROUND and chars[i] in "Q@"):
            unsure = True  # "@" is no letter; a Q read where the pixels show no tail is doubtful
    return WordCheck("".join(chars), unsure)


def _dropped_leading(c: _Comp, inside: list[_Comp], x0: int) -> bool | None:
    """True: a Q sits just left of the word; False: some other letter-sized glyph does; None: nothing there."""
    line = _line_metrics(inside)
    if line.cap < MIN_CAP_PX:
        return None
    gap = x0 - (c.x + c.w)
    if gap > 0.6 * line.cap or abs(c.y - line.top_at(c.cx)) > 0.2 * line.cap or c.h < 0.7 * line.cap:
        return None
    if c.h > RULE_HEIGHT * line.cap:
        return None  # taller than any letter of the line: a table's rule or a frame, not a dropped glyph
    return glyph_shape(c, line=line) is Shape.Q


def glyph_shape(c: _Comp, *, line: TextLine, read_as: str = "O") -> Shape:
    """Q, round (O/G/0) or unsure, from how far the glyph hangs below the baseline and where its lowest ink is.

    Both are measured against the line fitted through the neighbours (a photographed or skewed word has a
    sloping baseline: its last letter sits lower and its lowest ink lies downhill). A glyph on the baseline is
    round. Its lowest ink may sit right of centre only when it was read as G (the spur): an O-reading with an
    off-centre bottom and no descent could be a Q whose tail stops at the baseline.
    """
    cap = line.cap
    if abs(c.y - line.top_at(c.cx)) > 0.25 * cap or c.h < 0.75 * cap:
        return Shape.UNSURE  # not a capital's height at the capitals' top: not a glyph we can judge
    ys, xs = np.nonzero(c.mask)
    if xs.size == 0:
        return Shape.UNSURE
    depth = (c.y + ys + 1) - (line.base + line.slope * (c.x + xs + 0.5 - line.x))
    drop = float(depth.max())  # in pixels, with a pixel's tolerance below: medians of small print land on halves
    low = xs[depth >= drop - max(1.0, BOTTOM_BAND * c.h)]
    shift = (float(low.mean()) + 0.5 - c.w / 2.0) / c.w
    if drop >= max(Q_DESCENT * cap, 1.5) and shift >= Q_SHIFT:
        return Shape.Q
    if drop <= max(O_DESCENT * cap, 1.25) and (shift <= O_SHIFT or read_as == "G"):
        return Shape.ROUND
    return Shape.UNSURE


def _bottom_shift(c: _Comp) -> float | None:
    """Where the glyph's lowest ink sits, from its centre, in glyph widths (+ right, - left); None: no ink."""
    rows = max(1, int(round(BOTTOM_BAND * c.h)))
    _, xs = np.nonzero(c.mask[c.h - rows:, :])
    if xs.size == 0:
        return None
    return (float(xs.mean()) + 0.5 - c.w / 2.0) / c.w


@dataclass(frozen=True)
class TextLine:
    """Cap height, and the baseline and cap line of a word as straight lines through x (crop pixels)."""

    cap: float
    x: float  # where `base` and `top` are measured
    base: float
    top: float
    slope: float  # dy/dx of both lines

    def top_at(self, x: float) -> float:
        return self.top + self.slope * (x - self.x)

    def base_at(self, x: float) -> float:
        return self.base + self.slope * (x - self.x)


MAX_SLOPE = 0.15  # ~8.5 degrees: more is no line of one word after deskewing


def _line_metrics(ref: list[_Comp]) -> TextLine:
    """The line through reference glyphs: median cap height; the slope fitted through their bottoms and tops
    (least squares, when 3+ glyphs spread along x), base and top at their mean x."""
    cap = float(np.median([c.h for c in ref]))
    xs = np.array([c.cx for c in ref], dtype=float)
    mid = float(xs.mean())
    slope = 0.0
    if len(ref) >= 3 and float(np.ptp(xs)) > cap:
        ys = np.array([(c.bottom + c.y) / 2.0 for c in ref], dtype=float)
        slope = float(np.clip(np.polyfit(xs - mid, ys, 1)[0], -MAX_SLOPE, MAX_SLOPE))
    base = float(np.median([c.bottom - slope * (c.cx - mid) for c in ref]))
    top = float(np.median([c.y - slope * (c.cx - mid) for c in ref]))
    return TextLine(cap, mid, base, top, slope)


def _unpaired(text: str, candidates: list[int], letters: list[int], comps: list[_Comp], x0: int,
              width: int) -> WordCheck:
    """Touching or broken glyphs: a Q-shaped component is placed on a round reading only when the choice is
    clear (the word's only round reading, or the one at the same position by count and by x); any other
    tail-like or unjudgeable round glyph makes the word unsure."""
    round_idx = [i for i in candidates if text[i] != "Q"]
    if not round_idx:
        return WordCheck(text, False)
    line = _line_metrics(comps)
    if line.cap < MIN_CAP_PX:
        return WordCheck(text, False)
    shapes = [glyph_shape(c, line=line) for c in comps]
    # a J's hook (lowest ink left of centre) hangs too, but is no Q
    tails = [k for k, c in enumerate(comps)
             if c.bottom - line.base_at(c.cx) >= Q_DESCENT * line.cap
             and not ("J" in text and (_bottom_shift(c) or 0.0) < -O_SHIFT)]
    q_comps = [k for k in tails if shapes[k] is Shape.Q]
    if not tails:
        return WordCheck(text, False)
    if len(tails) != 1 or len(q_comps) != 1:
        return WordCheck(text, True)
    k = q_comps[0]
    if len(round_idx) == 1:
        target = round_idx[0]
    else:
        # merged or split glyphs shift the count on one side only: counting from the left or from the
        # right must agree with the letter nearest by position
        by_left = letters[k] if k < len(letters) else None
        right = len(comps) - 1 - k
        by_right = letters[-1 - right] if right < len(letters) else None
        rel = (comps[k].cx - x0) / max(1, width)
        by_x = min(round_idx, key=lambda i: abs((letters.index(i) + 0.5) / len(letters) - rel))
        if by_x not in (by_left, by_right):
            return WordCheck(text, True)
        target = by_x
    return WordCheck(text[:target] + "Q" + text[target + 1:], False)


def _components(gray: np.ndarray, box: Box, *, extend_left: bool, level: float = 0.0) -> tuple[list[_Comp], int]:
    """Glyph-sized connected components (ink) around `box`, left to right, pieces of one glyph merged.

    The crop reaches below the box (a tail the OCR box left out) and, with `extend_left`, one cap height
    to the left. Returns the components with coordinates relative to the crop, and the crop's x origin.
    """
    H, W = gray.shape[:2]
    x, y, w, h = box
    x0 = max(0, x - (int(1.3 * h) if extend_left else max(2, h // 6)))
    x1 = min(W, x + w + max(2, h // 6))
    y0, y1 = max(0, y - max(2, h // 5)), min(H, y + h + max(3, h // 2))
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0 or crop.shape[0] < 4 or crop.shape[1] < 4:
        return [], x0
    otsu, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if level > 0:  # a share of the way from Otsu's threshold down to the darkest ink
        t = otsu - level * (otsu - float(crop.min()))
        ink = (crop < t).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    ry0, ry1 = y - y0, y - y0 + h  # the word box's rows inside the crop
    raw: list[_Comp] = []
    for k in range(1, n):
        cx, cy, cw, ch, area = (int(v) for v in stats[k])
        if ch < 0.35 * h or area < 6:
            continue  # specks, dots, colons, hyphens
        if cy + ch / 2 < ry0 or cy + ch / 2 > ry1:
            continue  # ink of the lines above or below
        raw.append(_Comp(cx, cy, cw, ch, labels[cy:cy + ch, cx:cx + cw] == k))
    raw.sort(key=lambda c: c.x)
    merged: list[_Comp] = []
    for c in raw:
        if merged and _same_glyph(merged[-1], c):
            merged[-1] = _union(merged[-1], c)
        else:
            merged.append(c)
    return merged, x0


def _same_glyph(a: _Comp, b: _Comp) -> bool:
    overlap = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    return overlap > 0.5 * min(a.w, b.w)


def _union(a: _Comp, b: _Comp) -> _Comp:
    x, y = min(a.x, b.x), min(a.y, b.y)
    w, h = max(a.x + a.w, b.x + b.w) - x, max(a.bottom, b.bottom) - y
    mask = np.zeros((h, w), dtype=bool)
    for c in (a, b):
        mask[c.y - y:c.bottom - y, c.x - x:c.x + c.w - x] |= c.mask
    return _Comp(x, y, w, h, mask)


def check_words(gray: np.ndarray, words: list[Word], *, left_limit: int | None = None) -> tuple[list[Word], bool]:
    """The words of one name with their glyph evidence applied, and whether any round glyph stayed unsure."""
    out, unsure = [], False
    for k, w in enumerate(words):
        res = check_word(gray, w, leading=k == 0, left_limit=left_limit)
        unsure |= res.unsure
        out.append(w if res.text == w.text else replace(w, text=res.text))
    return out, unsure


GARBLED_INSIDE = re.compile(r"[A-Za-z][^A-Za-z0-9 .,'\-]+[A-Za-z]")  # a sign between letters of a name word


def check_name_fields(fields: dict[str, FieldValue], ocr: OcrPage, image: np.ndarray, policy: ConfidencePolicy,
                      keys: tuple[str, ...] = ("nama",)) -> None:
    """Name fields with their Q/O glyphs checked against the pixels of `image` (the image OCR read).

    The field's words are found again among the page's words (inside its box); the value is rebuilt with the
    same cleaning only when that reproduces the value as extracted, so an extractor's own repairs are kept. A
    name with an undecided glyph, or a sign between its letters, is doubted (`policy.doubt`): it goes to a person.
    """
    gray = as_gray(image)
    for key in keys:
        fv = fields.get(key)
        if fv is None or fv.box is None or not isinstance(fv.value, str) or not fv.value:
            continue
        words = _words_in(ocr, fv.box)
        if not words or clean_name(words_text(words)) != fv.value:
            continue
        left = _left_edge(ocr, words[0])
        checked, unsure = check_words(gray, words, left_limit=left)
        unsure |= any(GARBLED_INSIDE.search(w.text) for w in words)  # "YA@GIN": the cleaning hid a misread
        value = clean_name(words_text(checked))
        new = replace(fv, value=value or fv.value)
        if unsure:
            new = policy.doubt(new)
        if new != fv:
            log.debug("name glyphs: %s changed=%s unsure=%s", key, value != fv.value, unsure)
            fields[key] = new


@dataclass(frozen=True)
class NameGlyphs:
    """Second look: the Q/O glyphs of name fields, from the pixels (see `check_name_fields`)."""

    keys: tuple[str, ...] = ("nama",)
    name: str = "name_glyphs"
    needs_image: bool = True

    def run(self, look: Look) -> None:
        assert look.image is not None
        check_name_fields(look.fields, look.ocr, look.image, look.policy, self.keys)


def _words_in(ocr: OcrPage, box: Box) -> list[Word]:
    x, y, w, h = box
    out = [wd for wd in ocr.words
           if x <= wd.box[0] + wd.box[2] / 2 <= x + w and y <= wd.box[1] + wd.box[3] / 2 <= y + h]
    return sorted(out, key=lambda wd: (wd.line, wd.box[0]))


def _left_edge(ocr: OcrPage, first: Word) -> int | None:
    """Right edge of the nearest word left of `first` on its line (a label, a colon), or None."""
    x, y, _, h = first.box
    edges = [wd.box[0] + wd.box[2] for wd in ocr.words
             if wd.box[0] + wd.box[2] <= x and abs((wd.box[1] + wd.box[3] / 2) - (y + h / 2)) < h / 2]
    return max(edges) if edges else None
