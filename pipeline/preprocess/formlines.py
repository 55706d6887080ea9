"""Form-line clean-up: dot leaders and underline rules taken out of a prepared page before OCR.

Forms print a row of dots ("Nama : ..........") or a rule for each value, and the value (typed, stamped or
handwritten) sits on it. Tesseract takes the row of dots for part of the text line: the line's baseline and
height go wrong and the value comes out as noise ("Tekanan Darah : ....... TE ESYYANA LI"). Nothing here
knows a layout; leaders and rules are found by their shape alone:

* a dot leader is a row of at least `MIN_DOTS` small blobs of like size, on one height, at a regular pitch;
  a period, an i-dot or an ellipsis never makes such a row. Its blobs are erased, and so are dot-sized bits
  in the row's band that stuck to a letter's side (only where nothing is inked right above and below, so a
  stroke that crosses the row stays);
* an underline is a thin horizontal stroke several text heights long (morphological opening) that meets
  no vertical rule (a table's grid stays); it is erased except where a stroke crosses it (ink right above
  and right below).

`clean_form_lines(gray)` returns the cleaned image and what was removed; a page without leaders or rules
comes back as the same array (no copy), so clean pages pay only the detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_DOTS = 6  # fewer dots in a row may be an ellipsis ("...") or a signature's dotted name line stub
DOT_OF_TEXT = 0.3  # a dot is at most this fraction of the text height on each side
PITCH_SPREAD = 0.5  # leader gaps stay within +-50 % of their median
REGULAR_SHARE = 0.8  # ... for this share of the gaps
RULE_OF_TEXT = 5.0  # an underline is at least this many text heights long (joined serifs of a bold line reach 3)
RULE_THICK_OF_TEXT = 0.25  # ... and at most this fraction of a text height thick
GRID_OF_TEXT = 2.5  # a vertical stroke this many text heights long is a table's rule, not a letter
MIN_TEXT_PX, DEFAULT_TEXT_PX = 8, 30


@dataclass(frozen=True)
class FormLines:
    """What `clean_form_lines` found: dot leaders (rows) and their dots, underline rules."""

    leaders: int = 0
    dots: int = 0
    rules: int = 0

    @property
    def found(self) -> bool:
        return bool(self.leaders or self.rules)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels (uint8 0/1) by Otsu's threshold, never above 200 (a blank page has no ink)."""
    t, _ = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return (gray < min(float(t), 200.0)).astype(np.uint8)


def text_height(stats: np.ndarray) -> float:
    """Median height of glyph-sized components (taller than `MIN_TEXT_PX`), `DEFAULT_TEXT_PX` without any."""
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    glyphs = hs[(hs >= MIN_TEXT_PX) & (ws < 3 * hs)]
    return float(np.median(glyphs)) if len(glyphs) >= 10 else float(DEFAULT_TEXT_PX)


def clean_form_lines(gray: np.ndarray) -> tuple[np.ndarray, FormLines]:
    """`gray` (uint8, dark text on light paper) without dot leaders and underline rules; see the module doc."""
    ink = ink_mask(gray)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return gray, FormLines()
    th = text_height(stats)
    chains = _leader_chains(stats, centroids, th)
    erase = np.zeros_like(ink)
    dots = 0
    if chains:
        ids = np.fromiter((i for c in chains for i in c), dtype=np.int32)
        dots = len(ids)
        lut = np.zeros(n, np.uint8)
        lut[ids] = 1
        erase |= lut[labels]
        for chain in chains:
            _stuck_dots(ink, erase, stats, chain)
    # the anti-aliased rim of a dot or a rule is lighter than the threshold: take one pixel around a dot and
    # above and below a rule too (not beside a rule's gap, where a crossing stroke was kept)
    erase = cv2.dilate(erase, np.ones((3, 3), np.uint8)) if chains else erase
    rule_px = np.zeros_like(ink)
    rules = _underlines(ink, th, rule_px)
    if not chains and not rules:
        return gray, FormLines()
    if rules:
        np.bitwise_or(erase, cv2.dilate(rule_px, np.ones((3, 1), np.uint8)), out=erase)
    out = gray.copy()
    out[erase.astype(bool)] = 255
    return out, FormLines(leaders=len(chains), dots=dots, rules=rules)


