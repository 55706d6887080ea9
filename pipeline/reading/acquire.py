"""The words of a page: its PDF text layer when usable, else its pixels prepared and read by OCR, with the
orientation decided on the way; then its type, read again in other ways when the evidence is weak.

    page_words(page, engine) -> Source            text layer, or prepare -> OCR (upright first, OSD if weak)
    classify_words(page, src, engine, neural) -> (Source, type, scores)
                                                sparse / upside down / unprepared / smoothed retries, then neural
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from models.contract import DocType
from pipeline.classify import classify
from pipeline.context import Box, OcrPage, PageInput
from pipeline.errors import OcrFailed
from pipeline.ocr.base import OcrEngine, as_gray
from pipeline.preprocess import Rectified, orient_and_scale, rectify_and_clean
from pipeline.preprocess.orient import detect_rotation, runs_horizontally

log = logging.getLogger(__name__)

MIN_TEXT_LAYER_WORDS = 15
MIN_TEXT_LAYER_LETTERS = 60
RETRY_BELOW = 0.35  # a page whose best type score is under this is OCRed again in sparse-text mode
SPARSE_PSM = 11
LEGIBLE_WORDS, LEGIBLE_CONF = 80, 0.8  # a page with this many words read this well is legible
# a first reading this good proves the page upright (text read upside down never names a document type
# nor reads this cleanly), so no OSD is needed
UPRIGHT_TYPE_SCORE = 0.35
UPRIGHT_WORDS, UPRIGHT_CONF = 25, 0.8
VERTICAL_MIN_WORDS, VERTICAL_SHARE = 5, 0.6  # a "card" whose words mostly stand upright is a sheet on its side
SMOOTH_KERNEL = 5  # px, median that wipes out a halftone dot or a copier speck at OCR scale (letters 25-40 px
# tall, strokes 3 px and more) and keeps the strokes
DOCUMENT_PAPER = 0.5  # paper share above which an unrecognised image is taken for a document
NEURAL_MIN_PAPER = 0.1  # a wordless image with less paper than this is a picture, not read by the neural engine


def text_layer_usable(layer: OcrPage | None) -> bool:
    """A PDF text layer worth trusting over OCR: enough words and letters (not a scanner's stray tokens)."""
    if layer is None or len(layer.words) < MIN_TEXT_LAYER_WORDS:
        return False
    letters = sum(ch.isalpha() for w in layer.words for ch in w.text)
    return letters >= MIN_TEXT_LAYER_LETTERS


@dataclass
class Source:
    """The words of a page and the image they were read from (None for a text layer)."""

    ocr: OcrPage
    image: np.ndarray | None = None
    to_page: Callable[[Box], Box] | None = None  # image pixels -> original page pixels
    upright: bool = False  # the reading itself proved the orientation (no upside-down retry needed)
    paper: float = 1.0  # share of the prepared surface that looks like paper (see `paper_share`)
    transform: np.ndarray | None = None  # 3x3, original page pixels -> image pixels (prepared readings only)
    classified: tuple[DocType, dict[str, float]] | None = None  # classify(ocr), when already computed


def _legible(ocr: OcrPage) -> bool:
    """Plenty of confidently read words: a clear page of some other kind, not worth reading again."""
    return len(ocr.words) >= LEGIBLE_WORDS and ocr.mean_conf() >= LEGIBLE_CONF


def _ocr_image(page: PageInput, engine: OcrEngine) -> Source:
    """Prepare and OCR the page. Text that runs horizontally is read upright first; only when that reading
    is weak does orientation detection (OSD, a confidence vote) run and the better reading win."""
    base = rectify_and_clean(page)
    card = base.kind == "card"
    first: Source | None = None
    if runs_horizontally(base.gray, text_along_long_side=card):
        prepared = orient_and_scale(base, 0, "lines")
        first = Source(engine.read(prepared.image), prepared.image, prepared.to_original, paper=base.paper,
                        transform=prepared.transform)
        if card and _runs_vertically(first.ocr):
            # the shape said card, the words say a sheet lying on its side (tesseract reads vertical lines
            # too, boxes and all, and the extractors then find no rows): decide again from the text lines
            base, card, first = replace(base, kind="page"), False, None
        elif _upright(first):
            first.upright = True
            return first
    k, how = detect_rotation(base.gray, engine, text_along_long_side=card)
    if first is not None and k == 0:
        return first
    second = _read_turned(page, base, k, how, engine)
    if card and not base.card_found and _runs_vertically(second.ocr):
        # a whole image taken for a card by its large print (a diploma in big type), turned to put its long
        # side level: its words now stand upright, so it is a sheet; decide its rotation as one
        base = replace(base, kind="page")
        k, how = detect_rotation(base.gray, engine, text_along_long_side=False)
        second = _read_turned(page, base, k, how, engine)
    if first is not None and _evidence(first) > _evidence(second):
        return first
    return second


def _read_turned(page: PageInput, base: Rectified, k: int, how: str, engine: OcrEngine) -> Source:
    prepared = orient_and_scale(base, k, how)
    log.debug("%s p%d: turned %d degrees (%s)", page.file, page.page, 90 * k, how)
    return Source(engine.read(prepared.image), prepared.image, prepared.to_original, paper=base.paper,
                   transform=prepared.transform)


def _runs_vertically(ocr: OcrPage) -> bool:
    """Most words of four or more characters sit in boxes taller than wide: the text runs down the image."""
    long = [w for w in ocr.words if len(w.text) >= 4]
    return len(long) >= VERTICAL_MIN_WORDS and sum(w.box[3] > w.box[2] for w in long) >= VERTICAL_SHARE * len(long)


def _upright(src: Source) -> bool:
    """The reading proves the page upright; its classification is kept on `src` for `read_page`."""
    src.classified = classify(src.ocr)
    if max(src.classified[1].values(), default=0.0) >= UPRIGHT_TYPE_SCORE:
        return True
    return len(src.ocr.words) >= UPRIGHT_WORDS and src.ocr.mean_conf() >= UPRIGHT_CONF


def _evidence(src: Source) -> float:
    """Type evidence first, then the summed confidence of word-like tokens (as the orientation vote)."""
    if src.classified is None:
        src.classified = classify(src.ocr)
    good = sum(w.conf for w in src.ocr.words if len(w.text) >= 3 and any(ch.isalnum() for ch in w.text))
    return max(src.classified[1].values(), default=0.0) * 1000 + good


def _retry(page: PageInput, src: Source, doc_type: DocType, scores: dict[str, float],
           engine: OcrEngine, neural: OcrEngine | None = None) -> tuple[Source, DocType, dict[str, float]]:
    """Weak evidence: read again in sparse-text mode (faint or small print), then upside down (an
    orientation missed), then the unprepared page (preparation may have rectified the wrong quadrilateral,
    e.g. a card's blank back beside its front), then, on a page still unknown, the prepared image smoothed (a
    photocopy's halftone screen or speckle breaks the letters into dots). Stops at the first reading with
    enough evidence.
    A page that still names no type is read by the `neural` engine, when given (`_neural_retry`)."""
    assert src.image is not None and page.image is not None
    image, to_page = src.image, src.to_page
    h, w = image.shape[:2]

    def upside_down_to_page(box: Box) -> Box:
        x, y, bw, bh = box
        turned = (w - x - bw, h - y - bh, bw, bh)
        return to_page(turned) if to_page is not None else turned

    original = as_gray(page.image)
    # (reading, only for a page still unknown)
    tries: list[tuple[Callable[[], Source], bool]] = []
    # no text found at all (a photo, a blank page): sparse mode would chase every blob of the picture (seconds)
    # and upside down it stays no text; only the unprepared page is worth a look. A proven upright reading
    # needs no upside-down retry either.
    if src.ocr.words:
        tries.append((lambda: Source(engine.read(image, psm=SPARSE_PSM), image, to_page, paper=src.paper), False))
    if src.ocr.words and not src.upright:
        turned = np.ascontiguousarray(image[::-1, ::-1])
        tries.append((lambda: Source(engine.read(turned), turned, upside_down_to_page, paper=src.paper), False))
    tries.append((lambda: Source(engine.read(original), original, None, paper=src.paper), False))
    if src.ocr.words:
        # a named page keeps its sharper reading: smoothing is for pages no other reading could type
        smooth = cv2.medianBlur(image, SMOOTH_KERNEL)
        tries.append((lambda: Source(engine.read(smooth), smooth, to_page, paper=src.paper), True))
    best = (src, doc_type, scores)
    for make, unknown_only in tries:
        if unknown_only and best[1] != DocType.UNKNOWN:
            break
        alt = make()
        alt_type, alt_scores = classify(alt.ocr)
        if max(alt_scores.values(), default=0.0) > max(best[2].values(), default=0.0):
            best = (alt, alt_type, alt_scores)
        if max(best[2].values(), default=0.0) >= RETRY_BELOW:
            break
    if best[1] == DocType.UNKNOWN and neural is not None and (src.ocr.words or src.paper >= NEURAL_MIN_PAPER):
        # a picture (a pas foto on its backdrop: no word, no paper-coloured surface) is not worth seconds more
        return _neural_retry(page, src, best, neural)
    return best


def _neural_retry(page: PageInput, src: Source, best: tuple[Source, DocType, dict[str, float]],
                  neural: OcrEngine) -> tuple[Source, DocType, dict[str, float]]:
    """The last look at a page that names no type after every tesseract reading: the neural engine reads the
    prepared image, then (when preparation changed it) the unprepared page; a reading that names a type is
    kept. It reads small, blurred or glare-struck print that tesseract cannot (a card photographed at a
    slant on a patterned cloth). Runs only on pages still unknown, so it costs little over a batch."""
    assert src.image is not None and page.image is not None
    original = as_gray(page.image)
    images = [(src.image, src.to_page)]
    if src.to_page is not None:
        images.append((original, None))
    for image, to_page in images:
        alt = Source(neural.read(image), image, to_page, paper=src.paper)
        alt_type, alt_scores = classify(alt.ocr)
        if alt_type != DocType.UNKNOWN:
            log.debug("%s p%d: type %s from the neural engine's reading", page.file, page.page, alt_type.value)
            return alt, alt_type, alt_scores
    return best


def page_words(page: PageInput, engine: OcrEngine) -> Source:
    """The page's usable text layer, else its prepared pixels read by OCR. Raises OcrFailed when the page
    has neither text nor image."""
    if text_layer_usable(page.text_layer):
        assert page.text_layer is not None
        return Source(page.text_layer)
    if page.image is not None:
        return _ocr_image(page, engine)
    raise OcrFailed(f"{page.file} hal. {page.page}: tidak ada gambar maupun lapisan teks")


def classify_words(page: PageInput, src: Source, engine: OcrEngine,
                   neural: OcrEngine | None = None) -> tuple[Source, DocType, dict[str, float]]:
    """The page's type and type scores; a weakly evidenced, illegible image page is read again first, by
    `neural` too (when given) if tesseract's readings name no type."""
    doc_type, scores = src.classified or classify(src.ocr)
    if src.image is not None and max(scores.values(), default=0.0) < RETRY_BELOW and not _legible(src.ocr):
        return _retry(page, src, doc_type, scores, engine, neural)
    return src, doc_type, scores


def looks_unreadable(src: Source) -> bool:
    """An image that looks like a document (mostly paper-coloured, unlike a colour photo) but whose text could
    not be read well enough to name its type: too blurred, dark or small. It may be the document that the
    dossier seems to lack, so a person should look before the dossier is called incomplete."""
    return src.image is not None and src.paper >= DOCUMENT_PAPER and not _legible(src.ocr)
