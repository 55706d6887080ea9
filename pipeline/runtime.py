"""Heavy per-process objects, loaded once: the OCR engine, the spaCy pipeline, the rules and region tables.

A worker process (RQ worker or a pool process of `berkas run`) calls `Runtime.load(settings)` once at start and
passes the runtime to every dossier it processes. Nothing here is created per job or per page.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from config.rules import Rules, load_rules
from config.settings import Settings
from pipeline.ocr.base import OcrEngine
from pipeline.regions import Regions

log = logging.getLogger(__name__)


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
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
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
