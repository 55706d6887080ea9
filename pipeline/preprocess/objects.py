"""Where the card or sheet lies in a picture: the quadrilateral of each card or sheet on a background, or
the block of print of a card photocopied onto a sheet.

    find_quads(image)        colour cut against the border; a patterned background; a sheet's sharp outline
    find_quad(image)         the largest of them
    find_text_blocks(image)  a photocopied card's print blocks (front, back), when no object was found

Corners are (TL, TR, BR, BL) in the input image's pixels. `pipeline/preprocess/__init__.py` decides what
each found object is (card or sheet) and warps it; docs/ocr.md explains the cascade.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.preprocess.geometry import order_corners, shrink, text_mask

BACKGROUND_COLOURS = 3  # main colours of a patterned background
TEXT_BLOCK_MAX = 0.2  # a block of print covering less of the page than this may be a photocopied card
TEXT_BLOCK_SHARE = 0.9  # ...when it holds at least this share of the page's print
TEXT_BLOCKS = 3  # at most this many blocks (a card's front and back, a stamp or note beside them)
TEXT_BLOCK_PEER = 0.5  # a further block covers at least half of the first one (the two sides of one card)
SPECK_SHARE = 0.02  # a blob holding under this share of the inkiest blob's ink is a stray mark
TEXT_BLOCK_NEAR = 0.35  # blobs this close (share of the largest blob's short side) belong to its block (a card's
# photo and signature beside its rows)
TEXT_BLOCK_MARGIN = 0.05  # the card's blank border around its print, as a share of the block's long side
PATTERN_CONTRAST = 40.0  # Lab distance between two of them that makes a pattern (a checked cloth), not shading
EDGE_LOW, EDGE_HIGH = 50, 150  # Canny thresholds for a sheet's outline (soft shadows stay below them)
EDGE_MIN_FRAC = 0.1  # an outline covers at least this share of the image
EDGE_BAND = 8  # px (work scale) of the bands inside and outside an outline compared by colour
EDGE_CONTRAST = 12.0  # Lab lightness by which paper inside an outline exceeds the desk outside it
PIECES_COVER = 0.75  # objects whose hull covers this share of an outline are pieces of that one sheet


def _border_pixels(a: np.ndarray) -> np.ndarray:
    b = max(2, min(a.shape[:2]) // 50)
    parts = [a[:b], a[-b:], a[:, :b], a[:, -b:]]
    return np.concatenate([p.reshape(-1, *a.shape[2:]) for p in parts])


def _border_distance(small: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-pixel colour distance (Lab) to the median border colour, and a threshold above the
    background's own variation (twice the 80th percentile of the border's distances, at least 10; a
    percentile that ignores the object when it touches part of the border)."""
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    ref = np.median(_border_pixels(lab), axis=0)
    return _distance_and_floor(lab, [ref])


def _pattern_distance(small: np.ndarray) -> tuple[np.ndarray, float]:
    """As `_border_distance`, for a background of a few colours (a checked tablecloth, a two-tone desk):
    the distance to the nearest of the border's main colours (k-means, k=3; a colour under 15 % of the
    border, such as an object touching it, is not background). When those colours are shades of one (light
    and shadow), there is no pattern and no object: a distance of zero everywhere."""
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    border = np.ascontiguousarray(_border_pixels(lab))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)
    _, labels, centres = cv2.kmeans(border, BACKGROUND_COLOURS, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=BACKGROUND_COLOURS) / len(labels)
    main = [c for c, share in zip(centres, shares, strict=True) if share >= 0.15]
    spread = max(float(np.linalg.norm(a - b)) for a in main for b in main)
    if spread < PATTERN_CONTRAST:  # shades of one colour (light and shadow), not a pattern: no object
        return np.zeros(lab.shape[:2], np.float32), 1.0
    return _distance_and_floor(lab, main)


def _distance_and_floor(lab: np.ndarray, refs: list[np.ndarray]) -> tuple[np.ndarray, float]:
    dist = np.min(np.stack([np.linalg.norm(lab - ref, axis=2) for ref in refs]), axis=0)
    spread = float(np.percentile(_border_pixels(dist), 80))
    return dist, max(10.0, 2.0 * spread)


