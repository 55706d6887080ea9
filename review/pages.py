"""Page images for the browser: decode an original with the pipeline's intake, shrink, encode JPEG, cache.

Originals never leave the store directly (no public bucket, no presigned URL): the app streams these
renderings after checking the account's area.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from config.settings import Limits
from pipeline import intake
from pipeline.errors import IntegrityError, ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    jpeg: bytes
    width: int  # of the page as the pipeline saw it (OCR boxes are in these pixels)
    height: int


class PageImages:
    def __init__(self, store: ObjectStore, limits: Limits, *, max_side: int = 1600, cache_items: int = 48) -> None:
        self.store = store
        self.limits = limits
        self.max_side = max_side
        self._cache: OrderedDict[tuple[str, str, int], Rendered | None] = OrderedDict()
        self._size = cache_items
        self._lock = threading.Lock()

    def render(self, dossier_id: str, file: str, sha256: str | None, page: int) -> Rendered | None:
        """The page as JPEG with its original size; None when the original is gone or does not decode."""
        if not sha256:
            return None
        ck = (dossier_id, sha256, page)
        with self._lock:
            if ck in self._cache:
                self._cache.move_to_end(ck)
                return self._cache[ck]
        out = self._render(dossier_id, file, sha256, page)
        with self._lock:
            self._cache[ck] = out
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out

    def card(self, dossier_id: str, file: str, sha256: str | None, page: int) -> Rendered | None:
        """The card or sheet detected in the page, straightened (`pipeline.preprocess.straightened`), as JPEG;
        None when none was found or the original is not available. Cached like the pages."""
        if not sha256:
            return None
        ck = (dossier_id, sha256 + "#card", page)
        with self._lock:
            if ck in self._cache:
                self._cache.move_to_end(ck)
                return self._cache[ck]
        image = self._decode(dossier_id, file, sha256, page)
        out = None
        if image is not None:
            from pipeline.preprocess import straightened

            flat = straightened(image)
            out = encode(flat, self.max_side) if flat is not None else None
        with self._lock:
            self._cache[ck] = out
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out

    def _decode(self, dossier_id: str, file: str, sha256: str, page: int) -> np.ndarray | None:
        try:
            data = self.store.get_bytes(keys.original_key(dossier_id, sha256, file))
        except (ObjectNotFound, IntegrityError, ValueError) as e:
            log.warning("dossier %s: original of page %d not available (%s)", dossier_id, page, type(e).__name__)
            return None
        pages, _errors = intake.load_pages(file, data, sha256=sha256, limits=self.limits)
        return next((p.image for p in pages if p.page == page and p.image is not None), None)

    def _render(self, dossier_id: str, file: str, sha256: str, page: int) -> Rendered | None:
        image = self._decode(dossier_id, file, sha256, page)
        if image is None:
            return None
        return encode(image, self.max_side)


def encode(image: np.ndarray, max_side: int) -> Rendered:
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = image if scale >= 1.0 else cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise ValueError("JPEG encoding failed")
    return Rendered(jpeg=buf.tobytes(), width=w, height=h)


def crop(rendered: Rendered, box: list[int], *, margin: float = 0.6, min_height: int = 48) -> bytes:
    """The part of a rendered page around `box` ([x, y, w, h] in page pixels) as JPEG: the value with some
    of its line around it, so the verifier sees where it was read. Small crops are enlarged to be legible."""
    image = cv2.imdecode(np.frombuffer(rendered.jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:  # pragma: no cover - our own JPEG
        raise ValueError("rendered page does not decode")
    h, w = image.shape[:2]
    scale = w / rendered.width
    x, y, bw, bh = (v * scale for v in box)
    pad_y = max(6.0, bh * margin)
    pad_x = max(12.0, bh * margin * 2)
    x0, y0 = max(0, int(x - pad_x)), max(0, int(y - pad_y))
    x1, y1 = min(w, int(x + bw + pad_x) + 1), min(h, int(y + bh + pad_y) + 1)
    if x1 <= x0 or y1 <= y0:
        raise ValueError("box outside the page")
    part = image[y0:y1, x0:x1]
    if part.shape[0] < min_height:
        f = min_height / part.shape[0]
        part = cv2.resize(part, (max(1, round(part.shape[1] * f)), min_height), interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(".jpg", part, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
