"""Tesseract through tesserocr: one persistent PyTessBaseAPI per process.

Loading `ind.traineddata` costs far more than reading a KTP crop, so the engine keeps one API object and
changes page segmentation mode and whitelist per call. tesseract's API object is not thread-safe: calls on
one engine are serialised by a lock. Use one engine per process (RQ workers fork; each child builds its own
with `make_engine`), never share one across processes.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.context import OcrPage, Word
from pipeline.errors import EngineMissing, OcrFailed
from pipeline.ocr.base import as_gray

log = logging.getLogger(__name__)

DEFAULT_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata/")
LEPT_SEVERITY_NONE = 6  # leptonica's L_SEVERITY_NONE (environ.h)


def quiet_leptonica() -> bool:
    """Stop the leptonica library loaded with tesserocr from printing to stderr; True when done.

    Tesseract's own layout analysis hands leptonica boxes that fall outside the image on some pages
    (seen on upside-down re-reads of photographed sheets): "Error in boxClipToRectangle: box outside
    rectangle" / "pixScanForForeground: invalid box". The boxes are tesseract-internal (our calls pass
    whole images), the errors harmless, and the only switch is leptonica's message severity.
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libleptonica" in line or "liblept" in line}
    except OSError:
        return False
    for path in sorted(paths):
        try:
            ctypes.CDLL(path).setMsgSeverity(LEPT_SEVERITY_NONE)
        except (OSError, AttributeError):
            continue
        return True
    log.debug("leptonica not found among the loaded libraries; its messages stay on")
    return False


class TesserocrEngine:
    """OcrEngine backed by an in-process tesseract (LSTM only)."""

    name = "tesserocr"

    def __init__(self, *, lang: str = "ind", tessdata: Path | None = None, dpi: int = 300) -> None:
        try:
            import tesserocr
        except ImportError as e:
            raise EngineMissing("tesserocr tidak terpasang: pip install tesserocr") from e
        self._t = tesserocr
        self.lang = lang
        self.tessdata = Path(tessdata or DEFAULT_TESSDATA)
        self.dpi = dpi
        self._lock = threading.Lock()
        self._osd_api: Any = None  # the OSD engine, made on first use
        try:
            self._api = tesserocr.PyTessBaseAPI(
                path=str(self.tessdata) + "/", lang=lang, oem=tesserocr.OEM.LSTM_ONLY, psm=tesserocr.PSM.AUTO
            )
        except RuntimeError as e:
            raise EngineMissing(
                f"tesseract tidak dapat memuat bahasa '{lang}' dari {self.tessdata}: "
                "apt-get install tesseract-ocr tesseract-ocr-ind"
            ) from e
        self.version = tesserocr.tesseract_version().split()[1]
        quiet_leptonica()

    def close(self) -> None:
        with self._lock:
            self._api.End()
            if self._osd_api is not None:
                self._osd_api.End()

    def _set_image(self, gray: np.ndarray) -> None:
        g = np.ascontiguousarray(gray)
        h, w = g.shape
        self._api.SetImageBytes(g.tobytes(), w, h, 1, w)
        self._api.SetSourceResolution(self.dpi)

    def read(
        self, image: np.ndarray, *, psm: int = 3, whitelist: str | None = None, timeout_ms: int = 60_000
    ) -> OcrPage:
        gray = as_gray(image)
        h, w = gray.shape
        if h < 4 or w < 4:
            return OcrPage(words=[], width=w, height=h)
        t = self._t
        with self._lock:
            api = self._api
            api.SetPageSegMode(psm)
            api.SetVariable("tessedit_char_whitelist", whitelist or "")
            self._set_image(gray)
            if not api.Recognize(timeout=timeout_ms):
                api.Clear()
                raise OcrFailed("tesseract Recognize() gagal")
            words = _collect_words(api.GetIterator(), t.RIL)
            api.SetVariable("tessedit_char_whitelist", "")
            api.Clear()
        return OcrPage(words=words, width=w, height=h)

    def osd(self, image: np.ndarray) -> tuple[int, float] | None:
        """(clockwise rotation of the image in degrees: 0/90/180/270, confidence), or None.

        Rotating the image counter-clockwise by the returned angle makes it upright. OSD runs on its own
        API object (lang `osd`, built on first use): asking the `ind` object for OSD aborts tesseract 5.5.
        """
        gray = np.ascontiguousarray(as_gray(image))
        h, w = gray.shape
        with self._lock:
            if self._osd_api is None:
                try:
                    self._osd_api = self._t.PyTessBaseAPI(
                        path=str(self.tessdata) + "/", lang="osd", psm=self._t.PSM.OSD_ONLY
                    )
                except RuntimeError as e:
                    raise EngineMissing(
                        "data OSD tesseract tidak ada: apt-get install tesseract-ocr-osd"
                    ) from e
            api = self._osd_api
            api.SetImageBytes(gray.tobytes(), w, h, 1, w)
            api.SetSourceResolution(self.dpi)
            try:
                res = api.DetectOrientationScript()
            except RuntimeError:
                res = None
            api.Clear()
        if not res:
            return None
        return int(res["orient_deg"]), float(res["orient_conf"])


def _collect_words(it, ril) -> list[Word]:
    words: list[Word] = []
    if it is None:
        return words
    block = line = -1
    while True:
        if it.IsAtBeginningOf(ril.BLOCK):
            block += 1
        if it.IsAtBeginningOf(ril.TEXTLINE):
            line += 1
        try:
            text = (it.GetUTF8Text(ril.WORD) or "").strip()
        except RuntimeError:  # tesserocr raises on an empty word
            text = ""
        bb = it.BoundingBox(ril.WORD)
        if text and bb is not None:
            x1, y1, x2, y2 = bb
            conf = max(0.0, min(1.0, it.Confidence(ril.WORD) / 100.0))
            words.append(Word(text=text, conf=conf, box=(x1, y1, x2 - x1, y2 - y1), line=line, block=block))
        if not it.Next(ril.WORD):
            break
    return words
