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
    """An OCR engine whose `read` (and `osd`, when it has one) add their time to `spent[key]` (the engine's name
    unless given), measured by `clock` (wall time unless given: the benchmark passes `time.process_time`);
    everything else is the wrapped engine's."""

    def __init__(self, engine: Any, spent: dict[str, float], *, key: str | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._engine = engine
        self._spent = spent
        self._clock = clock
        self.name = getattr(engine, "name", type(engine).__name__)
        self._key = key or self.name

    def _add(self, t0: float) -> None:
        self._spent[self._key] = self._spent.get(self._key, 0.0) + self._clock() - t0

    def read(self, image: Any, **kw: Any) -> Any:
        t0 = self._clock()
        try:
            return self._engine.read(image, **kw)
        finally:
            self._add(t0)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._engine, attr)
        if attr != "osd" or not callable(value):
            return value

        def osd(*a: Any, **kw: Any) -> Any:
            t0 = self._clock()
            try:
                return value(*a, **kw)
            finally:
                self._add(t0)

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
