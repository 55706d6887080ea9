"""RQ job functions: module-level, ids in, a small receipt out. Everything else is loaded from the store.

The heavy objects (Runtime: OCR engine, spaCy, rules, regions) and the store client are created once per
worker process by `init_process` (the worker calls it before its first job; forked work horses inherit
them) and reused by every job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from config.settings import Settings, get_settings
from pipeline.errors import IntegrityError, ObjectNotFound, StorageError
from pipeline.logs import log_context, personal_values
from pipeline.runtime import release_memory
from pipeline.storage import keys, open_store
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

DOSSIER_JOB_FUNC = "workers.jobs.process_dossier_job"
Processor = Callable[..., Any]  # process_dossier(dossier_id, *, store, runtime) -> DossierResult

# A job that meets an unreachable store waits for it (probing with backoff 1 s doubling to 30 s) this long,
# then runs the dossier again from the start; past it the attempt fails and RQ's Retry takes over. Kept below
# the job timeout (workers.queues.DOSSIER_JOB_TIMEOUT, 15 min).
STORE_WAIT_SECONDS = 10 * 60
STORE_PROBE_FIRST, STORE_PROBE_MAX = 1.0, 30.0
STORE_RERUNS = 5  # at most this many re-runs per attempt, however short the outages


class _State:
    settings: Settings | None = None
    runtime: Any = None
    store: ObjectStore | None = None
    processor: Processor | None = None


_state = _State()


def init_process(
    settings: Settings | None = None,
    *,
    runtime: Any = None,
    store: ObjectStore | None = None,
    processor: Processor | None = None,
    load_runtime: bool = True,
) -> None:
    """Set up this process once: settings, store, and the Runtime (`Runtime.load` unless given).

    `runtime`, `store` and `processor` let tests and tools inject their own; `load_runtime=False` defers
    the Runtime to the first job.
    """
    _state.settings = settings or _state.settings or get_settings()
    _state.store = store or open_store(_state.settings)
    _state.processor = processor
    _state.runtime = runtime
    if runtime is None and load_runtime:
        current_runtime()


def preload_pipeline() -> None:
    """Load now what the first dossier would otherwise load lazily: the modules of the pipeline (pipeline.process
    pulls in reading, checks and publish: seconds of imports; not the report renderers, which only report jobs
    load), modules that libraries import on first use (numpy.ma, on the first `np.median`) and the per-process
    caches behind functions (NIK digit templates, month table, message catalogue).

    A forking worker calls this before its first fork, so every work horse inherits them; without it each horse
    loads them again, and throws them away when it exits. tests/integration/test_worker_process.py checks that a
    dossier processed after this loads no new module and fills no new cache."""
    import codecs

    import numpy as np
    import numpy.ma  # noqa: F401 - np.median imports it on its first call (preprocessing's border colour)

    import pipeline.process  # noqa: F401 - imported for their side effect: the modules are loaded
    import workers.failures  # noqa: F401
    from pipeline.checks.messages import load_catalogue
    from pipeline.normalise import _month_table
    from pipeline.reading.ktp.nik_templates import classify_glyph, templates

    codecs.lookup("utf-8-sig")  # registration.json is read with it
    templates()
    glyph = np.zeros((24, 16), np.uint8)
    glyph[2:22, 6:10] = 255
    classify_glyph(glyph)  # one digit read: builds whatever the NIK reader derives from its templates
    _month_table()
    load_catalogue()
    _processor()
    from pipeline.provenance import code_revision, decision_provenance

    code_revision()  # what every result names: found once here, not in every horse
    if _state.runtime is not None and hasattr(_state.runtime, "reading"):
        _state.runtime.engine_catalogue  # noqa: B018 (a cached property: computed here, before the fork)
        decision_provenance(_state.runtime)


def reset_process() -> None:
    """Forget what `init_process` loaded (tests)."""
    _state.settings = _state.runtime = _state.store = _state.processor = None


def current_settings() -> Settings:
    if _state.settings is None:
        _state.settings = get_settings()
    return _state.settings


def current_store() -> ObjectStore:
    if _state.store is None:
        _state.store = open_store(current_settings())
    return _state.store


def current_runtime() -> Any:
    if _state.runtime is None:
        from pipeline.runtime import Runtime

        _state.runtime = Runtime.load(current_settings())
    return _state.runtime


def current_regions() -> Any:
    """The region table for flag keys: the runtime's when loaded, else the cached table (cheap)."""
    regions = getattr(_state.runtime, "regions", None)
    if regions is not None:
        return regions
    try:
        from pipeline.regions import Regions

        return Regions.load()
    except (ImportError, OSError) as e:
        log.warning("region table unavailable (%s): failure flags go under 'unknown'", type(e).__name__)
        return None


