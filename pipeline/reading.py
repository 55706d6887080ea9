"""One page from pixels (or a PDF text layer) to a typed reading:

    prepare -> OCR (or the text layer) -> classify -> extract -> KTP digit fields re-read -> boxes to page pixels

`read_page` is the only entry point; the engine and the spaCy pipeline come from the process's runtime.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from models.contract import DocType
from pipeline.classify import classify
from pipeline.context import Box, DocumentReading, FieldValue, OcrPage, PageInput
from pipeline.errors import OcrFailed
from pipeline.extract import extract
from pipeline.extract.ktp import rt_rw_field
from pipeline.extract.reread import reread_weak_values
from pipeline.extract.stamps import reread_under_stamps
from pipeline.extract.ticks import resolve_printed_choice
from pipeline.glyphs import check_name_fields
from pipeline.nik import decode_nik
from pipeline.nik_reader import NikReading, read_nik
from pipeline.nlp import Nlp
from pipeline.normalise import find_dates
from pipeline.ocr.base import OcrEngine, as_gray
from pipeline.ocr.regions import read_region
from pipeline.preprocess import Rectified, orient_and_scale, rectify_and_clean
from pipeline.preprocess.orient import detect_rotation, runs_horizontally

log = logging.getLogger(__name__)

MIN_TEXT_LAYER_WORDS = 15
MIN_TEXT_LAYER_LETTERS = 60
UNCERTAIN_CAP = 0.5  # below the rules' review threshold: two NIK readers that disagree go to a person
WEAK_OCR = 0.5  # an OCR NIK below this confidence does not contradict the template reader
REREAD_BELOW = 0.85
WELL_READ = 0.85  # a digits-only re-read of a birth date must be at least this sure of every word
RETRY_BELOW = 0.35  # a page whose best type score is under this is OCRed again in sparse-text mode
SPARSE_PSM = 11
LEGIBLE_WORDS, LEGIBLE_CONF = 80, 0.8  # digit fields read with less confidence than this are read again, digits only
# a first reading this good proves the page upright (text read upside down never names a document type
# nor reads this cleanly), so no OSD is needed
UPRIGHT_TYPE_SCORE = 0.35
UPRIGHT_WORDS, UPRIGHT_CONF = 25, 0.8
VERTICAL_MIN_WORDS, VERTICAL_SHARE = 5, 0.6  # a "card" whose words mostly stand upright is a sheet on its side
DOCUMENT_PAPER = 0.5  # paper share above which an unrecognised image is taken for a document


def text_layer_usable(layer: OcrPage | None) -> bool:
    """A PDF text layer worth trusting over OCR: enough words and letters (not a scanner's stray tokens)."""
    if layer is None or len(layer.words) < MIN_TEXT_LAYER_WORDS:
        return False
    letters = sum(ch.isalpha() for w in layer.words for ch in w.text)
    return letters >= MIN_TEXT_LAYER_LETTERS


@dataclass
class _Source:
    """The words of a page and the image they were read from (None for a text layer)."""

    ocr: OcrPage
    image: np.ndarray | None = None
    to_page: Callable[[Box], Box] | None = None  # image pixels -> original page pixels
    upright: bool = False  # the reading itself proved the orientation (no upside-down retry needed)
    paper: float = 1.0  # share of the prepared surface that looks like paper (see `paper_share`)
    transform: np.ndarray | None = None  # 3x3, original page pixels -> image pixels (prepared readings only)
    classified: tuple[DocType, dict[str, float]] | None = None  # classify(ocr), when already computed


def read_page(page: PageInput, *, engine: OcrEngine, nlp: Nlp) -> DocumentReading:
    """Type, type scores and fields of one page. Raises OcrFailed when the page has neither text nor image."""
    if text_layer_usable(page.text_layer):
        assert page.text_layer is not None
        src = _Source(page.text_layer)
    elif page.image is not None:
        src = _ocr_image(page, engine)
    else:
        raise OcrFailed(f"{page.file} hal. {page.page}: tidak ada gambar maupun lapisan teks")
    doc_type, scores = src.classified or classify(src.ocr)
    if src.image is not None and max(scores.values(), default=0.0) < RETRY_BELOW and not _legible(src.ocr):
        src, doc_type, scores = _retry(page, src, doc_type, scores, engine)
    fields = extract(doc_type, src.ocr, nlp)
    unreadable = doc_type == DocType.UNKNOWN and _unreadable_document(src)
    if doc_type == DocType.SURAT_SEHAT:  # both conclusions printed: the mark decides (text layers: page pixels)
        resolve_printed_choice(fields, src.ocr, _gray(src.image if src.image is not None else page.image))
    if src.image is not None:
        check_name_fields(fields, src.ocr, src.image)
    if doc_type in (DocType.SURAT_SEHAT, DocType.IJAZAH) and src.image is not None:
        reread_weak_values(doc_type, fields, src.ocr, src.image, engine, nlp)
    if doc_type == DocType.SURAT_SEHAT and src.image is not None:
        reread_under_stamps(fields, src.image, page.image, src.transform, engine, nlp)
    if doc_type == DocType.KTP and src.image is not None:
        reread_ktp_digits(fields, src.image, engine)
    if src.to_page is not None:
        to_page = src.to_page
        fields = {k: fv if fv.box is None else replace(fv, box=to_page(fv.box)) for k, fv in fields.items()}
    log.debug("%s p%d: type=%s fields=%d", page.file, page.page, doc_type.value, len(fields))
    return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=doc_type,
                           type_scores=scores, fields=fields, ocr_conf=round(src.ocr.mean_conf(), 4),
                           unreadable=unreadable)


