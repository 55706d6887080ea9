"""read_page's orientation economy: a confident first reading spares OSD; a weak one pays for it."""

from __future__ import annotations

import numpy as np

from models.contract import DocType
from pipeline.context import OcrPage, PageInput
from pipeline.reading.acquire import _ocr_image
from tests.unit.ocr_fakes import fake_page
from tests.unit.synth import render_lines

KTP_WORDS = ["PROVINSI JAWA TIMUR", "NIK : 3575010101900001", "Tempat/Tgl Lahir : PASURUAN",
             "RT/RW : 001/002", "Kel/Desa : KEBONAGUNG", "Agama : ISLAM", "Status Perkawinan : KAWIN",
             "Pekerjaan : PETANI", "Kewarganegaraan : WNI", "Berlaku Hingga : SEUMUR HIDUP"]
GARBAGE = OcrPage(words=fake_page(["~~ ,, '' ..", "ll II ::"], conf=0.3).words, width=1200, height=200)


class _Engine:
    """Canned readings in order; counts reads and OSD calls."""

    name = "scripted"

    def __init__(self, pages: list[OcrPage], osd: tuple[int, float] | None = None) -> None:
        self.pages, self.osd_result = list(pages), osd
        self.reads = self.osds = 0
        self.images: list[np.ndarray] = []

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        self.reads += 1
        self.images.append(image)
        return self.pages.pop(0)

    def osd(self, image):
        self.osds += 1
        return self.osd_result


def _page() -> PageInput:
    image = render_lines([f"Baris teks nomor {i} dari halaman contoh yang panjang sekali" for i in range(6)], size=28)
    return PageInput(file="a.png", page=1, sha256="0" * 64, image=image)


def test_confident_first_reading_needs_no_osd() -> None:
    """GIVEN horizontal text WHEN the first (upright) reading names a document type THEN it is kept with one
    read and no orientation detection."""
    from pipeline.classify import classify

    engine = _Engine([fake_page(KTP_WORDS)], osd=(180, 20.0))
    src = _ocr_image(_page(), engine)
    assert engine.reads == 1 and engine.osds == 0
    assert classify(src.ocr)[0] == DocType.KTP


def test_weak_first_reading_asks_osd_and_keeps_the_turned_reading() -> None:
    """GIVEN a first reading with no evidence WHEN OSD says the page is upside down THEN the page is read
    again turned 180 degrees and that reading (a KTP) is kept, its boxes mapped back to the original."""
    engine = _Engine([GARBAGE, fake_page(KTP_WORDS)], osd=(180, 20.0))
    page = _page()
    src = _ocr_image(page, engine)
    assert engine.reads == 2 and engine.osds == 1
    assert src.ocr.words[0].text == fake_page(KTP_WORDS).words[0].text
    first, second = engine.images
    assert np.array_equal(second, first[::-1, ::-1])  # no skew on rendered text: an exact half turn
    assert src.to_page is not None
    h, w = page.image.shape[:2]
    x, y, bw, bh = src.to_page((0, 0, 10, 10))
    assert x + bw >= w - 2 and y + bh >= h - 2  # the turned image's top-left is the page's bottom-right


def test_osd_confirming_upright_keeps_the_first_reading() -> None:
    """GIVEN a weak first reading WHEN OSD says upright with confidence THEN no second read is made."""
    engine = _Engine([GARBAGE], osd=(0, 10.0))
    src = _ocr_image(_page(), engine)
    assert engine.reads == 1 and engine.osds == 1 and src.ocr is GARBAGE


def test_proven_upright_page_is_not_retried_upside_down() -> None:
    """GIVEN a clean reading of a page of no known type (upright proven) WHEN it is retried THEN only the
    sparse and the unprepared readings are tried, never the upside-down one."""
    from pipeline.classify import classify
    from pipeline.reading.acquire import Source, _retry

    page = _page()
    prose = fake_page(["Surat pernyataan bersedia menjadi anggota panitia pemungutan suara"] * 4)
    engine = _Engine([GARBAGE, GARBAGE, GARBAGE])
    _retry(page, Source(prose, page.image, None, upright=True), *classify(prose), engine)
    assert engine.reads == 3  # sparse, unprepared, smoothed
    assert not any(np.array_equal(img, page.image[::-1, ::-1]) for img in engine.images)


