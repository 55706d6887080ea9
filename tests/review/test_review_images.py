"""Page images for the verifier: the straightened card beside the photo, crops around a value."""

from __future__ import annotations

import hashlib
import io

import cv2
import numpy as np
from PIL import Image

from config.settings import Settings
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from review.pages import PageImages, crop, encode


def _photo_of_a_card() -> np.ndarray:
    """A KTP-coloured card, tilted, on a dark desk (synthetic)."""
    img = np.full((900, 1400, 3), (60, 90, 70), np.uint8)
    pts = np.array([[300, 200], [1000, 240], [980, 680], [280, 640]], np.int32)
    cv2.fillPoly(img, [pts], (235, 228, 206))
    for i in range(6):
        cv2.putText(img, "NIK : 3575 0245 0699", (360, 300 + i * 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    return img


def _store_png(store: LocalStore, image: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", image)
    data = buf.tobytes()
    sha = hashlib.sha256(data).hexdigest()
    store.put_bytes(keys.original_key("D-1", sha, "foto.png"), data)
    return sha


def test_the_card_in_a_photo_is_cut_out_and_straightened(tmp_path):
    store = LocalStore(tmp_path, fsync=False)
    images = PageImages(store, Settings().limits)
    card = images.card("D-1", "foto.png", _store_png(store, _photo_of_a_card()), 1)
    assert card is not None
    w, h = Image.open(io.BytesIO(card.jpeg)).size
    assert 1.4 < w / h < 1.8  # card-shaped, not the 1400x900 photo
    flat = np.full((600, 900, 3), 250, np.uint8)  # a flat scan: nothing apart from its background
    assert images.card("D-1", "foto.png", _store_png(store, flat), 1) is None


def test_a_crop_is_the_value_with_a_margin_enlarged_when_small():
    page = np.full((1000, 800, 3), 255, np.uint8)
    rendered = encode(page, 400)  # shown at half size
    part = Image.open(io.BytesIO(crop(rendered, [100, 200, 300, 20])))
    assert part.size[1] >= 48 and part.size[0] < 400
