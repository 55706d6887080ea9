"""From a document layout to the picture a candidate would upload, for each rendering variant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from scripts.samplegen import degrade
from scripts.samplegen.layout import Page, rasterize
from scripts.samplegen.patterns import guilloche

IMAGE_VARIANTS = ("clean_scan", "flatbed_scan", "low_dpi_scan", "rotated_scan", "phone_photo")
PDF_VARIANTS = ("image_pdf", "text_pdf")
VARIANTS = IMAGE_VARIANTS + PDF_VARIANTS


@dataclass
class Shot:
    image: Image.Image
    dpi: float
    rotation: int = 0  # degrees counter-clockwise applied to the upright document in the stored pixels
    exif_orientation: int = 1  # EXIF Orientation tag written with the file (phone photos only)


def _is_card(page: Page) -> bool:
    return page.width_mm < 100


def _card_scan(rng: np.random.Generator, page: Page, dpi: float, on_page: bool, grey: bool) -> Image.Image:
    if on_page:
        card = rasterize(page, dpi * 1.5)
        back = guilloche(rng, card.width // 3, card.height // 3) if rng.random() < 0.4 else None
        img = degrade.on_a4(rng, card, dpi, (page.width_mm, page.height_mm), back=back)
        return img.convert("L").convert("RGB") if grey else img
    return rasterize(page, dpi)


def shoot(rng: np.random.Generator, page: Page, variant: str) -> Shot:
    """Render `page` as an image in one of the image variants (or the page image of an image PDF)."""
    card = _is_card(page)
    if variant == "clean_scan":
        dpi = float(rng.choice([200, 240, 300]))
        if card:
            return Shot(_card_scan(rng, page, dpi, rng.random() < 0.3, False), dpi)
        return Shot(rasterize(page, dpi), dpi)
    if variant in ("flatbed_scan", "image_pdf"):
        dpi = float(rng.choice([150, 200, 250, 300])) if variant == "flatbed_scan" else float(rng.choice([150, 200]))
        grey = bool(rng.random() < 0.3)
        base = _card_scan(rng, page, dpi, rng.random() < 0.6, grey) if card else rasterize(page, dpi)
        return Shot(degrade.flatbed(rng, base, grey=grey), dpi)
    if variant == "low_dpi_scan":
        dpi = float(rng.choice([120, 150, 150]))
        base = _card_scan(rng, page, dpi, rng.random() < 0.5, False) if card else rasterize(page, dpi)
        return Shot(degrade.low_dpi(rng, base), dpi)
    if variant == "rotated_scan":
        dpi = float(rng.choice([200, 300]))
        base = _card_scan(rng, page, dpi, rng.random() < 0.5, False) if card else rasterize(page, dpi)
        img, angle = degrade.rotate_right_angle(rng, degrade.flatbed(rng, base, max_skew=1.0, noise=4.0))
        return Shot(img, dpi, angle)
    if variant == "phone_photo":
        if card:
            doc, size = rasterize(page, 400), (2000, 1500)
        else:
            doc, size = rasterize(page, 200), (1500, 2000)
        if rng.random() < 0.25:  # the phone held the other way
            size = (size[1], size[0])
        return Shot(degrade.phone_photo(rng, doc, size, card=card), 0.0)
    raise ValueError(f"not an image variant: {variant!r}")
