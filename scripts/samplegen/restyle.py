"""Field-mode edits of a drawn page: other print fonts and letter spacing, and a stamp over a value.

The layout builders draw their fonts from fixed lists (changing them would change the older modes' scans), so
field mode swaps fonts afterwards: every text of the page's sans or serif family moves to one office font
(Calibri-metric Carlito, Cambria-metric Caladea, Open Sans or its condensed cut) and may get wider or tighter
letter spacing. A text never grows: its size shrinks when the new font or spacing would make it wider, so
nothing runs into a photo or off the card.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scripts.samplegen.layout import Color, Op, Page, Text, text_width_mm
from scripts.samplegen.patterns import stamp

_SANS = {"sans", "narrow", "dejavu", "dejavu-c", "free-sans"}
_SERIF = {"serif", "dserif", "free-serif"}
_BOLD = {"sans-b", "narrow-b", "dejavu-b", "dejavu-cb", "free-sans-b", "serif-b", "dserif-b", "free-serif-b"}
_SWAPS = {"sans": (("carlito", "carlito-b"), ("open-sans", "open-sans-b"), ("open-sans-c", "open-sans-cb")),
          "serif": (("caladea", "caladea-b"),)}


def _group(font: str) -> tuple[str, bool] | None:
    """('sans' | 'serif', bold) for fonts field mode may swap; None for OCR-A, mono and italics."""
    base = font[:-2] if font.endswith("-b") else font
    bold = font in _BOLD
    if font == "dejavu-cb":
        base, bold = "dejavu-c", True
    if base in _SANS:
        return "sans", bold
    if base in _SERIF:
        return "serif", bold
    return None


def restyle(rng: np.random.Generator, page: Page, *, share: float) -> tuple[Page, str | None]:
    """With chance `share`, the page in another print font and letter spacing; returns (page, what changed)."""
    if rng.random() >= share:
        return page, None
    swaps = {g: options[int(rng.integers(len(options)))] for g, options in _SWAPS.items()}
    tracking = float(rng.choice([0.0, 0.0, rng.uniform(-0.03, -0.01), rng.uniform(0.03, 0.12)]))  # em
    ops: list[Op] = []
    for op in page.ops:
        group = _group(op.font) if isinstance(op, Text) else None
        if group is None or not isinstance(op, Text):
            ops.append(op)
            continue
        kind, bold = group
        new_font = swaps[kind][1 if bold else 0]
        old_w = text_width_mm(op.text, op.font, op.size)
        new_w = _tracked_width(op.text, new_font, op.size, tracking)
        size = op.size * min(1.0, old_w / new_w) if new_w > 0 else op.size
        ops.append(replace(op, font=new_font, size=size, tracking=tracking))
    what = f"font:{swaps['sans'][0]}/{swaps['serif'][0]}" + (f",tracking:{tracking:+.2f}" if tracking else "")
    return Page(page.width_mm, page.height_mm, ops, page.paper), what


def _tracked_width(text: str, font: str, size: float, tracking: float) -> float:
    return text_width_mm(text, font, size) + max(len(text) - 1, 0) * tracking * size * 25.4 / 72


def overstamp(rng: np.random.Generator, page: Page, target: str, value_text: str | None,
              words: list[str]) -> bool:
    """A round stamp pressed over the line that prints `target` ('nama', 'tanggal_surat', 'kesimpulan').

    `value_text` is the value as printed (the name) where it can be found verbatim. Returns False when no
    line was found (the page is left as it was).
    """
    op = _line_of(page, target, value_text)
    if op is None:
        return False
    width = text_width_mm(op.text, op.font, op.size)
    left = {"l": op.x, "m": op.x - width / 2, "r": op.x - width}[op.align]
    if target == "nama" and value_text and value_text in op.text.upper():
        left += text_width_mm(op.text[: op.text.upper().index(value_text)], op.font, op.size)
        width = text_width_mm(value_text, op.font, op.size)
    cx = left + min(width, 60) * float(rng.uniform(0.25, 0.75))
    cy = op.y - op.size * 0.12 + float(rng.uniform(-2.5, 2.5))
    colours: list[Color] = [(70, 70, 170), (90, 60, 160), (40, 90, 160), (150, 50, 90)]
    colour = colours[int(rng.integers(len(colours)))]
    page.add(*stamp(cx, cy, float(rng.uniform(10.5, 13.5)), words, colour))
    return True


def _line_of(page: Page, target: str, value_text: str | None) -> Text | None:
    texts = [op for op in page.ops if isinstance(op, Text) and op.y > 40]
    if target == "nama" and value_text:
        hits = [t for t in texts if value_text in t.text.upper()]
        return hits[0] if hits else None
    if target == "kesimpulan":
        hits = [t for t in texts if "SEHAT" in t.text.upper() and "SURAT" not in t.text.upper()
                and "KETERANGAN" not in t.text.upper()]
        return hits[-1] if hits else None
    if target == "tanggal_surat":  # the place and date above the signature: the lowest line with a year in it
        hits = [t for t in texts if "2023" in t.text and not t.text.upper().startswith(("NO", "SIP", "NIP"))]
        return max(hits, key=lambda t: t.y) if hits else None
    return None
