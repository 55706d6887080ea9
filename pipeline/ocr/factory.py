"""Build the OCR engines once per process: tesseract (after checking it and its language data) and the neural
engine (`make_neural_engine`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EngineMissing
from pipeline.ocr.base import OcrEngine

if TYPE_CHECKING:
    from config.settings import Settings
    from pipeline.ocr.neural import NeuralEngine

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-ind"
MIN_VERSION = (4, 1)


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = []
    for p in v.lstrip("v").split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_tesseract(*, lang: str = "ind", tessdata: Path | None = None) -> str:
    """Version of the tesseract binary; raises EngineMissing when it or `lang` data is missing."""
    import pytesseract

    try:
        version = str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError) as e:
        raise EngineMissing(f"program tesseract tidak ditemukan; pasang dengan: {INSTALL_HINT}") from e
    if _version_tuple(version) < MIN_VERSION:
        raise EngineMissing(f"tesseract {version} terlalu lama (perlu >= 4.1); pasang dengan: {INSTALL_HINT}")
    config = f'--tessdata-dir "{tessdata}"' if tessdata else ""
    try:
        langs = pytesseract.get_languages(config=config)
    except (pytesseract.TesseractError, OSError) as e:
        raise EngineMissing(f"daftar bahasa tesseract tidak terbaca: {e}; {INSTALL_HINT}") from e
    for needed in lang.split("+"):
        if needed not in langs:
            raise EngineMissing(f"data bahasa tesseract '{needed}' tidak ada; pasang dengan: {INSTALL_HINT}")
    return version


def make_engine(kind: str = "auto", *, lang: str = "ind", tessdata: Path | None = None) -> OcrEngine:
    """The OCR engine for this process: 'tesserocr', 'pytesseract' or 'auto' (tesserocr when it works).

    Call once per worker process; the engine is persistent and costly to build.
    """
    if kind not in ("auto", "tesserocr", "pytesseract"):
        raise ValueError(f"unknown OCR engine kind: {kind!r}")
    if kind in ("auto", "tesserocr"):
        try:
            from pipeline.ocr.tesserocr_engine import TesserocrEngine

            engine = TesserocrEngine(lang=lang, tessdata=tessdata)
        except EngineMissing:
            if kind == "tesserocr":
                raise
            log.info("tesserocr unavailable, falling back to pytesseract")
        else:
            log.info("OCR engine: tesserocr (tesseract %s), lang %s", engine.version, lang)
            return engine
    version = check_tesseract(lang=lang, tessdata=tessdata)
    from pipeline.ocr.pytesseract_engine import PytesseractEngine

    log.info("OCR engine: pytesseract (tesseract %s), lang %s", version, lang)
    return PytesseractEngine(lang=lang, tessdata=tessdata)


def make_neural_engine(settings: Settings) -> NeuralEngine | None:
    """The neural engine (PP-OCR on ONNX Runtime) for this process, or None when `settings.ocr_neural` is "off".

    Call once per worker process. A missing package or model file raises EngineMissing: the process stops with
    what to install, it does not go on with tesseract alone.
    """
    if settings.ocr_neural == "off":
        log.info("neural OCR engine: off (BERKAS_OCR_NEURAL)")
        return None
    from pipeline.ocr.neural import NeuralEngine

    engine = NeuralEngine()
    log.info("neural OCR engine: %s (%s)", engine.name, ", ".join(m.path.name for m in engine.models))
    return engine
