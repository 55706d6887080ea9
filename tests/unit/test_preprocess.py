"""Preprocessing: geometry (quad, perspective, rotation, deskew) and photometric clean-up."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.context import PageInput
from pipeline.preprocess import CARD_WIDTH, enhance, geometry, objects, prepare
from tests.unit.synth import DEMO_ROWS, place_on_background, render_card, render_lines

TEXT = [
    "SURAT KETERANGAN SEHAT",
    "Yang bertanda tangan di bawah ini menerangkan bahwa",
    "Nama : SITI AMINAH  Umur : 24 tahun",
    "Tekanan darah 120/80 mmHg, gula darah 96 mg/dl",
    "dinyatakan SEHAT untuk pendaftaran KPPS",
    "Pasuruan, 12 Desember 2023",
]


@pytest.fixture(scope="module")
def text_page() -> np.ndarray:
    return render_lines(TEXT, size=26)


def _page(img: np.ndarray) -> PageInput:
    return PageInput(file="t.png", page=1, sha256="0" * 64, image=img)


# ---- deskew -------------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(angle=st.floats(min_value=-8.0, max_value=8.0))
def test_estimate_skew_recovers_rotation(text_page, angle):
    padded = cv2.copyMakeBorder(text_page, 120, 120, 60, 60, cv2.BORDER_CONSTANT, value=255)
    tilted, _ = geometry.rotate_small(padded, angle)
    assert geometry.estimate_skew(tilted) == pytest.approx(angle, abs=0.3)


def test_estimate_skew_without_text_is_zero():
    assert geometry.estimate_skew(np.full((300, 400), 250, np.uint8)) == 0.0


@settings(max_examples=25, deadline=None)
@given(k=st.integers(0, 3), x=st.integers(0, 39), y=st.integers(0, 29))
def test_rotate90_transform_maps_pixels(k, x, y):
    img = np.zeros((30, 40), np.uint8)
    img[y, x] = 255
    out, m = geometry.rotate90(img, k)
    px, py, _ = m @ np.array([x, y, 1.0])
    assert out[int(round(py)), int(round(px))] == 255


@settings(max_examples=25, deadline=None)
@given(perm=st.permutations([0, 1, 2, 3]), dx=st.floats(-30, 30), dy=st.floats(-20, 20))
def test_order_corners_is_canonical(perm, dx, dy):
    quad = np.float32([[100 + dx, 50], [500, 60 + dy], [520, 330], [90, 310 - dy]])
    got = geometry.order_corners(quad[list(perm)])
    np.testing.assert_allclose(got, quad)


# ---- perspective ------------------------------------------------------------------------------


def test_find_quad_and_rectify_a_photographed_card():
    card, nik_box = render_card("3575024506990001", DEMO_ROWS, seed=3)
    quad = np.float32([[310, 240], [1480, 330], [1440, 1090], [260, 960]])
    photo = place_on_background(card, quad, (1800, 1300), seed=3)
    found = objects.find_quad(photo)
    assert found is not None
    assert np.abs(found - quad).max() < 12  # within a few pixels of the true corners

    prep = prepare(_page(photo), orientation=False)
    assert prep.card_found and prep.kind == "card"
    assert prep.image.shape == (round(CARD_WIDTH / geometry.CARD_ASPECT), CARD_WIDTH)
    # the rectified card lines up (within a few pixels) with a clean render of the same card
    ref = enhance.clean(cv2.resize(card, (CARD_WIDTH, prep.image.shape[0]), interpolation=cv2.INTER_AREA))
    a, b = (cv2.GaussianBlur(x.astype(float), (0, 0), 2) for x in (ref, prep.image))
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.8
    # a box of the prepared image maps back onto the photo where the NIK was drawn
    s = CARD_WIDTH / card.shape[1]
    x, y, w, h = nik_box
    back = prep.to_original((round(x * s), round(y * s), round(w * s), round(h * s)))
    src = np.float32([[0, 0], [card.shape[1] - 1, 0], [card.shape[1] - 1, card.shape[0] - 1], [0, card.shape[0] - 1]])
    m = cv2.getPerspectiveTransform(src, quad)
    centre = cv2.perspectiveTransform(np.float32([[[x + w / 2, y + h / 2]]]), m)[0, 0]
    assert abs(back[0] + back[2] / 2 - centre[0]) < 15 and abs(back[1] + back[3] / 2 - centre[1]) < 15


def test_small_card_on_white_page_is_found():
    card, _ = render_card("3575024506990001", DEMO_ROWS, width=500, seed=4)
    page = np.full((1750, 1240, 3), 248, np.uint8)
    page[300 : 300 + card.shape[0], 400 : 400 + card.shape[1]] = card
    prep = prepare(_page(page), orientation=False)
    assert prep.card_found and prep.kind == "card"


def test_front_and_back_side_by_side_picks_the_front():
    card, _ = render_card("3575024506990001", DEMO_ROWS, width=500, seed=8)
    back = np.full_like(card, (235, 215, 170))
    page = np.full((1240, 1750, 3), 248, np.uint8)
    h, w = card.shape[:2]
    page[400 : 400 + h, 200 : 200 + w] = back  # the larger-x card is the front
    page[400 : 400 + h, 900 : 900 + w] = card
    prep = prepare(_page(page), orientation=False)
    assert prep.card_found and prep.kind == "card"
    x, _, bw, _ = prep.to_original((0, 0, prep.image.shape[1], prep.image.shape[0]))
    assert abs(x - 900) < 10 and abs(bw - w) < 15


def test_glare_touching_the_card_edge_does_not_bend_the_quad():
    card, _ = render_card("3575024506990001", DEMO_ROWS, seed=9)
    quad = np.float32([[300, 420], [1500, 420], [1500, 1177], [300, 1177]])
    photo = place_on_background(card, quad, (1800, 1500), seed=9)
    cv2.circle(photo, (900, 380), 90, (250, 250, 250), -1)  # a bright spot over the top edge
    found = objects.find_quad(photo)
    assert found is not None and np.abs(found - quad).max() < 15


def _checked_cloth(h: int, w: int, square: int, colours: tuple) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    odd = ((yy // square + xx // square) % 2).astype(bool)
    cloth = np.empty((h, w, 3), np.uint8)
    cloth[~odd], cloth[odd] = colours
    return cloth


def test_a_sheet_on_a_checked_tablecloth_is_found(text_page):
    """A background of two strong colours (no single border colour): the sheet is what differs from both."""
    sheet = cv2.cvtColor(cv2.copyMakeBorder(text_page, 60, 900, 60, 60, cv2.BORDER_CONSTANT, value=250),
                         cv2.COLOR_GRAY2BGR)
    h, w = sheet.shape[:2]
    quad = np.float32([[500, 250], [500 + w * 0.9, 300], [480 + w * 0.9, 300 + h * 0.9], [460, 260 + h * 0.9]])
    photo = _checked_cloth(int(quad[:, 1].max()) + 250, int(quad[:, 0].max()) + 450, 45,
                           ((60, 170, 60), (170, 90, 50)))
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    m = cv2.getPerspectiveTransform(src, quad)
    warped = cv2.warpPerspective(sheet, m, (photo.shape[1], photo.shape[0]))
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (photo.shape[1], photo.shape[0])) > 0
    photo[inside] = warped[inside]
    found = objects.find_quad(photo)
    assert found is not None and np.abs(found - quad).max() < 15


def test_a_shadow_across_a_photographed_sheet_does_not_cut_it_in_two(text_page):
    """A sheet on a gray desk with a band of shadow across both: by colour the sheet falls into two pieces;
    its outline (a sharp edge, where the shadow's are soft) gives the whole sheet."""
    sheet = cv2.copyMakeBorder(text_page, 60, 900, 60, 60, cv2.BORDER_CONSTANT, value=250)
    h, w = sheet.shape
    photo = np.full((h + 400, w + 500), 175, np.uint8)
    photo[200:200 + h, 250:250 + w] = sheet
    y = np.arange(photo.shape[0], dtype=np.float32)[:, None]
    shade = 1.0 - 0.35 * np.exp(-(((y - (200 + h / 2)) / 60.0) ** 2))  # a soft shadow band across everything
    photo = cv2.GaussianBlur((photo * shade).astype(np.uint8), (3, 3), 0)
    found = objects.find_quads(cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    quad = np.float32([[250, 200], [250 + w, 200], [250 + w, 200 + h], [250, 200 + h]])
    assert len(found) == 1 and np.abs(found[0] - quad).max() < 20


def test_a_table_on_a_flat_scan_is_no_sheet_outline():
    """A flat scan (paper to the image's edges) with a ruled table: the table's frame is a sharp quadrilateral
    edge, but paper lies on both sides of it, so it is not taken for a sheet."""
    page = np.full((2339, 1654), 250, np.uint8)
    cv2.rectangle(page, (200, 1000), (1100, 1700), 0, 3)
    for yy in range(1100, 1700, 100):
        cv2.line(page, (200, yy), (1100, yy), 0, 2)
        cv2.putText(page, "Tekanan Darah 120/80", (220, yy - 30), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    cv2.line(page, (600, 1000), (600, 1700), 0, 2)
    assert objects.find_quads(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)) == []


def test_an_outline_counts_only_with_lighter_paper_inside():
    """Paper inside, a darker desk outside: a sheet. Print crowding the band inside a frame on paper (darker
    inside, as a table's rows are) is no sheet, though the two sides differ as much."""
    quad = np.float32([[100, 100], [500, 100], [500, 400], [100, 400]])
    desk = np.full((500, 600, 3), 150, np.uint8)
    cv2.fillConvexPoly(desk, quad.astype(np.int32), (245, 245, 245))
    assert objects._paper_inside(desk, quad)
    paper = np.full((500, 600, 3), 245, np.uint8)
    cv2.fillConvexPoly(paper, quad.astype(np.int32), (150, 150, 150))  # dense print just inside the frame
    cv2.fillConvexPoly(paper, np.int32([[130, 130], [470, 130], [470, 370], [130, 370]]), (245, 245, 245))
    assert not objects._paper_inside(paper, quad)


def test_paper_share_tells_a_document_from_a_colour_photo(text_page):
    from pipeline.preprocess import paper_share

    page = cv2.cvtColor(text_page, cv2.COLOR_GRAY2BGR)
    photo = np.full((600, 400, 3), (40, 40, 200), np.uint8)  # red backdrop
    cv2.circle(photo, (200, 250), 120, (150, 170, 210), -1)  # a face
    assert paper_share(page) > 0.8
    assert paper_share(cv2.GaussianBlur(page, (0, 0), 6)) > 0.8  # blur does not make paper less paper
    assert paper_share(photo) < 0.2


def test_a_card_photocopied_onto_a_sheet_without_its_outline_is_cut_out():
    """GIVEN a black-and-white copy of a KTP on an A4 sheet: no card edge, copier specks, a fold line
    THEN the card's print is found, cut out and prepared as a card, its boxes mapping back onto the sheet."""
    card, _ = render_card("3575024506990001", DEMO_ROWS, width=700, seed=5)
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    bw = np.where(gray < 150, 0, 255).astype(np.uint8)  # the copier keeps the print, drops the card's tint
    sheet = np.full((2339, 1654), 255, np.uint8)
    rng = np.random.default_rng(5)
    ys, xs = rng.integers(0, 2339, 3000), rng.integers(0, 1654, 3000)
    sheet[ys, xs] = 0  # specks
    sheet[:, 820:823] = 90  # the sheet's fold
    y, x = 300, 700
    sheet[y : y + bw.shape[0], x : x + bw.shape[1]] = np.minimum(sheet[y : y + bw.shape[0], x : x + bw.shape[1]], bw)
    prep = prepare(_page(cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR)), orientation=False)
    assert prep.card_found and prep.kind == "card"
    bx, by, bwid, bht = prep.to_original((0, 0, prep.image.shape[1], prep.image.shape[0]))
    assert x - 80 <= bx <= x + 40 and y - 80 <= by <= y + 40
    assert abs(bx + bwid - (x + bw.shape[1])) < 80 and bht < 1.3 * bw.shape[0]


def _halftone_back(width: int, height: int, seed: int) -> np.ndarray:
    """A card's back as a copier renders it: a grid of filled halftone dots of varying size, no letters."""
    rng = np.random.default_rng(seed)
    back = np.full((height, width), 255, np.uint8)
    for y in range(8, height - 8, 15):
        for x in range(8, width - 8, 15):
            cv2.circle(back, (x, y), int(rng.integers(2, 5)), 0, -1)
    return back


def _copy_with_back(stacked: bool, seed: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """An A4 copy of a KTP's front and back (side by side or one above the other), with copier speckle and a
    dark copier edge along one side; and the front's box (x, y, w, h) on the sheet."""
    card, _ = render_card("3575024506990001", DEMO_ROWS, width=540, seed=seed)
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    front = np.where(gray < 150, 0, 255).astype(np.uint8)
    back = _halftone_back(front.shape[1], front.shape[0], seed)
    h, w = 2339, 1654
    sheet = np.full((h, w), 255, np.uint8)
    rng = np.random.default_rng(seed)
    for _ in range(2500):  # speckle, some of it in clumps a few pixels wide
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.circle(sheet, (cx, cy), int(rng.integers(0, 3)), 0, -1)
    sheet[:, : 14 + int(rng.integers(0, 10))] = 40  # the copier's dark edge, ragged
    sheet[rng.integers(0, h, 400), rng.integers(14, 40, 400)] = 40
    fy, fx = 300, 200
    by, bx = (fy + front.shape[0] + 250, fx) if stacked else (fy, fx + front.shape[1] + 250)  # 3 cm apart
    for img, (y, x) in ((front, (fy, fx)), (back, (by, bx))):
        sheet[y : y + img.shape[0], x : x + img.shape[1]] = np.minimum(sheet[y : y + img.shape[0], x : x + img.shape[1]], img)
    return sheet, (fx, fy, front.shape[1], front.shape[0])


@pytest.mark.parametrize("stacked", [False, True])
def test_a_photocopied_card_beside_its_back_is_cut_out_at_its_front(stacked):
    """GIVEN a black-and-white copy of a KTP's front and its patterned back on an A4 sheet (no card edges),
    with copier speckle and the copier's dark edge along the sheet's side
    THEN both sides are blocks of print, and the front (the one whose ink is letters) is the card prepared."""
    sheet, (x, y, w, h) = _copy_with_back(stacked, seed=7)
    assert len(objects.find_text_blocks(sheet)) == 2
    prep = prepare(_page(cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR)), orientation=False)
    assert prep.card_found and prep.kind == "card"
    bx, by, bwid, bht = prep.to_original((0, 0, prep.image.shape[1], prep.image.shape[0]))
    # the print's box, grown by a margin: within the card's own blank border of the front's edges
    assert abs(bx - x) < 100 and abs(by - y) < 100
    assert abs(bx + bwid - (x + w)) < 100 and bht < 1.2 * h


def test_specks_and_a_copier_edge_do_not_hide_a_lone_photocopied_card():
    """GIVEN a copy of a KTP alone on a sheet with heavy speckle and a dark copier edge (ink outside the card
    that a plain share of all ink counts) THEN the card is still found."""
    sheet, (x, y, w, h) = _copy_with_back(False, seed=3)
    back = sheet[y : y + h, x + w + 250 : x + 2 * w + 250]
    back[...] = np.where(back == 0, 255, back)  # the back left out of the copy
    blocks = objects.find_text_blocks(sheet)
    assert len(blocks) == 1
    (bx0, by0), (bx1, by1) = blocks[0][0], blocks[0][2]
    assert bx0 <= x + 20 and by0 <= y + 20 and bx1 >= x + w - 20 and by1 >= y + 0.6 * h  # the rows end above the card's foot


def test_the_letter_like_block_wins_over_a_patterned_one():
    """The glyph count that picks the front: letters, not filled dots."""
    from pipeline.preprocess import _glyphs

    card, _ = render_card("3575024506990001", DEMO_ROWS, width=620, seed=1)
    front = np.where(cv2.cvtColor(card, cv2.COLOR_BGR2GRAY) < 150, 0, 255).astype(np.uint8)
    back = _halftone_back(front.shape[1], front.shape[0], 1)
    assert len(_glyphs(front)) > 3 * len(_glyphs(back))


def test_a_card_shaped_paragraph_as_wide_as_the_sheet_is_not_taken_for_a_card():
    """GIVEN a sheet whose print is one paragraph in large type, card-shaped (ratio ~1.7) but spanning most of
    the sheet's width THEN it is no photocopied card (a card is under half the width of the sheet it is copied
    on) and the sheet is prepared as a page."""
    lines = [f"Baris {i} surat keterangan untuk pendaftaran" for i in range(7)]
    block = render_lines(lines, size=40)
    h, w = block.shape
    sheet = np.full((round(1.414 * w / 0.62), round(w / 0.62)), 255, np.uint8)  # 62 % of the width, 15 % of the sheet
    y, x = round(0.3 * sheet.shape[0]), round(0.1 * sheet.shape[1])
    sheet[y : y + h, x : x + w] = block
    assert 1.3 <= w / h <= 2.1 and objects.find_text_blocks(sheet)  # the old tests alone would take it
    prep = prepare(_page(cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR)), orientation=False)
    assert prep.kind == "page" and not prep.card_found