def _largest_quad(points: np.ndarray) -> np.ndarray:
    """The largest-area quadrilateral with corners among `points` (n x 2, convex order)."""
    from itertools import combinations

    best, best_area = None, -1.0
    for idx in combinations(range(len(points)), 4):
        q = points[list(idx)]
        x, y = q[:, 0], q[:, 1]
        area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
        if area > best_area:
            best, best_area = q, area
    return np.asarray(best, np.float32)


def _quad_of_contour(
    c: np.ndarray, raw: np.ndarray, min_area: float, max_area: float
) -> tuple[np.ndarray, float] | None:
    """The quadrilateral of a blob and the share of the quad's surface that differs from the
    background (its fill), or None when the blob is no quadrilateral object."""
    area = cv2.contourArea(c)
    if area < min_area or area > max_area:
        return None
    hull = cv2.convexHull(c)
    if area < 0.85 * cv2.contourArea(hull):  # not a filled convex object
        return None
    # the largest quadrilateral on the (simplified) hull: a glare spot or a finger that touches the
    # card's edge adds a small bump, not a corner
    approx = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(approx) < 4 or len(approx) > 14:
        return None
    quad = order_corners(_largest_quad(approx.astype(np.float32)))
    if cv2.contourArea(quad) < 0.8 * area:
        return None
    # a physical card or sheet differs from the background over its whole surface; a block of
    # text merged by the closing does not (only its ink does)
    poly = np.zeros_like(raw)
    cv2.fillConvexPoly(poly, quad.astype(np.int32), 1)
    inside = raw[poly > 0]
    fill = float(np.mean(inside > 0)) if inside.size else 0.0
    if fill < 0.6:
        return None
    return quad, fill


def find_quads(image: np.ndarray, *, work: int = 640, min_frac: float = 0.03) -> list[np.ndarray]:
    """Corners (TL, TR, BR, BL, in `image` pixels) of the cards or sheets lying on a background,
    largest first (e.g. the front and back of a KTP photocopied side by side).

    An object is what differs in colour from the image border over its whole surface; none when the
    object fills the image (a flat scan), covers less than `min_frac` of it, or is not a convex
    quadrilateral.
    """
    small, s = shrink(image, work, exact=True)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    dist, floor = _border_distance(small)
    if dist.max() < floor:  # nothing stands out from one background colour: perhaps a patterned background
        dist, floor = _pattern_distance(small)
    found = _objects(dist, floor, min_frac)
    if len(found) != 1:
        # a shadow across the sheet (striped light, a hand) splits it by colour, or hides it: its outline
        # is still a sharp edge, where soft shadows are not
        outline = _edge_outline(small)
        if outline is not None and _pieces_of(outline, found):
            found = [outline]
    return [q / s for q in found]


def _pieces_of(outline: np.ndarray, found: list[np.ndarray]) -> bool:
    """True when the objects found by colour are pieces of the sheet `outline` (or there are none): all
    inside it and, together, covering most of it. Cards lying on a sheet cover little of it."""
    if not found:
        return True
    if any(cv2.pointPolygonTest(outline, tuple(map(float, q.mean(axis=0))), False) < 0 for q in found):
        return False
    hull = cv2.convexHull(np.concatenate(found).astype(np.float32))
    return cv2.contourArea(hull) >= PIECES_COVER * cv2.contourArea(outline)


def _edge_outline(small: np.ndarray) -> np.ndarray | None:
    """The sheet's outline from its edges: the largest closed edge contour that approximates a convex
    quadrilateral of a sizeable share of the image, and whose inside is lighter than its outside (paper on a
    desk, not a table's frame on a flat scan, where paper lies on both sides)."""
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    edges = cv2.dilate(cv2.Canny(gray, EDGE_LOW, EDGE_HIGH), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=lambda c: cv2.contourArea(cv2.convexHull(c))))
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    total = gray.shape[0] * gray.shape[1]
    if len(approx) != 4 or not EDGE_MIN_FRAC * total <= cv2.contourArea(approx) <= 0.97 * total:
        return None
    quad = order_corners(approx.astype(np.float32))
    return quad if _paper_inside(small, quad) else None


