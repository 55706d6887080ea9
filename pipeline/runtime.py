"""Heavy per-process objects, loaded once: the OCR engine, the spaCy pipeline, the rules and region tables.

A worker process (RQ worker or a pool process of `berkas run`) calls `Runtime.load(settings)` once at start and
passes the runtime to every dossier it processes. Nothing here is created per job or per page.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from dataclasses import dataclass
from typing import Any

from config.rules import Rules, load_rules
from config.settings import Settings
from pipeline.ocr.base import OcrEngine
from pipeline.regions import Regions

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
MMAP_THRESHOLD_BYTES = 1 << 20


def fix_mmap_threshold() -> bool:
    """Serve every allocation of 1 MB or more (page images, tesseract's buffers) by mmap, returned to the
    system on free. glibc otherwise raises its threshold after the first large free and carves later
    images out of the heap, whose fragments keep a worker's resident memory at its worst page's level
    (measured: peak RSS 394 -> 357 MB over the 12-dossier bench in one process). A no-op off glibc."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        mallopt = ctypes.CDLL(libc_name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def one_thread_per_process() -> None:
    """Berkas runs one process per core, so neither tesseract (OpenMP) nor OpenCV may start threads of their
    own: they would only compete with the other workers and spend CPU on hand-offs (OpenCV's default pool of
    one thread per core: 12.45 -> 11.25 CPU s for the preprocessing of the 12-dossier bench batch)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import cv2

    cv2.setNumThreads(1)


@dataclass
class Runtime:
    settings: Settings
    engine: OcrEngine
    nlp: Any
    rules: Rules
    regions: Regions

    @property
    def index_secret(self) -> bytes:
        return self.settings.index_secret.get_secret_value().encode()

    @classmethod
    def load(cls, settings: Settings, *, engine: OcrEngine | None = None) -> Runtime:
        """Load everything a dossier needs. `engine` lets tests plug in a fake OCR engine."""
        one_thread_per_process()
        fix_mmap_threshold()  # inherited by pool processes forked after this
        from pipeline.nlp import build_nlp
        from pipeline.ocr.factory import make_engine

        if engine is None:
            engine = make_engine(settings.ocr_engine, lang=settings.ocr_lang, tessdata=settings.tessdata)
        runtime = cls(
            settings=settings,
            engine=engine,
            nlp=build_nlp(),
            rules=load_rules(settings.rules_file),
            regions=Regions.load(),
        )
        log.info("runtime loaded: engine=%s rules=%s", getattr(engine, "name", "?"), settings.rules_file.name)
        return runtime