def test_a_letter_is_not_taken_for_a_photocopied_card(text_page):
    letter = cv2.copyMakeBorder(text_page, 200, 1200, 150, 150, cv2.BORDER_CONSTANT, value=255)
    assert not objects.find_text_blocks(letter) or prepare(_page(letter), orientation=False).kind == "page"


def test_text_page_scan_is_not_taken_for_an_object(text_page):
    page = cv2.copyMakeBorder(text_page, 200, 900, 150, 150, cv2.BORDER_CONSTANT, value=255)
    assert objects.find_quad(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)) is None
    prep = prepare(_page(page), orientation=False)
    assert not prep.card_found and prep.kind == "page"


# ---- photometric ------------------------------------------------------------------------------


def test_clean_leaves_clean_input_alone(text_page):
    out = enhance.clean(text_page)
    assert out.shape == text_page.shape
    assert np.mean(np.abs(out.astype(int) - text_page.astype(int))) < 2.0


def test_clean_suppresses_blue_guilloche_and_keeps_text():
    card, nik_box = render_card("3575024506990001", DEMO_ROWS, seed=5)
    raw_gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    out = enhance.clean(card)
    x, y, w, h = nik_box
    # empty card area below the rows: patterned before, near-white after
    area = (slice(int(card.shape[0] * 0.85), card.shape[0] - 5), slice(20, int(card.shape[1] * 0.6)))
    assert raw_gray[area].std() > 3 and raw_gray[area].mean() < 225
    assert out[area].mean() > 240 and np.percentile(out[area], 1) > 200
    assert np.percentile(out[y : y + h, x : x + w], 5) < 60  # NIK strokes stay dark


