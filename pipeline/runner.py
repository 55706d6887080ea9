"""Embedded mode: process many dossiers on this machine with a process pool.

Each pool process loads one Runtime (OCR engine, spaCy, rules, regions) at start and keeps it; OCR threads are
limited to one per process (`OMP_THREAD_LIMIT=1`), so N processes use N cores.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from config.settings import Settings
from models.contract import DossierResult
from pipeline.process import process_dossier, recheck_dossier
from pipeline.runtime import Runtime
from pipeline.storage import open_store

log = logging.getLogger(__name__)

_RUNTIME: Runtime | None = None
_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _RUNTIME, _SETTINGS
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _SETTINGS = settings
    _RUNTIME = Runtime.load(settings)


def _run_one(dossier_id: str) -> tuple[str, DossierResult | None, str | None]:
    assert _RUNTIME is not None and _SETTINGS is not None
    store = open_store(_SETTINGS)
    try:
        return dossier_id, process_dossier(dossier_id, store=store, runtime=_RUNTIME), None
    except Exception as e:  # noqa: BLE001 - one dossier's crash must not stop the batch: flag it, go on
        from workers.failures import record_failure

        log.exception("dossier %s crashed", dossier_id)
        record_failure(store, dossier_id, job_id="embedded", error=e, error_type=type(e).__name__, attempt=1,
                       final=True, regions=_RUNTIME.regions)
        return dossier_id, None, type(e).__name__


@dataclass
class BatchOutcome:
    results: dict[str, DossierResult] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def process_batch(
    dossier_ids: Iterable[str],
    settings: Settings,
    *,
    processes: int | None = None,
    on_done: Callable[[str], None] | None = None,
) -> BatchOutcome:
    ids = list(dossier_ids)
    processes = max(1, processes or settings.workers)
    outcome = BatchOutcome()
    t0, c0 = time.perf_counter(), _children_cpu()
    with ProcessPoolExecutor(max_workers=processes, initializer=_init_worker, initargs=(settings,)) as pool:
        futures = [pool.submit(_run_one, d) for d in ids]
        for fut in as_completed(futures):
            dossier_id, result, crash = fut.result()
            if result is not None:
                outcome.results[dossier_id] = result
            else:
                outcome.crashed[dossier_id] = crash or "unknown"
            if on_done:
                on_done(dossier_id)
    outcome.seconds = time.perf_counter() - t0
    outcome.cpu_seconds = _children_cpu() - c0
    reconcile_duplicates(outcome, settings)
    return outcome


def reconcile_duplicates(outcome: BatchOutcome, settings: Settings) -> None:
    """Parallel dossiers sharing a NIK may have missed each other; one pass over the index settles it."""
    store = open_store(settings)
    runtime = _RUNTIME or Runtime.load(settings, engine=_NoEngine())
    for dossier_id in list(outcome.results):
        updated = recheck_dossier(dossier_id, store=store, runtime=runtime)
        if updated is not None:
            outcome.results[dossier_id] = updated


class _NoEngine:
    """Re-checks never OCR; this stands in for the engine so no tesseract is loaded in the parent."""

    name = "none"

    def read(self, image, *, psm=3, whitelist=None):  # pragma: no cover - never called
        raise RuntimeError("re-checks do not OCR")


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system