def _unreadable_document(src: _Source) -> bool:
    """An image that looks like a document (mostly paper-coloured, unlike a colour photo) but whose text could
    not be read well enough to name its type: too blurred, dark or small. It may be the document that the
    dossier seems to lack, so a person should look before the dossier is called incomplete."""
    return src.image is not None and src.paper >= DOCUMENT_PAPER and not _legible(src.ocr)


def _gray(image: np.ndarray | None) -> np.ndarray | None:
    return None if image is None else as_gray(image)


def _legible(ocr: OcrPage) -> bool:
    """Plenty of confidently read words: a clear page of some other kind, not worth reading again."""
    return len(ocr.words) >= LEGIBLE_WORDS and ocr.mean_conf() >= LEGIBLE_CONF


def _ocr_image(page: PageInput, engine: OcrEngine) -> _Source:
    """Prepare and OCR the page. Text that runs horizontally is read upright first; only when that reading
    is weak does orientation detection (OSD, a confidence vote) run and the better reading win."""
    base = rectify_and_clean(page)
    card = base.kind == "card"
    first: _Source | None = None
    if runs_horizontally(base.gray, text_along_long_side=card):
        prepared = orient_and_scale(base, 0, "lines")
        first = _Source(engine.read(prepared.image), prepared.image, prepared.to_original, paper=base.paper,
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


def _read_turned(page: PageInput, base: Rectified, k: int, how: str, engine: OcrEngine) -> _Source:
    prepared = orient_and_scale(base, k, how)
    log.debug("%s p%d: turned %d degrees (%s)", page.file, page.page, 90 * k, how)
    return _Source(engine.read(prepared.image), prepared.image, prepared.to_original, paper=base.paper,
                   transform=prepared.transform)


def _runs_vertically(ocr: OcrPage) -> bool:
    """Most words of four or more characters sit in boxes taller than wide: the text runs down the image."""
    long = [w for w in ocr.words if len(w.text) >= 4]
    return len(long) >= VERTICAL_MIN_WORDS and sum(w.box[3] > w.box[2] for w in long) >= VERTICAL_SHARE * len(long)


def _upright(src: _Source) -> bool:
    """The reading proves the page upright; its classification is kept on `src` for `read_page`."""
    src.classified = classify(src.ocr)
    if max(src.classified[1].values(), default=0.0) >= UPRIGHT_TYPE_SCORE:
        return True
    return len(src.ocr.words) >= UPRIGHT_WORDS and src.ocr.mean_conf() >= UPRIGHT_CONF


def _evidence(src: _Source) -> float:
    """Type evidence first, then the summed confidence of word-like tokens (as the orientation vote)."""
    if src.classified is None:
        src.classified = classify(src.ocr)
    good = sum(w.conf for w in src.ocr.words if len(w.text) >= 3 and any(ch.isalnum() for ch in w.text))
    return max(src.classified[1].values(), default=0.0) * 1000 + good


def _retry(page: PageInput, src: _Source, doc_type: DocType, scores: dict[str, float],
           engine: OcrEngine) -> tuple[_Source, DocType, dict[str, float]]:
    """Weak evidence: read again in sparse-text mode (faint or small print), then upside down (an
    orientation missed), then the unprepared page (preparation may have rectified the wrong quadrilateral,
    e.g. a card's blank back beside its front). Stops at the first reading with enough evidence."""
    assert src.image is not None and page.image is not None
    image, to_page = src.image, src.to_page
    h, w = image.shape[:2]

    def upside_down_to_page(box: Box) -> Box:
        x, y, bw, bh = box
        turned = (w - x - bw, h - y - bh, bw, bh)
        return to_page(turned) if to_page is not None else turned

    original = as_gray(page.image)
    tries = []
    # no text found at all (a photo, a blank page): sparse mode would chase every blob of the picture (seconds)
    # and upside down it stays no text; only the unprepared page is worth a look. A proven upright reading
    # needs no upside-down retry either.
    if src.ocr.words:
        tries.append(lambda: _Source(engine.read(image, psm=SPARSE_PSM), image, to_page, paper=src.paper))
    if src.ocr.words and not src.upright:
        tries.append(lambda: _Source(engine.read(np.ascontiguousarray(image[::-1, ::-1])),
                                     np.ascontiguousarray(image[::-1, ::-1]), upside_down_to_page, paper=src.paper))
    tries.append(lambda: _Source(engine.read(original), original, None, paper=src.paper))
    best = (src, doc_type, scores)
    for make in tries:
        alt = make()
        alt_type, alt_scores = classify(alt.ocr)
        if max(alt_scores.values(), default=0.0) > max(best[2].values(), default=0.0):
            best = (alt, alt_type, alt_scores)
        if max(best[2].values(), default=0.0) >= RETRY_BELOW:
            break
    return best


def reread_ktp_digits(fields: dict[str, FieldValue], gray: np.ndarray, engine: OcrEngine) -> None:
    """NIK from the template reader, checked against the OCR's; weak RT/RW re-read with a digit whitelist."""
    ocr_nik = fields.get("nik")
    reading = read_nik(gray, ocr_nik.box if ocr_nik else None, engine=engine)
    merged = merge_nik(ocr_nik, reading)
    if merged is not None:
        fields["nik"] = merged
    rt = fields.get("rt_rw")
    if rt is not None and rt.box is not None and rt.confidence < REREAD_BELOW:
        words = read_region(engine, gray, rt.box, digits=True, whitelist="/")
        again = rt_rw_field(words, 1.0) if words else None
        if again is not None and again.value is not None and again.confidence > rt.confidence:
            fields["rt_rw"] = again
    reread_birth_date(fields, gray, engine)


def reread_birth_date(fields: dict[str, FieldValue], gray: np.ndarray, engine: OcrEngine) -> None:
    """A printed birth date that disagrees with the NIK's date part is read once more, digits only.

    The re-read replaces the first reading only when it is well read and agrees with the NIK (a digit the
    first reading got wrong, e.g. 1988 read 1948 on a low-DPI card). A re-read that confirms the first
    reading changes nothing: the disagreement stays for the rules (`nik_consistent`). Three different
    readings make the printed date doubtful: its confidence is capped. The NIK's date is never copied in.
    """
    born, nik = fields.get("tanggal_lahir"), fields.get("nik")
    info = decode_nik(nik.value) if nik is not None and isinstance(nik.value, str) else None
    if info is None or born is None or born.box is None or not isinstance(born.value, date):
        return
    if _same_day(born.value, info.birth_date):
        return
    words = read_region(engine, gray, born.box, digits=True, whitelist="-/.")
    found = find_dates(" ".join(w.text for w in words))
    if not words or not found:
        return
    again, conf = found[0].value, min(w.conf for w in words) * found[0].score
    if conf < WELL_READ:
        return
    if _same_day(again, info.birth_date):
        fields["tanggal_lahir"] = replace(born, value=again, confidence=round(conf, 4))
    elif again != born.value:
        fields["tanggal_lahir"] = replace(born, confidence=round(min(born.confidence, UNCERTAIN_CAP), 4))
    log.debug("birth date re-read: agrees with NIK=%s", _same_day(again, info.birth_date))


def _same_day(a: date, b: date) -> bool:
    """Same day, month and two-digit year (the NIK does not print the century)."""
    return (a.day, a.month, a.year % 100) == (b.day, b.month, b.year % 100)


def merge_nik(ocr: FieldValue | None, reading: NikReading) -> FieldValue | None:
    """One NIK from two readers. Agreement keeps the better confidence; disagreement caps it at UNCERTAIN_CAP.

    The template reader's digits win over the OCR's when they form a valid NIK and it is sure of them.
    """
    ocr_value = ocr.value if ocr is not None and isinstance(ocr.value, str) else None
    if reading.digits is None:
        return ocr
    reader_conf = min(reading.digit_conf) if reading.digit_conf else 0.0
    if reading.uncertain:
        reader_conf = min(reader_conf, UNCERTAIN_CAP)
    if decode_nik(reading.digits) is None:
        reader_conf *= 0.5
    box = ocr.box if ocr is not None and ocr.box is not None else reading.box
    raw = ocr.raw if ocr is not None else reading.digits
    if ocr_value == reading.digits:
        assert ocr is not None
        return FieldValue(reading.digits, round(max(ocr.confidence, reader_conf), 4), box, raw)
    if ocr_value is None or not re.fullmatch(r"\d{16}", ocr_value):
        return FieldValue(reading.digits, round(reader_conf, 4), reading.box or box, raw)
    assert ocr is not None
    if ocr.confidence < WEAK_OCR:  # a weak OCR reading is no evidence against the template reader
        return FieldValue(reading.digits, round(reader_conf, 4), box, raw)
    # both read 16 digits with some confidence and they differ: keep the more plausible one, flag it
    reader_ok = not reading.uncertain and decode_nik(reading.digits) is not None
    value = reading.digits if reader_ok or decode_nik(ocr_value) is None else ocr_value
    conf = min(UNCERTAIN_CAP, reader_conf if value == reading.digits else ocr.confidence)
    log.debug("NIK readers disagree on %d digits", sum(a != b for a, b in zip(ocr_value, reading.digits, strict=True)))
    return FieldValue(value, round(conf, 4), box, raw)