def _leader_chains(stats: np.ndarray, centroids: np.ndarray, th: float) -> list[list[int]]:
    """Component ids grouped into dot leaders: each dot linked to the nearest dot to its right at the same
    height within a few dot widths; chains of `MIN_DOTS` or more with a regular pitch."""
    dot_max = max(3.0, DOT_OF_TEXT * th)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    cand = np.flatnonzero((h <= dot_max) & (w <= 2.5 * dot_max) & (w >= 1) & (np.arange(len(w)) > 0))
    if len(cand) < MIN_DOTS:
        return []
    dy_max = max(1.5, 0.5 * dot_max)
    gap_max = max(4.0 * dot_max, 0.8 * th)
    cx, cy = centroids[cand, 0], centroids[cand, 1]
    order = np.argsort(cx, kind="stable")
    buckets: dict[int, list[int]] = {}
    for k in order:
        buckets.setdefault(int(cy[k] // dy_max), []).append(int(k))
    nxt = np.full(len(cand), -1)
    has_prev = np.zeros(len(cand), bool)
    for k in order:
        best, best_dx = -1, gap_max
        row = int(cy[k] // dy_max)
        for b in (row - 1, row, row + 1):
            for j in buckets.get(b, ()):
                dx = cx[j] - cx[k]
                if 0 < dx <= best_dx and abs(cy[j] - cy[k]) <= dy_max and not has_prev[j]:
                    best, best_dx = j, dx
        if best >= 0:
            nxt[k] = best
            has_prev[best] = True
    chains: list[list[int]] = []
    for k in order:
        if has_prev[k]:
            continue
        chain = [int(k)]
        while nxt[chain[-1]] >= 0:
            chain.append(int(nxt[chain[-1]]))
        if len(chain) >= MIN_DOTS and _regular(cx[chain], w[cand[chain]], h[cand[chain]]):
            chains.append(chain)
    taken = {i for c in chains for i in c}
    return [[int(cand[i]) for i in c + _same_row(c, cx, cy, h[cand], dy_max, taken)] for c in chains]


def _same_row(chain: list[int], cx: np.ndarray, cy: np.ndarray, h: np.ndarray, dy_max: float,
              taken: set[int]) -> list[int]:
    """Dots of a found leader's row that its chain missed: a value written over the leader breaks the row
    into short runs ("....." before the value, a few under it). A dot joins when it sits on the row's
    height, has the row's size and has a neighbour at the row's pitch (an isolated period does not)."""
    y = float(np.median(cy[chain]))
    pitch = float(np.median(np.diff(cx[chain])))
    size = float(np.median(h[chain]))
    on_row = [k for k in range(len(cx)) if k not in taken and abs(cy[k] - y) <= dy_max
              and abs(h[k] - size) <= max(1.0, 0.5 * size)]
    xs = np.sort(cx[on_row]) if on_row else np.empty(0)
    out = []
    for k in on_row:
        near = np.abs(xs - cx[k])
        if ((near >= (1 - PITCH_SPREAD) * pitch) & (near <= (1 + PITCH_SPREAD) * pitch)).any():
            out.append(k)
    taken.update(out)
    return out


def _regular(xs: np.ndarray, ws: np.ndarray, hs: np.ndarray) -> bool:
    """A leader's dots come at one pitch and in one size; i-dots and specks over a word do not."""
    gaps = np.diff(xs)
    med = float(np.median(gaps))
    if med <= 0:
        return False
    steady = np.abs(gaps - med) <= PITCH_SPREAD * med
    sizes = np.abs(hs - np.median(hs)) <= max(1.0, 0.5 * float(np.median(hs)))
    return bool(steady.mean() >= REGULAR_SHARE and sizes.mean() >= REGULAR_SHARE and (ws <= 2.5 * med).all())


def _stuck_dots(ink: np.ndarray, erase: np.ndarray, stats: np.ndarray, chain: list[int]) -> None:
    """Dots of the leader's band that merged with a letter: short runs in the band with no ink right above
    or right below them (a letter's stem or bowl that reaches the band has ink above)."""
    x0 = int(stats[chain, cv2.CC_STAT_LEFT].min())
    x1 = int((stats[chain, cv2.CC_STAT_LEFT] + stats[chain, cv2.CC_STAT_WIDTH]).max())
    y0 = int(stats[chain, cv2.CC_STAT_TOP].min())
    y1 = int((stats[chain, cv2.CC_STAT_TOP] + stats[chain, cv2.CC_STAT_HEIGHT]).max())
    dot_w = int(np.median(stats[chain, cv2.CC_STAT_WIDTH]))
    H = ink.shape[0]
    if y0 < 2 or y1 + 2 > H:
        return
    band = ink[y0:y1, x0:x1].astype(bool) & ~erase[y0:y1, x0:x1].astype(bool)
    clear = ~ink[y0 - 2 : y0, x0:x1].any(axis=0) & ~ink[y1 : y1 + 2, x0:x1].any(axis=0)
    col = band.any(axis=0) & clear
    # runs of such columns no wider than a dot and a half
    padded = np.concatenate([[False], col, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a <= 1.5 * dot_w + 1:
            erase[y0:y1, x0 + a : x0 + b] |= band[:, a:b].astype(np.uint8)


def _underlines(ink: np.ndarray, th: float, erase: np.ndarray) -> int:
    """Thin horizontal strokes at least `RULE_OF_TEXT` text heights long, marked in `erase` except where a
    stroke crosses them; returns how many."""
    length = max(25, int(RULE_OF_TEXT * th))
    long_runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    if not long_runs.any():
        return 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(long_runs, connectivity=8)
    tall = max(15, int(GRID_OF_TEXT * th))
    verticals: np.ndarray | None = None  # the vertical strokes, computed once a thin run needs them
    thick_max = max(3.0, RULE_THICK_OF_TEXT * th)
    H = ink.shape[0]
    count = 0
    for i in range(1, n):
        x, y, w, h = stats[i, :4]
        if h > thick_max:
            continue  # a filled box or a block of black, not a rule
        if verticals is None:
            verticals = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, tall)))
        if verticals[max(0, y - 3) : y + h + 3, max(0, x - 3) : x + w + 3].any():
            # a table's grid: tesseract reads cells between rules well, and a noisy scanned rule taken out
            # in pieces would leave a dashed line behind, which it reads badly
            continue
        count += 1
        line = (labels[y : y + h, x : x + w] == i) & ink[y : y + h, x : x + w].astype(bool)
        above = ink[max(0, y - 2) : y, x : x + w].any(axis=0) if y >= 1 else np.zeros(w, bool)
        below = ink[y + h : min(H, y + h + 2), x : x + w].any(axis=0) if y + h < H else np.zeros(w, bool)
        line &= ~np.asarray(above & below)[None, :]  # a stroke crosses the rule here: keep it
        erase[y : y + h, x : x + w] |= line.astype(np.uint8)
    return count
