"""Canned OCR pages for reader tests: words with boxes laid out like a scanned form, no tesseract."""

from __future__ import annotations

from pipeline.context import OcrPage, Word

CHAR_W, LINE_H, GAP = 12, 24, 40


def fake_page(rows: list[str | list[tuple[int, str]]], *, conf: float = 0.95,
              confs: dict[str, float] | None = None, width: int = 1200) -> OcrPage:
    """An OcrPage from text rows. A row is a string (starting at x=40) or (x, text) segments; each segment
    gets its own OCR block, as tesseract does with a form's label and value columns."""
    words: list[Word] = []
    confs = confs or {}
    for r, row in enumerate(rows):
        segments = [(40, row)] if isinstance(row, str) else row
        y = 30 + r * GAP
        for s, (x0, text) in enumerate(segments):
            x = x0
            for tok in text.split():
                w = CHAR_W * len(tok)
                words.append(Word(text=tok, conf=confs.get(tok, conf), box=(x, y, w, LINE_H), line=r,
                                  block=s * 1000 + r))
                x += w + CHAR_W
    words.sort(key=lambda w: (w.block, w.line, w.box[0]))
    return OcrPage(words=words, width=width, height=30 + len(rows) * GAP + 30)
