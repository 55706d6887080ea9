"""Heavy per-process objects, loaded once: the OCR engines (tesseract, and the neural engine unless
`BERKAS_OCR_NEURAL=off`), the spaCy pipeline, the rules and region tables.

A worker process (RQ worker or a pool process of `berkas run`) calls `Runtime.load(settings)` once at start and
passes the runtime to every dossier it processes. Nothing here is created per job or per page.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from config.rules import Rules, load_rules
from config.settings import Settings
from pipeline.ocr.base import OcrEngine
from pipeline.regions import Regions

if TYPE_CHECKING:
    from pipeline.provenance import EngineCatalogue
    from pipeline.reading import ReadingTools

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
MMAP_THRESHOLD_BYTES = 16 << 20
TRIM_THRESHOLD_BYTES = 64 << 20


def _libc() -> ctypes.CDLL | None:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    try:
        return ctypes.CDLL(libc_name)
    except OSError:
        return None


def fix_mmap_threshold() -> bool:
    """Fixed glibc thresholds instead of its dynamic ones: allocations of 16 MB or more (a decoded phone photo)
    by mmap, returned to the system on free, and up to 64 MB of freed heap kept for the next page's images
    (`release_memory` hands the rest back after each dossier). glibc's dynamic threshold carves later big
    images out of the heap after the first large free, whose fragments kept a worker's resident memory at its
    worst page's level (peak RSS 394 MB over the 12-dossier bench). A 1 MB threshold fixed that (357 MB) but
    every image buffer then came fresh from the kernel, page faults and zeroing included: preprocessing the
    bench's 36 image pages took 11.45 s user + 5.61 s system CPU against 10.80 + 0.43 with glibc's defaults,
    and 11.55 + 0.08 with 16 MB and a large trim threshold (the pages of `scripts.bench_speed --count 12
    --seed 11` through rectify_and_clean + orient_and_scale, one process). A no-op off glibc.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def release_memory() -> None:
    """Give the freed heap back to the system (glibc `malloc_trim`): once per dossier, so that a worker idles
    at its resident base, not at its largest dossier's level. A no-op off glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


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
    neural: OcrEngine | None = None  # the neural engine (PP-OCR), None when BERKAS_OCR_NEURAL=off

    @cached_property
    def reading(self) -> ReadingTools:
        """What `read_page` uses: the OCR engines (tesseract as `PRIMARY`, the neural engine as `NEURAL` when
        loaded), the spaCy pipeline and the confidence policy of the rules."""
        from pipeline.reading.confidence import ConfidencePolicy
        from pipeline.reading.protocol import NEURAL, PRIMARY, ReadingTools

        engines = {PRIMARY: self.engine} if self.neural is None else {PRIMARY: self.engine, NEURAL: self.neural}
        return ReadingTools(engines=engines, nlp=self.nlp, policy=ConfidencePolicy.from_rules(self.rules))

    @cached_property
    def engine_catalogue(self) -> EngineCatalogue:
        """The engines described once for provenance (hashing their data takes a moment)."""
        from pipeline.provenance import EngineCatalogue

        return EngineCatalogue(dict(self.reading.engines), self.settings.ocr_lang)

    @property
    def index_secret(self) -> bytes:
        return self.settings.index_secret.get_secret_value().encode()

    @classmethod
    def load(cls, settings: Settings, *, engine: OcrEngine | None = None, neural: OcrEngine | None = None) -> Runtime:
        """Load everything a dossier needs.

        Without `engine`, tesseract and (unless `settings.ocr_neural` is "off") the neural engine are built here;
        a missing program, language pack, package or model file raises EngineMissing (the process stops, it
        never reads without an engine the settings ask for). `engine` lets tests and the OCR-less re-checks plug
        in a stand-in; then only the `neural` given (if any) is used, none is built.
        """
        one_thread_per_process()
        fix_mmap_threshold()  # inherited by pool processes forked after this
        from pipeline.nlp import build_nlp
        from pipeline.ocr.factory import make_engine, make_neural_engine

        if engine is None:
            engine = make_engine(settings.ocr_engine, lang=settings.ocr_lang, tessdata=settings.tessdata)
            neural = make_neural_engine(settings)
        runtime = cls(
            settings=settings,
            engine=engine,
            nlp=build_nlp(),
            rules=load_rules(settings.rules_file),
            regions=Regions.load(),
            neural=neural,
        )
        log.info("runtime loaded: engine=%s neural=%s rules=%s", getattr(engine, "name", "?"),
                 getattr(neural, "name", "off"), settings.rules_file.name)
        return runtime