def test_flatten_background_removes_a_lighting_gradient(text_page):
    h, w = text_page.shape
    light = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :]
    shaded = (text_page.astype(np.float32) * light).astype(np.uint8)
    paper = text_page > 200
    flat = enhance.flatten_background(shaded)
    assert shaded[paper].std() > 20
    assert flat[paper].std() < 8


def test_denoise_only_when_noisy(text_page):
    assert enhance.denoise(text_page) is text_page
    rng = np.random.default_rng(0)
    noisy = np.clip(text_page + rng.normal(0, 18, text_page.shape), 0, 255).astype(np.uint8)
    assert enhance.noise_sigma(noisy) > 10
    cleaned = enhance.denoise(noisy)
    assert np.abs(cleaned.astype(int) - text_page).mean() < np.abs(noisy.astype(int) - text_page).mean()


# ---- orientation ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    from pipeline.errors import EngineMissing
    from pipeline.ocr.factory import make_engine

    try:
        return make_engine("auto")
    except EngineMissing as e:
        pytest.fail(f"tesseract is part of the set-up (scripts/setup.sh): {e}")


@pytest.fixture(scope="module")
def card_and_upright(engine):
    card, _ = render_card("3575024506990001", DEMO_ROWS, width=800, seed=6)
    return card, prepare(_page(card), engine)