def _processor() -> Processor:
    if _state.processor is None:
        from pipeline.process import process_dossier

        _state.processor = process_dossier
    return _state.processor


def process_dossier_job(dossier_id: str) -> dict[str, Any]:
    """Process one dossier from the store and publish its result; returns a receipt (id and status).

    When the store is unreachable mid-job (`is_outage`), the job waits for it (`wait_for_store`, up to
    STORE_WAIT_SECONDS) and runs the dossier again, at most STORE_RERUNS times; other errors fail the attempt."""
    keys.result_key(dossier_id)  # rejects a malformed id before anything is loaded
    store, runtime = current_store(), current_runtime()
    try:
        with log_context(dossier_id=dossier_id), personal_values(**_personal_data(store, dossier_id)):
            return _process_with_reruns(dossier_id, store, runtime)
    finally:
        release_memory()  # a --simple worker then idles at its base, not at its largest dossier's level
        from workers.metrics import job_done

        job_done()  # a work horse hands its counts to its worker now: it exits after the job


def _personal_data(store: ObjectStore, dossier_id: str) -> dict[str, Any]:
    """The registration's NIK, name and birth date, for masking them in logs (pipeline/logs.py); {} when the
    registration cannot be read (the processor reports that; 16-digit runs are masked regardless)."""
    try:
        reg = store.get_json(keys.registration_key(dossier_id))
    except (StorageError, ValueError):
        return {}
    if not isinstance(reg, dict):
        return {}
    return {k: v for k in ("nik", "nama", "tanggal_lahir") if isinstance(v := reg.get(k), str)}


def _process_with_reruns(dossier_id: str, store: ObjectStore, runtime: Any) -> dict[str, Any]:
    deadline = time.monotonic() + STORE_WAIT_SECONDS
    for rerun in range(STORE_RERUNS + 1):
        try:
            result = _processor()(dossier_id, store=store, runtime=runtime)
            _settle_failure_flag(store, runtime, result)
            break
        except (ObjectNotFound, IntegrityError):
            raise
        except StorageError as e:
            # Processing is idempotent (same keys, identical results not rewritten), so a run cut short
            # by an outage is simply run again once the store answers.
            if rerun == STORE_RERUNS or not is_outage(e) or not wait_for_store(store, dossier_id, deadline):
                raise
            log.warning("dossier %s: store answers again after an outage (%s); processing again", dossier_id, e.code)
    status = getattr(getattr(result, "status", None), "value", None)
    log.info("dossier %s processed: %s", dossier_id, status)
    from workers.metrics import record_dossier

    record_dossier(result)
    return {"dossier_id": dossier_id, "status": status}


def is_outage(error: BaseException) -> bool:
    """True when a StorageError was caused by the store being away (connection refused or reset, timeout,
    5xx / SlowDown), not by a refused request: the cause chain holds an OSError or a urllib3/minio server error."""
    import urllib3
    from minio.error import S3Error, ServerError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, S3Error):
            return seen.code in {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}
        if isinstance(seen, (OSError, ServerError, urllib3.exceptions.HTTPError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def wait_for_store(store: ObjectStore, dossier_id: str, deadline: float) -> bool:
    """True once the store answers (probing with backoff); False when it is still away at `deadline`
    (monotonic seconds)."""
    probe = keys.manifest_key(dossier_id)
    delay = STORE_PROBE_FIRST
    while True:
        try:
            store.stat(probe)
            return True
        except StorageError:
            pass
        if time.monotonic() + delay > deadline:
            return False
        log.warning("dossier %s: object store unreachable; next probe in %.0f s", dossier_id, delay)
        time.sleep(delay)
        delay = min(delay * 2, STORE_PROBE_MAX)


def _settle_failure_flag(store: ObjectStore, runtime: Any, result: Any) -> None:
    """A failure flag left by an earlier run is replaced by the result's own flag (or removed if complete).

    publish_result skips a result identical to the stored one, so it would not do this itself.
    """
    from workers.failures import area_of_dossier, clear_failure_flag

    dossier_id = result.dossier_id
    area = area_of_dossier(store, dossier_id, getattr(runtime, "regions", None))
    replacement = None
    if getattr(result.status, "value", result.status) != "complete":
        from pipeline.publish import flag_body

        replacement = flag_body(result)
    if clear_failure_flag(store, area, dossier_id, replacement):
        log.info("dossier %s: earlier failure flag settled", dossier_id)
