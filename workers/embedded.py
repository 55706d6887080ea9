"""Embedded mode: process many dossiers on this machine with a process pool.

Each pool process loads one Runtime (OCR engine, spaCy, rules, regions) at start and keeps it; OCR threads are
limited to one per process (`OMP_THREAD_LIMIT=1`), so N processes use N cores. Dossiers are submitted
heaviest first (most files, then most bytes) so that no process is left with a big dossier at the end while the
others idle.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

from config.settings import Settings
from models.contract import DossierResult
from pipeline.errors import StorageError
from pipeline.process import process_dossier, recheck_dossier
from pipeline.runtime import Runtime, one_thread_per_process, release_memory
from pipeline.storage import keys, open_store
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

_RUNTIME: Runtime | None = None
_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _RUNTIME, _SETTINGS
    os.environ["OMP_THREAD_LIMIT"] = "1"
    one_thread_per_process()
    _SETTINGS = settings
    shared = _RUNTIME  # forked from a parent that loaded everything but the engine: keep it, add an engine
    if shared is not None and isinstance(shared.engine, _NoEngine):
        from pipeline.ocr.factory import make_engine, make_neural_engine

        engine = make_engine(settings.ocr_engine, lang=settings.ocr_lang, tessdata=settings.tessdata)
        _RUNTIME = replace(shared, settings=settings, engine=engine, neural=make_neural_engine(settings))
    else:
        _RUNTIME = Runtime.load(settings)
    # pool processes leave through multiprocessing's exit path (no atexit): stop this process's decode child
    # there, so it is reaped and its CPU time and memory are accounted to this process, not left to init
    from multiprocessing.util import Finalize

    from pipeline.decode_guard import own_guard

    # a decode child of its own: a parent that shared its guard with forks (an RQ worker's, in tests) must not
    # have its child adopted by two pool processes at once
    Finalize(None, own_guard().close, exitpriority=10)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process alone (not its decode child), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_one(dossier_id: str) -> tuple[str, DossierResult | None, str | None, float]:
    assert _RUNTIME is not None and _SETTINGS is not None
    store = open_store(_SETTINGS)
    try:
        result = process_dossier(dossier_id, store=store, runtime=_RUNTIME)
        release_memory()
        return dossier_id, result, None, _peak_rss_mb()
    except Exception as e:  # noqa: BLE001 - one dossier's crash must not stop the batch: flag it, go on
        from workers.failures import record_failure

        log.exception("dossier %s crashed", dossier_id)
        record_failure(store, dossier_id, job_id="embedded", error=e, error_type=type(e).__name__, attempt=1,
                       final=True, regions=_RUNTIME.regions)
        return dossier_id, None, type(e).__name__, _peak_rss_mb()


@dataclass
class BatchOutcome:
    results: dict[str, DossierResult] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process during the batch + the pool processes and their decode children
    worker_peak_rss_mb: float = 0.0  # the largest pool process on its own, decode child excluded


def process_batch(
    dossier_ids: Iterable[str],
    settings: Settings,
    *,
    processes: int | None = None,
    on_done: Callable[[str], None] | None = None,
) -> BatchOutcome:
    """Process `dossier_ids` in `processes` pool processes, then settle duplicates across them.

    The parent loads the engine-less part of the Runtime (spaCy, rules, regions) and imports the neural engine's
    libraries once before the pool forks, so each pool process only builds its OCR engines; the parent reuses
    the Runtime for the duplicate pass.
    """
    global _RUNTIME
    ids = list(dossier_ids)
    _RUNTIME = _engineless(settings)
    processes = max(1, processes or settings.workers)
    outcome = BatchOutcome()
    t0, c0, s0 = time.perf_counter(), _children_cpu(), _self_cpu()
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=fork, initializer=_init_worker,
                             initargs=(settings,)) as pool:
        futures = [pool.submit(_run_one, d) for d in heaviest_first(ids, open_store(settings))]
        for fut in as_completed(futures):
            dossier_id, result, crash, rss = fut.result()
            outcome.worker_peak_rss_mb = max(outcome.worker_peak_rss_mb, rss)
            if result is not None:
                outcome.results[dossier_id] = result
            else:
                outcome.crashed[dossier_id] = crash or "unknown"
            if on_done:
                on_done(dossier_id)
    outcome.seconds = time.perf_counter() - t0
    outcome.cpu_seconds = _children_cpu() - c0 + _self_cpu() - s0
    reconcile_duplicates(outcome, settings)
    return outcome


def heaviest_first(ids: list[str], store: ObjectStore) -> list[str]:
    """`ids` ordered by the work they hold: number of files, then bytes (from the ingest manifest)."""

    def weight(dossier_id: str) -> tuple[int, int]:
        try:
            files = store.get_json(keys.manifest_key(dossier_id)).get("files", [])
        except StorageError:  # ordering only: a dossier without a readable manifest simply goes last
            return 0, 0
        return len(files), sum(int(f.get("size") or 0) for f in files)

    return sorted(ids, key=weight, reverse=True)


def reconcile_duplicates(outcome: BatchOutcome, settings: Settings) -> None:
    """Parallel dossiers sharing a NIK may have missed each other; one pass over the index settles it."""
    store = open_store(settings)
    runtime = _engineless(settings)
    for dossier_id in list(outcome.results):
        updated = recheck_dossier(dossier_id, store=store, runtime=runtime)
        if updated is not None:
            outcome.results[dossier_id] = updated


def _engineless(settings: Settings) -> Runtime:
    """This process's Runtime without an OCR engine for `settings` (loaded once, kept while they stay equal)."""
    if _RUNTIME is not None and _RUNTIME.settings == settings:
        return _RUNTIME
    runtime = Runtime.load(settings, engine=_NoEngine())
    if settings.ocr_neural != "off":
        from pipeline.ocr.neural import preload

        preload()  # the pool processes fork with the neural engine's libraries imported (each builds its sessions)
    return runtime


class _NoEngine:
    """Re-checks never OCR; this stands in for the engine so no tesseract is loaded in the parent."""

    name = "none"

    def read(self, image, *, psm=3, whitelist=None):  # pragma: no cover - never called
        raise RuntimeError("re-checks do not OCR")


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system