def test_a_big_type_sheet_taken_for_a_card_is_read_again_as_a_sheet(monkeypatch) -> None:
    """GIVEN a whole image taken for a card by its large print, turned a quarter to put its long side level
    WHEN the words of that reading stand upright (the turn made the text vertical) THEN its rotation is
    decided again as a sheet's and that reading is kept."""
    from dataclasses import replace

    from pipeline.context import Word
    from pipeline.reading import acquire as reading

    page = _page()
    real = reading.rectify_and_clean(page)
    monkeypatch.setattr(reading, "rectify_and_clean", lambda p: replace(real, kind="card", card_found=False))
    monkeypatch.setattr(reading, "runs_horizontally", lambda gray, text_along_long_side=False: False)
    turns = {True: (1, "vote"), False: (0, "vote")}  # the card rule turns it; as a sheet it is upright
    monkeypatch.setattr(reading, "detect_rotation", lambda gray, engine, text_along_long_side: turns[text_along_long_side])
    tall = OcrPage(words=[Word(t, 0.9, (100, 40 + 120 * i, 30, 110)) for i, t in enumerate(
        ["UNIVERSITAS", "IJAZAH", "menyatakan", "NADHIFAH", "Ponorogo", "Mahasiswa"])], width=800, height=1200)
    engine = _Engine([tall, fake_page(KTP_WORDS)])
    src = _ocr_image(page, engine)
    assert engine.reads == 2
    assert src.ocr.words[0].text == fake_page(KTP_WORDS).words[0].text
    turned, upright = (img.shape for img in engine.images)
    assert turned[0] > turned[1] and upright[1] > upright[0]  # the second read is the sheet as it lies


class _Blank(_Engine):
    """Reads nothing from any image (a page too blurred for the engine)."""

    def __init__(self, words: OcrPage | None = None) -> None:
        super().__init__([], osd=(0, 0.0))
        self.canned = words or OcrPage(words=[], width=1200, height=800)

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        self.reads += 1
        return self.canned


def test_an_unread_page_that_looks_like_paper_is_marked_unreadable() -> None:
    """GIVEN a page of text the engine cannot read THEN the reading has no type and is marked unreadable (it
    may be the document the dossier lacks); a colour photo read as nothing, or a legible page of another
    kind, is not."""
    import cv2

    from pipeline.nlp import build_nlp
    from pipeline.reading import read_page
    from tests.unit.ocr_fakes import tools

    nlp = build_nlp()
    page = _page()
    blurred = PageInput(file="b.jpg", page=1, sha256="0" * 64, image=cv2.GaussianBlur(page.image, (0, 0), 5))
    r = read_page(blurred, tools(nlp, _Blank()))
    assert r.type == DocType.UNKNOWN and r.unreadable

    photo = np.full((600, 400, 3), (40, 40, 200), np.uint8)
    cv2.circle(photo, (200, 250), 120, (150, 170, 210), -1)
    r = read_page(PageInput(file="foto.jpg", page=1, sha256="0" * 64, image=photo), tools(nlp, _Blank()))
    assert r.type == DocType.UNKNOWN and not r.unreadable

    statement = fake_page([f"saya menyatakan dengan sesungguhnya bahwa baris {i} benar" for i in range(14)])
    r = read_page(page, tools(nlp, _Blank(statement)))
    assert r.type == DocType.UNKNOWN and not r.unreadable


