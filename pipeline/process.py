"""Process one dossier end to end. Reads like a table of contents:

    registration -> originals -> pages -> readings -> documents -> duplicates -> checks -> decision -> publish

The dossier's originals and registration are read from the object store (put there by ingestion), so the
embedded `berkas run` and the distributed RQ workers share this one path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from models.contract import (
    DocumentResult,
    DossierResult,
    DossierStatus,
    FileError,
    Registration,
)
from pipeline import __version__, corrections, intake
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
)
from pipeline.publish import area_match_info, publish_result
from pipeline.reading import read_page
from pipeline.runtime import Runtime
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass
class DossierContext:
    dossier_id: str
    store: ObjectStore
    runtime: Runtime
    registration: Registration | None = None
    registration_error: FileError | None = None
    readings: list[DocumentReading] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def process_dossier(dossier_id: str, *, store: ObjectStore, runtime: Runtime) -> DossierResult:
    """Read, check, decide and publish one dossier. Never raises for bad input; storage errors propagate."""
    ctx = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
    load_registration(ctx)
    read_originals(ctx)
    documents = [to_document(r) for r in ctx.readings]
    # a verifier's corrections of these pages outlive the reading (pipeline/corrections.py)
    reapplied = corrections.apply_corrections(ctx.store, dossier_id, documents, ctx.errors)
    result = evaluate_and_publish(ctx.store, ctx.runtime, dossier_id, ctx.registration, documents,
                                  ctx.errors, ctx.registration_error)
    corrections.audit_reapplied(ctx.store, dossier_id, reapplied, result)
    return result


def load_registration(ctx: DossierContext) -> None:
    try:
        data = ctx.store.get_bytes(keys.registration_key(ctx.dossier_id))
    except ObjectNotFound:
        data = None
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
    try:
        manifest = ctx.store.get_json(keys.manifest_key(ctx.dossier_id))
    except ObjectNotFound:
        manifest = {"files": []}
    for rejected in manifest.get("rejected", []):  # refused at ingestion (too large, symlink, too many files)
        if rejected.get("file") and rejected["file"] != intake.REGISTRATION_FILE:  # registration: see above
            ctx.errors.append(FileError(file=rejected["file"], error=rejected["error"],
                                        message=rejected.get("message")))
    for entry in manifest.get("files", []):
        name, sha = entry["name"], entry["sha256"]
        try:
            data = ctx.store.get_bytes(keys.original_key(ctx.dossier_id, sha, name))
        except (ObjectNotFound, IntegrityError) as e:
            ctx.errors.append(FileError(file=name, error=e.code, message=e.message_id))
            continue
        pages, errors = intake.load_pages(name, data, sha256=sha, limits=limits)
        ctx.errors.extend(errors)
        for page in pages:
            try:
                ctx.readings.append(read_page(page, engine=ctx.runtime.engine, nlp=ctx.runtime.nlp))
            except OcrFailed as e:
                log.warning("dossier %s: %s page %d unreadable: %s", ctx.dossier_id, name, page.page, e.code)
                ctx.errors.append(FileError(file=name, page=page.page, error="PAGE_UNREADABLE",
                                            message=FILE_REASONS["PAGE_UNREADABLE"]))


def to_document(r: DocumentReading) -> DocumentResult:
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
        unreadable=r.unreadable,
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
) -> DossierResult:
    """Checks + decision + publish. Also the re-check path (no OCR): verifier corrections, duplicate updates."""
    index = DuplicateIndex(store, runtime.index_secret)
    niks = dossier_niks_of(registration, documents)
    previous_others = set(index.others_of(dossier_id)) if notify_others else set()
    index.update(dossier_id, niks)
    others = sorted(index.others(dossier_id, niks))

    all_errors = list(errors) + ([registration_error] if registration_error else [])
    result = _decide(runtime, dossier_id, registration, documents, all_errors, others)
    publish_result(store, result, runtime=runtime)

    # Another dossier may have taken one of our NIKs while we were reading: look again after writing.
    again = sorted(index.others(dossier_id, niks))
    if again != others:
        others = again
        result = _decide(runtime, dossier_id, registration, documents, all_errors, others)
        publish_result(store, result, runtime=runtime)

    if notify_others:
        for other in sorted(previous_others | set(others)):
            recheck_dossier(other, store=store, runtime=runtime)
    return result


def _decide(runtime, dossier_id, registration, documents, errors, others) -> DossierResult:
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
    )


def recheck_dossier(dossier_id: str, *, store: ObjectStore, runtime: Runtime) -> DossierResult | None:
    """Re-run the checks of a stored result without OCR when what it depends on changed (duplicates).

    Returns None when the dossier has no result yet (its own processing will see the current index).
    """
    try:
        old = DossierResult.model_validate(store.get_json(keys.result_key(dossier_id)))
    except ObjectNotFound:
        return None
    index = DuplicateIndex(store, runtime.index_secret)
    others = sorted(index.others_of(dossier_id))
    if others == old.duplicate_dossiers:
        return old
    ctx = DossierContext(dossier_id=dossier_id, store=store, runtime=runtime)
    load_registration(ctx)
    file_errors = [e for e in old.errors if e.file != "registration.json"]
    result = _decide(runtime, dossier_id, ctx.registration, old.documents,
                     file_errors + ([ctx.registration_error] if ctx.registration_error else []), others)
    publish_result(store, result, runtime=runtime)
    log.info("dossier %s re-checked: duplicates now %d", dossier_id, len(others))
    return result


__all__ = ["DossierContext", "DossierStatus", "process_dossier", "recheck_dossier", "evaluate_and_publish"]
