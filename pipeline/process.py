"""Process one dossier end to end. Reads like a table of contents:

    registration -> originals -> pages -> readings -> documents -> duplicates -> checks -> decision -> publish

The dossier's originals and registration are read from the object store (put there by ingestion), so the
embedded `berkas run` and the distributed RQ workers share this one path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from models.contract import (
    DocumentResult,
    DossierResult,
    DossierStatus,
    EngineInfo,
    FileError,
    Registration,
)
from pipeline import __version__, corrections, intake, manifest, observe, page_types
from pipeline.checks import dossier_niks_of, run_checks
from pipeline.context import DocumentReading
from pipeline.decide import decide
from pipeline.dupindex import DuplicateIndex
from pipeline.errors import (
    FILE_REASONS,
    IntegrityError,
    ObjectNotFound,
    OcrFailed,
    RegistrationInvalid,
    RegistrationMissing,
    WriteConflict,
)
from pipeline.provenance import decision_provenance
from pipeline.publish import ANY, area_match_info, publish_result, read_result
from pipeline.reading import read_page
from pipeline.reading.confirm import confirm_across
from pipeline.runtime import Runtime
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

PUBLISH_ATTEMPTS = 20  # rounds of "someone published meanwhile: check again on what is stored now"


@dataclass
class DossierContext:
    dossier_id: str
    store: ObjectStore
    runtime: Runtime
    manifest: dict = field(default_factory=dict)
    registration: Registration | None = None
    registration_error: FileError | None = None
    readings: list[DocumentReading] = field(default_factory=list)
    read_with: list[list[EngineInfo]] = field(default_factory=list)  # per reading: the engines that read it
    errors: list[FileError] = field(default_factory=list)


def process_dossier(dossier_id: str, *, store: ObjectStore, runtime: Runtime) -> DossierResult:
    """Read, check, decide and publish one dossier. Never raises for bad input; storage errors propagate.

    The result is published by compare-and-swap against the result stored when this run began. When another
    writer published meanwhile (a verifier's correction, a duplicate re-check) the checks run again, without
    OCR, on what is stored now, with the corrections recorded by now; when the dossier's manifest changed
    meanwhile (a new upload: a newer run will read it), this run publishes nothing and returns what is stored."""
    _stored, base = read_result(store, dossier_id)  # before reading: whatever is published later is newer
    ctx = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
    load_manifest(ctx)
    load_registration(ctx)
    read_originals(ctx)
    confirm_across(ctx.readings, ctx.runtime.reading.policy)  # a page's unsure value that another page reads
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        documents = [to_document(r, w) for r, w in zip(ctx.readings, ctx.read_with, strict=True)]
        # a verifier's corrections of these pages outlive the reading (pipeline/corrections.py)
        reapplied = corrections.apply_corrections(ctx.store, dossier_id, documents, ctx.errors)
        try:
            result = evaluate_and_publish(ctx.store, ctx.runtime, dossier_id, ctx.registration, documents,
                                          ctx.errors, ctx.registration_error, expect=base)
        except WriteConflict:
            stored, base = read_result(store, dossier_id)
            if manifest.version_of(manifest.read(store, dossier_id)) != manifest.version_of(ctx.manifest):
                log.info("dossier %s: new files arrived while it was read; this run's result is not published",
                         dossier_id)
                assert stored is not None
                # this run wrote its NIKs to the duplicate index before it lost: put back the stored result's
                # (a newer run that has not published yet writes its own again when it publishes)
                now = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
                load_registration(now)
                DuplicateIndex(store, runtime.index_secret).update(
                    dossier_id, dossier_niks_of(now.registration, stored.documents))
                return stored
            log.info("dossier %s: result changed while it was read (round %d); checking again", dossier_id, attempt)
            continue
        corrections.audit_reapplied(ctx.store, dossier_id, reapplied, result)
        return result
    raise WriteConflict(f"results/{dossier_id}: still changing after {PUBLISH_ATTEMPTS} attempts")


def load_manifest(ctx: DossierContext) -> None:
    ctx.manifest = manifest.read(ctx.store, ctx.dossier_id) or {"files": []}


def load_registration(ctx: DossierContext) -> None:
    if not ctx.manifest:
        load_manifest(ctx)
    refused = next((r for r in ctx.manifest.get("rejected", []) if r.get("file") == intake.REGISTRATION_FILE), None)
    try:
        data = ctx.store.get_bytes(keys.registration_key(ctx.dossier_id))
    except ObjectNotFound:
        data = None
    if data is None and refused is not None:  # refused at ingestion (too large, a symlink): say why, not "missing"
        ctx.registration_error = FileError(file="registration.json", error=refused["error"],
                                           message=refused.get("message"))
        return
    try:
        ctx.registration = intake.read_registration(data, folder_name=ctx.dossier_id)
    except (RegistrationMissing, RegistrationInvalid) as e:
        log.info("dossier %s: registration rejected (%s)", ctx.dossier_id, e.code)
        ctx.registration_error = FileError(file="registration.json", error=e.code, message=e.message_id)
        return
    if ctx.registration.dossier_id != ctx.dossier_id:
        ctx.registration = None
        ctx.registration_error = FileError(
            file="registration.json", error="REGISTRATION_INVALID",
            message="dossier_id di registration.json tidak sama dengan nama folder berkas.",
        )


def read_originals(ctx: DossierContext) -> None:
    limits = ctx.runtime.settings.limits
    for rejected in ctx.manifest.get("rejected", []):  # refused at ingestion (too large, symlink, too many files)
        if rejected.get("file") and rejected["file"] != intake.REGISTRATION_FILE:  # registration: see above
            ctx.errors.append(FileError(file=rejected["file"], error=rejected["error"],
                                        message=rejected.get("message")))
    typed = page_types.load(ctx.store, ctx.dossier_id)  # types a verifier set by hand
    for entry in ctx.manifest.get("files", []):
        name, sha = entry["name"], entry["sha256"]
        try:
            data = ctx.store.get_bytes(manifest.entry_key(ctx.dossier_id, entry))
        except (ObjectNotFound, IntegrityError) as e:
            ctx.errors.append(FileError(file=name, error=e.code, message=FILE_REASONS.get(e.code, e.message_id)))
            continue
        with observe.timed("decode"):
            pages, errors = intake.load_pages(name, data, sha256=sha, limits=limits)
        ctx.errors.extend(errors)
        for page in pages:
            forced = typed.get((sha, page.page))
            ocr_spent: dict[str, float] = {}
            t0 = time.perf_counter()
            try:
                tools = observe.timed_tools(ctx.runtime.reading, ocr_spent)
                reading = (read_page(page, tools) if forced is None
                           else read_page(page, tools, doc_type=forced))
            except OcrFailed as e:
                log.warning("dossier %s: %s page %d unreadable: %s", ctx.dossier_id, name, page.page, e.code)
                ctx.errors.append(FileError(file=name, page=page.page, error="PAGE_UNREADABLE",
                                            message=FILE_REASONS["PAGE_UNREADABLE"]))
                continue
            finally:
                observe.page_read(time.perf_counter() - t0, ocr_spent)
            ctx.readings.append(reading)
            ctx.read_with.append(ctx.runtime.engine_catalogue.for_page(reading))


def to_document(r: DocumentReading, read_with: list[EngineInfo] | None = None) -> DocumentResult:
    fields, confidence, boxes = {}, {}, {}
    for name, fv in r.fields.items():
        value = fv.value.isoformat() if hasattr(fv.value, "isoformat") else fv.value
        fields[name] = value
        confidence[name] = round(float(fv.confidence), 4)
        if fv.box is not None:
            boxes[name] = [int(v) for v in fv.box]
    return DocumentResult(
        file=r.file, page=r.page, type=r.type, fields=fields, confidence=confidence, boxes=boxes,
        type_scores={k: round(float(v), 4) for k, v in r.type_scores.items()}, sha256=r.sha256,
        unreadable=r.unreadable, read_with=list(read_with or []),
    )


def evaluate_and_publish(
    store: ObjectStore,
    runtime: Runtime,
    dossier_id: str,
    registration: Registration | None,
    documents: list[DocumentResult],
    errors: list[FileError],
    registration_error: FileError | None = None,
    *,
    notify_others: bool = True,
    expect: object = ANY,
) -> DossierResult:
    """Checks + decision + publish. Also the re-check path (no OCR): verifier corrections, duplicate updates.

    `expect`: the etag of the stored result these documents come from (None: there was none); WriteConflict
    (nothing published) when another writer published since (pipeline/publish.py). ANY publishes regardless."""
    index = DuplicateIndex(store, runtime.index_secret)
    niks = dossier_niks_of(registration, documents)
    previous_others = set(index.others_of(dossier_id)) if notify_others else set()
    index.update(dossier_id, niks)
    others = sorted(index.others(dossier_id, niks))

    all_errors = list(errors) + ([registration_error] if registration_error else [])
    result = _decide(runtime, dossier_id, registration, documents, all_errors, others)
    with observe.timed("publish"):
        published = publish_result(store, result, runtime=runtime, expect=expect)
    if published:
        index.update(dossier_id, niks)  # again: a run that lost a race may have written older NIKs meanwhile

    # Another dossier may have taken one of our NIKs while we were reading: look again after writing.
    again = sorted(index.others(dossier_id, niks))
    if again != others:
        others = again
        result = _decide(runtime, dossier_id, registration, documents, all_errors, others)
        publish_result(store, result, runtime=runtime, expect=published.etag)

    if notify_others:
        for other in sorted(previous_others | set(others)):
            recheck_dossier(other, store=store, runtime=runtime)
    return result


def _decide(runtime, dossier_id, registration, documents, errors, others) -> DossierResult:
    with observe.timed("checks"):
        checks = run_checks(
            registration, documents, errors, rules=runtime.rules, regions=runtime.regions,
            duplicates={dossier_id: others} if others else None,
        )
        status, missing = decide(checks, runtime.rules)
    return DossierResult(
        dossier_id=dossier_id,
        status=status,
        missing_documents=missing,
        documents=documents,
        checks=checks,
        errors=errors,
        pipeline_version=__version__,
        wilayah=registration.wilayah if registration else None,
        area_match=area_match_info(registration.wilayah if registration else None, runtime.regions),
        duplicate_dossiers=others,
        provenance=decision_provenance(runtime),
    )


def recheck_dossier(dossier_id: str, *, store: ObjectStore, runtime: Runtime,
                    force: bool = False) -> DossierResult | None:
    """Re-run the checks of a stored result without OCR when what it depends on changed (duplicates), or with
    `force` in any case (the requirements changed: `berkas requeue --stale-rules`).

    Built from the stored result and published only over that same result (compare-and-swap): when the dossier's
    own processing or a correction publishes meanwhile, the re-check starts again from the newer result, so it
    never replaces it with stale documents. Returns None when the dossier has no result yet (its own processing
    will see the current index).
    """
    for _attempt in range(PUBLISH_ATTEMPTS):
        old, etag = read_result(store, dossier_id)
        if old is None:
            return None
        index = DuplicateIndex(store, runtime.index_secret)
        others = sorted(index.others_of(dossier_id))
        if others == old.duplicate_dossiers and not force:
            return old
        ctx = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
        load_registration(ctx)
        file_errors = [e for e in old.errors if e.file != "registration.json"]
        result = _decide(runtime, dossier_id, ctx.registration, old.documents,
                         file_errors + ([ctx.registration_error] if ctx.registration_error else []), others)
        try:
            publish_result(store, result, runtime=runtime, expect=etag)
        except WriteConflict:
            log.info("dossier %s: re-check overtaken by a newer result; checking that one", dossier_id)
            continue
        log.info("dossier %s re-checked: duplicates now %d", dossier_id, len(others))
        return result
    raise WriteConflict(f"results/{dossier_id}: still changing after {PUBLISH_ATTEMPTS} re-checks")


__all__ = ["DossierContext", "DossierStatus", "process_dossier", "recheck_dossier", "evaluate_and_publish"]