class _Always(_Engine):
    """The same reading of every image; counts reads and keeps the images."""

    def __init__(self, words: OcrPage) -> None:
        super().__init__([], osd=(0, 0.0))
        self.words = words

    def read(self, image, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        self.reads += 1
        self.images.append(image)
        return self.words


def _weak_source(page: PageInput, *, prepared: bool = True):
    from pipeline.reading.acquire import Source

    image = np.ascontiguousarray(page.image[10:-10, 10:-10]) if prepared else page.image
    return Source(GARBAGE, image, (lambda box: box) if prepared else None)


def test_a_page_no_tesseract_reading_can_type_is_read_by_the_neural_engine() -> None:
    """GIVEN a page whose every tesseract reading is garbage WHEN the neural engine reads it as a KTP
    THEN that reading is kept: its words, its type, the prepared image it was read from."""
    from pipeline.reading.acquire import classify_words

    page = _page()
    src = _weak_source(page)
    engine, neural = _Always(GARBAGE), _Always(fake_page(KTP_WORDS))
    got, doc_type, scores = classify_words(page, src, engine, neural)
    assert doc_type == DocType.KTP and scores["ktp"] >= 0.35
    assert got.ocr.words[0].text == fake_page(KTP_WORDS).words[0].text
    assert neural.reads == 1 and got.image is src.image and got.to_page is src.to_page


def test_the_neural_engine_is_not_asked_when_tesseract_names_the_type() -> None:
    """GIVEN a weak first reading WHEN a tesseract retry names the type THEN the neural engine is not run
    (it costs seconds a page; only pages still unknown pay for it)."""
    from pipeline.reading.acquire import classify_words

    page = _page()
    engine, neural = _Engine([fake_page(KTP_WORDS)]), _Always(fake_page(KTP_WORDS))
    _, doc_type, _ = classify_words(page, _weak_source(page), engine, neural)
    assert doc_type == DocType.KTP and neural.reads == 0


def test_a_neural_reading_that_names_no_type_is_not_kept() -> None:
    """GIVEN a page unknown to tesseract WHEN the neural engine names no type either, on the prepared image
    nor on the unprepared page THEN the page stays unknown with tesseract's reading, after two neural reads."""
    from pipeline.reading.acquire import classify_words

    page = _page()
    src = _weak_source(page)
    neural = _Always(fake_page(["Surat pernyataan bersedia menjadi anggota panitia"]))
    got, doc_type, _ = classify_words(page, src, _Always(GARBAGE), neural)
    assert doc_type == DocType.UNKNOWN and got.ocr.words[0].text == GARBAGE.words[0].text
    assert neural.reads == 2 and neural.images[0] is src.image and neural.images[1].shape == page.image.shape[:2]


def test_a_weak_page_is_read_again_smoothed() -> None:
    """GIVEN a weak reading of a photocopy (halftone dots, speckle) THEN one retry reads the prepared image
    through a median filter that removes dots smaller than a stroke."""
    import cv2

    from pipeline.reading.acquire import SMOOTH_KERNEL, classify_words

    page = _page()
    src = _weak_source(page)
    engine = _Always(GARBAGE)
    classify_words(page, src, engine)
    assert any(img.shape == src.image.shape and np.array_equal(img, cv2.medianBlur(src.image, SMOOTH_KERNEL))
               for img in engine.images)


def test_read_page_hands_the_neural_engine_to_the_last_retry() -> None:
    """read_page passes the process's neural engine on: an unreadable-to-tesseract page becomes a KTP."""
    from pipeline.nlp import build_nlp
    from pipeline.reading import ReadingTools, read_page
    from pipeline.reading.protocol import NEURAL, PRIMARY
    from tests.unit.ocr_fakes import policy

    neural = _Always(fake_page(KTP_WORDS))
    tools = ReadingTools(engines={PRIMARY: _Blank(GARBAGE), NEURAL: neural}, nlp=build_nlp(), policy=policy())
    assert read_page(_page(), tools).type == DocType.KTP and neural.reads >= 1


def test_a_wordless_picture_is_not_read_by_the_neural_engine() -> None:
    """GIVEN a colour photo (a pas foto: tesseract reads no word, no paper-coloured surface) THEN the neural
    engine is not run on it; a wordless image that shows paper (a card on a cloth) is read."""
    from dataclasses import replace

    from pipeline.reading.acquire import classify_words

    page = _page()
    empty = OcrPage(words=[], width=1200, height=800)
    neural = _Always(fake_page(KTP_WORDS))
    photo = replace(_weak_source(page), ocr=empty, paper=0.02)
    assert classify_words(page, photo, _Always(empty), neural)[1] == DocType.UNKNOWN and neural.reads == 0
    card = replace(_weak_source(page), ocr=empty, paper=0.3)
    assert classify_words(page, card, _Always(empty), neural)[1] == DocType.KTP and neural.reads == 1


def test_a_page_a_retry_already_typed_is_not_read_smoothed() -> None:
    """GIVEN a weak first reading WHEN a retry names the type, even with weak evidence THEN the smoothed reading
    is not tried (it would trade a sharper reading of a named page for a blurred one)."""
    import cv2

    from pipeline.reading.acquire import SMOOTH_KERNEL, classify_words

    page = _page()
    src = _weak_source(page)
    weak_ktp = fake_page(["PROVINSI JAWA TIMUR", "NIK : 3575010101900001", "Agama : ISLAM"])
    engine = _Always(weak_ktp)
    _, doc_type, scores = classify_words(page, src, engine)
    assert doc_type == DocType.KTP and max(scores.values()) < 0.35
    assert not any(np.array_equal(img, cv2.medianBlur(src.image, SMOOTH_KERNEL)) for img in engine.images)


def test_a_page_typed_by_the_neural_engine_is_not_confirmed_by_it_again() -> None:
    """GIVEN a page only the neural engine could type WHEN it is read THEN its fields carry the neural engine's
    confidence on the common scale (as any neural reading) and the cascade does not read it with the neural
    engine once more: one engine agreeing with itself is no second reading."""
    from dataclasses import replace

    from pipeline.context import FieldValue
    from pipeline.nlp import build_nlp
    from pipeline.reading import ReadingTools, read_page
    from pipeline.reading.protocol import NEURAL, PRIMARY
    from tests.unit.ocr_fakes import policy

    neural = _Always(replace(fake_page(KTP_WORDS, conf=0.95), source="neural"))
    tools = ReadingTools(engines={PRIMARY: _Blank(GARBAGE), NEURAL: neural}, nlp=build_nlp(), policy=policy())
    r = read_page(_page(), tools)
    assert r.type == DocType.KTP and neural.reads == 1
    assert r.fields, "the KTP's fields are read from the neural reading"
    ceiling = policy().from_neural(FieldValue("x", 0.95, None)).confidence
    assert ceiling < 0.95
    assert all(fv.confidence <= ceiling for fv in r.fields.values())