def _paper_inside(small: np.ndarray, quad: np.ndarray) -> bool:
    """The band just inside `quad` is clearly lighter (median lightness) than the band just outside it: paper
    on a darker desk. A frame drawn on paper (a table on a flat scan) has paper on both sides, or print inside."""
    poly = np.zeros(small.shape[:2], np.uint8)
    cv2.fillConvexPoly(poly, quad.astype(np.int32), 1)
    band = np.ones((2 * EDGE_BAND + 1, 2 * EDGE_BAND + 1), np.uint8)
    gap = np.ones((5, 5), np.uint8)
    inside = cv2.erode(poly, gap).astype(bool) & ~cv2.erode(poly, band).astype(bool)
    outside = cv2.dilate(poly, band).astype(bool) & ~cv2.dilate(poly, gap).astype(bool)
    if inside.sum() < 50 or outside.sum() < 50:
        return False
    lightness = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)
    # medians: print and rules near the outline are a minority of either band
    return float(np.median(lightness[inside]) - np.median(lightness[outside])) >= EDGE_CONTRAST


def _objects(dist: np.ndarray, floor: float, min_frac: float) -> list[np.ndarray]:
    """Quadrilaterals (work pixels) of the blobs whose distance from the background exceeds the cuts."""
    if dist.max() < floor:  # nothing stands out from the border colour
        return []
    d8 = np.clip(dist * (255.0 / float(dist.max())), 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    otsu_thr = float(otsu) * float(dist.max()) / 255.0
    # two cuts: the low one finds a pale card on white paper (where Otsu splits off only the ink),
    # the Otsu one separates a card from a glare spot or shadow that touches it
    found: list[tuple[np.ndarray, float]] = []
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    total = dist.shape[0] * dist.shape[1]
    for thr in sorted({min(otsu_thr, floor), otsu_thr}):
        raw = np.where(dist > thr, 255, 0).astype(np.uint8)
        mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, k)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, k)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in sorted(contours, key=cv2.contourArea, reverse=True)[:4]:
            got = _quad_of_contour(c, raw, min_frac * total, 0.97 * total)
            if got is None:
                continue
            # the same object seen at both cuts: keep the tighter (better filled) outline
            centre = tuple(map(float, got[0].mean(axis=0)))
            same = [i for i, (o, _) in enumerate(found) if cv2.pointPolygonTest(o, centre, False) >= 0]
            if not same:
                found.append(got)
            elif got[1] > found[same[0]][1]:
                found[same[0]] = got
    found.sort(key=lambda qf: cv2.contourArea(qf[0]), reverse=True)
    return [q for q, _ in found]


def find_quad(image: np.ndarray, *, work: int = 640, min_frac: float = 0.03) -> np.ndarray | None:
    """The largest of `find_quads`, or None."""
    quads = find_quads(image, work=work, min_frac=min_frac)
    return quads[0] if quads else None