@pytest.mark.tesseract
@pytest.mark.parametrize("turns", [1, 2, 3])
def test_prepare_turns_rotated_card_upright(engine, card_and_upright, turns):
    card, upright = card_and_upright
    assert upright.rotation == 0
    rotated = np.ascontiguousarray(np.rot90(card, turns))
    prep = prepare(_page(rotated), engine)
    assert prep.rotation == 90 * ((4 - turns) % 4)
    assert prep.image.shape == upright.image.shape
    a, b = (cv2.GaussianBlur(x.astype(float), (0, 0), 2) for x in (prep.image, upright.image))
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9


@pytest.mark.tesseract
def test_prepare_turns_rotated_text_page_upright(engine, text_page):
    page = cv2.copyMakeBorder(text_page, 100, 600, 80, 80, cv2.BORDER_CONSTANT, value=255)
    prep = prepare(_page(np.ascontiguousarray(np.rot90(page, 1))), engine)
    assert prep.rotation == 270 and prep.kind == "page"
    words = engine.read(prep.image, psm=3).text().upper()
    assert "KETERANGAN" in words and "SEHAT" in words


@pytest.mark.parametrize(
    "image",
    [
        np.full((5, 5, 3), 200, np.uint8),  # thumbnail
        np.zeros((300, 400, 3), np.uint8),  # black
        np.full((200, 300, 4), 128, np.uint8),  # BGRA
        np.full((1, 500, 3), 9, np.uint8),  # one row
        np.full((3000, 20, 3), 250, np.uint8),  # sliver
    ],
    ids=["thumb", "black", "bgra", "row", "sliver"],
)
def test_prepare_survives_odd_images(image):
    prep = prepare(_page(image))
    assert prep.image.dtype == np.uint8 and prep.image.ndim == 2
    assert max(prep.image.shape) <= 8000
    assert max(prep.image.shape) <= 4 * max(image.shape[:2]) + 1


def test_prepare_rejects_text_layer_only_page():
    with pytest.raises(ValueError):
        prepare(PageInput(file="a.pdf", page=1, sha256="0" * 64, image=None, kind="pdf"))
