"""Stage timings the pipeline reports to whoever listens (the workers' metrics, workers/metrics.py).

The library itself knows nothing of Prometheus: it calls `emit` with plain values, which costs two clock reads
per stage when nobody listens. Stages of one page or dossier:

    decode        one file's pages out of its bytes (intake.load_pages, in the guarded child)
    ocr           the OCR engines' own time while reading one page, per engine (`TimedEngine`)
    reading       the rest of reading that page: preparation (deskew, clean-up), classification, extraction,
                  second looks (read_page's time less the OCR time above)
    checks        the requirement checks and the decision of one dossier
    publish       writing the result, its history, flag and summary
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
_listener: Listener | None = None


def listen(listener: Listener | None) -> None:
    """Send every event of this process (and of processes forked after this) to `listener`; None: nobody."""
    global _listener
    _listener = listener


def listening() -> bool:
    return _listener is not None


def emit(kind: str, **fields: Any) -> None:
    if _listener is not None:
        _listener(kind, fields)


@contextmanager
def timed(stage: str, engine: str | None = None) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        if _listener is not None:
            _listener("stage", {"stage": stage, "engine": engine, "seconds": time.perf_counter() - t0})


class TimedEngine:
    """An OCR engine whose `read` (and `osd`, when it has one) add their time to `spent[name]`; everything else
    is the wrapped engine's."""

    def __init__(self, engine: Any, spent: dict[str, float]) -> None:
        self._engine = engine
        self._spent = spent
        self.name = getattr(engine, "name", type(engine).__name__)

    def read(self, image: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._engine.read(image, **kw)
        finally:
            self._spent[self.name] = self._spent.get(self.name, 0.0) + time.perf_counter() - t0

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._engine, attr)
        if attr != "osd" or not callable(value):
            return value

        def osd(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return value(*a, **kw)
            finally:
                self._spent[self.name] = self._spent.get(self.name, 0.0) + time.perf_counter() - t0

        return osd


def timed_tools(tools: Any, spent: dict[str, float]) -> Any:
    """`tools` (ReadingTools) with every engine timed into `spent`; `tools` itself when nobody listens."""
    if _listener is None:
        return tools
    engines: Mapping[str, Any] = tools.engines
    return replace(tools, engines={role: TimedEngine(e, spent) for role, e in engines.items()})


def page_read(seconds: float, ocr_spent: dict[str, float]) -> None:
    """One page read in `seconds`, of which `ocr_spent` per engine."""
    if _listener is None:
        return
    for engine, s in ocr_spent.items():
        _listener("stage", {"stage": "ocr", "engine": engine, "seconds": s})
    _listener("stage", {"stage": "reading", "engine": None, "seconds": max(0.0, seconds - sum(ocr_spent.values()))})