def find_text_blocks(image: np.ndarray, *, work: int = 800) -> list[np.ndarray]:
    """Corners (TL, TR, BR, BL, in `image` pixels) of the compact blocks that hold the page's print, when
    they are small: a card photocopied onto a sheet, whose edges the copy lost (black-and-white copies show
    no card outline), alone or beside its back (a second block of print: the back's pattern, or the back
    copied with its own text). Empty when the print spreads over the page (a letter, a form) or when there
    is none. Largest first; which block is the card is the caller's choice.

    The print is the text mask without specks and without long straight rules (a fold, the copier's edge);
    it is closed with a kernel a little wider than a line gap so a card's rows merge into one blob. Blobs
    that touch the image border (the copier's or scanner lid's dark edge) and stray marks with far less ink
    than the inkiest blob (a copier's speckle) are not print. A block is the largest blob not yet in a block,
    grown by the blobs of print near it (within `TEXT_BLOCK_NEAR` of its short side) and by a margin for the card's blank border; each block must cover
    less than `TEXT_BLOCK_MAX` of the page, and at most `TEXT_BLOCKS` of them hold nearly all of the print
    (`TEXT_BLOCK_SHARE`). A second or third block must be of the first one's size (`TEXT_BLOCK_PEER`): the
    two sides of one card, not a letter's paragraphs.
    """
    small, s = shrink(image, work)
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    sh, sw = small.shape
    ink = _print_mask(small)
    if int(ink.sum()) < 200:
        return []
    k = max(5, round(0.02 * max(sh, sw)))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if n < 2:
        return []
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    at_border = (x <= 0) | (y <= 0) | (x + w >= sw) | (y + h >= sh)
    keep = ~at_border
    keep[0] = False
    if not keep.any():
        return []
    blob_ink = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n)
    keep &= blob_ink >= SPECK_SHARE * blob_ink[keep].max()
    ink = ink * keep[labels]
    total = int(ink.sum())
    if total < 200:
        return []
    stats = np.where(keep[:, None], stats, 0)  # blobs that are not print take no part in the blocks
    boxes: list[tuple[int, int, int, int]] = []
    held = 0
    free = keep.copy()
    while held < TEXT_BLOCK_SHARE * total and free.any() and len(boxes) < TEXT_BLOCKS:
        seed = int(np.argmax(np.where(free, stats[:, 4], -1)))
        near = max(2 * k, round(TEXT_BLOCK_NEAR * min(w[seed], h[seed])))
        x0, y0, x1, y1 = _grow_block(np.where(free[:, None], stats, 0), near=near)
        area = (x1 - x0) * (y1 - y0)
        if area > TEXT_BLOCK_MAX * sw * sh:
            return []
        if boxes and area < TEXT_BLOCK_PEER * _area(boxes[0]):
            break  # print beside the card that is not its other side: the print is too spread for a card
        inside = (x >= x0) & (y >= y0) & (x + w <= x1) & (y + h <= y1) & free
        free &= ~inside
        boxes.append((x0, y0, x1, y1))
        held += int(ink[y0:y1, x0:x1].sum())
    if held < TEXT_BLOCK_SHARE * total:
        return []
    quads = []
    for x0, y0, x1, y1 in boxes:
        m = round(TEXT_BLOCK_MARGIN * max(x1 - x0, y1 - y0))
        x0, y0, x1, y1 = max(0, x0 - m), max(0, y0 - m), min(sw, x1 + m), min(sh, y1 + m)
        quads.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32) / s)
    return quads


def _area(box: tuple[int, int, int, int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _print_mask(gray: np.ndarray) -> np.ndarray:
    """Text mask (0/1) without long straight rules (a fold, a copier's edge) and without specks."""
    mask = text_mask(gray)
    rule = max(10, round(0.25 * min(gray.shape)))  # a straight line this long is a rule or a fold, not print
    lines = cv2.bitwise_or(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((rule, 1), np.uint8)),
                           cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, rule), np.uint8)))
    mask = mask & (1 - cv2.dilate(lines, np.ones((3, 3), np.uint8)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = stats[:, 4] >= 4  # specks of a copier or scanner are smaller
    keep[0] = False
    return keep[labels].astype(np.uint8)


def _grow_block(stats: np.ndarray, *, near: int) -> tuple[int, int, int, int]:
    """Box (x0, y0, x1, y1) of the largest blob grown by the sizeable blobs within `near` of it (a card's photo
    and signature stand apart from its rows); specks and stray marks do not chain it across the sheet."""
    order = 1 + np.argsort(-stats[1:, 4])
    x0, y0, x1, y1 = _box_corners(stats[order[0]])
    grown = True
    while grown:
        grown = False
        for i in order[1:]:
            if stats[i, 4] < 0.02 * stats[order[0], 4]:
                break
            bx0, by0, bx1, by1 = _box_corners(stats[i])
            inside = bx0 >= x0 and by0 >= y0 and bx1 <= x1 and by1 <= y1
            if not inside and bx0 <= x1 + near and bx1 >= x0 - near and by0 <= y1 + near and by1 >= y0 - near:
                x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
                grown = True
    return x0, y0, x1, y1


def _box_corners(stat: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in stat[:4])
    return x, y, x + w, y + h
