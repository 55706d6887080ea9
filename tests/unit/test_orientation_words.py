"""A sheet scanned on its side and taken for a card: the first reading's word boxes give it away."""

from __future__ import annotations

from pipeline.context import OcrPage, Word
from pipeline.reading.acquire import _runs_vertically
from tests.unit.ocr_fakes import fake_page


def _turned(page: OcrPage) -> OcrPage:
    """The same words with every box turned a quarter (width and height swapped), as tesseract reports
    text lines that run down the image."""
    words = [Word(w.text, w.conf, (w.box[1], w.box[0], w.box[3], w.box[2]), w.line, w.block) for w in page.words]
    return OcrPage(words=words, width=page.height, height=page.width)


ROWS = ["menerangkan bahwa:", "nama : RIZKY FAUZAN ANAM", "tempat dan tanggal lahir : Tulungagung, 21 Juni 1993"]


def test_upright_words_do_not_run_vertically() -> None:
    assert not _runs_vertically(fake_page(ROWS))


def test_words_in_tall_boxes_run_vertically() -> None:
    assert _runs_vertically(_turned(fake_page(ROWS)))


def test_a_few_tall_words_are_not_evidence() -> None:
    """GIVEN only two long words, both tall (a stamp, a vertical margin note) THEN no verdict."""
    assert not _runs_vertically(_turned(fake_page(["STEMPEL RESMI"])))
