"""Tesseract through pytesseract: the portable path (one `tesseract` process per call).

Slower than tesserocr (the language data is loaded on every call) but needs only the tesseract binary.
Safe to call from several threads: every call is its own process.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from pipeline.context import OcrPage, Word
from pipeline.errors import EngineMissing, OcrFailed
from pipeline.ocr.base import as_gray


class PytesseractEngine:
    name = "pytesseract"

    def __init__(self, *, lang: str = "ind", tessdata: Path | None = None, timeout: float = 60.0) -> None:
        import pytesseract

        if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
            raise EngineMissing("program tesseract tidak ditemukan: apt-get install tesseract-ocr tesseract-ocr-ind")
        self._pt = pytesseract
        self.lang = lang
        self.tessdata = tessdata
        self.timeout = timeout
        self.version = str(pytesseract.get_tesseract_version())

    def _config(self, psm: int, whitelist: str | None) -> str:
        cfg = f"--oem 1 --psm {psm}"
        if self.tessdata is not None:
            cfg += f' --tessdata-dir "{self.tessdata}"'
        if whitelist:
            cfg += f" -c tessedit_char_whitelist={whitelist}"
        return cfg

    def read(self, image: np.ndarray, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        gray = as_gray(image)
        h, w = gray.shape
        if h < 4 or w < 4:
            return OcrPage(words=[], width=w, height=h)
        try:
            data = self._pt.image_to_data(
                gray, lang=self.lang, config=self._config(psm, whitelist),
                output_type=self._pt.Output.DICT, timeout=self.timeout,
            )
        except (self._pt.TesseractError, RuntimeError, subprocess.SubprocessError) as e:
            raise OcrFailed(f"tesseract gagal: {e}") from e
        return OcrPage(words=_words_from_data(data), width=w, height=h)

    def osd(self, image: np.ndarray) -> tuple[int, float] | None:
        """(clockwise rotation of the text in degrees, confidence), or None when OSD cannot decide."""
        try:
            d = self._pt.image_to_osd(as_gray(image), output_type=self._pt.Output.DICT, timeout=self.timeout)
        except (self._pt.TesseractError, RuntimeError):
            return None
        return int(d["orientation"]), float(d["orientation_conf"])


def _words_from_data(data: dict) -> list[Word]:
    words: list[Word] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for i, raw in enumerate(data["text"]):
        text = (raw or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_ids.setdefault(key, len(line_ids))
        box = (int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
        words.append(Word(text=text, conf=min(1.0, conf / 100.0), box=box, line=line, block=max(0, key[0] - 1)))
    return words
