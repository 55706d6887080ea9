"""Ingestion: a folder (or .zip) of dossier folders in the contract layout -> originals, registration and
manifest in the object store -> one queued job per new or changed dossier.

Idempotent: a file whose name and sha256 are already in the dossier's manifest is skipped (after checking that
its stored copy still matches its checksum: a damaged copy is written again from the input); a changed file is
stored as a new immutable original and gets the next version number; a dossier that changed in any way
(files added, changed or removed, registration changed, an original repaired) gets a new manifest version and
is queued again. Files a verifier uploaded in the review app stay in the manifest (pipeline/manifest.py).
Write order per dossier: originals, then registration, then the manifest (the mark that says "this dossier is
complete in the store", changed by compare-and-swap), then the queue. A crash leaves at most originals that the
next run finds already present.

Every entry of the input is accounted for: dossiers, files (documents or file errors later), and the list of
what was skipped and why (`IngestSummary.skipped_inputs`, stored as `batches/<stamp>.json`).

Files are read in the calling thread (an input .zip is extracted to a temporary folder that lives only while
it is being walked); hashing and uploads run in a thread pool, a few dossiers at a time.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.settings import Limits
from models.contract import DOSSIER_ID_RE
from pipeline import intake, manifest
from pipeline.errors import IntegrityError, ObjectNotFound, StorageError
from pipeline.storage import keys
from pipeline.storage.base import JSON_TYPE, ObjectStore, key_for_log
from pipeline.walk import Skipped

log = logging.getLogger(__name__)

Progress = bool | Callable[[str], None] | None
UNREADABLE = {"CHECKSUM_MISMATCH", "OBJECT_NOT_JSON"}  # a stored manifest that cannot be read back


@dataclass(frozen=True)
class Rejection:
    dossier_id: str
    file: str | None  # None: the whole dossier
    reason: str  # reason code, e.g. FILE_TOO_LARGE, DOSSIER_ID_INVALID
    message: str | None = None


@dataclass
class DossierIngest:
    dossier_id: str
    version: int
    changed: bool
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    queued: bool = False


@dataclass
class IngestSummary:
    dossiers: dict[str, DossierIngest] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)  # every rejection, dossier-level ones included
    skipped_inputs: list[Skipped] = field(default_factory=list)  # input entries left out, and why
    batch_key: str | None = None

    @property
    def dossier_ids(self) -> list[str]:
        return sorted(self.dossiers)

    @property
    def stored(self) -> list[tuple[str, str]]:
        return [(d, f) for d, o in sorted(self.dossiers.items()) for f in o.stored]

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(d, f) for d, o in sorted(self.dossiers.items()) for f in o.skipped]

    @property
    def changed(self) -> list[str]:
        return sorted(d for d, o in self.dossiers.items() if o.changed)

    @property
    def queued(self) -> list[str]:
        return sorted(d for d, o in self.dossiers.items() if o.queued)

    def counts(self) -> dict[str, int]:
        return {
            "dossiers": len(self.dossiers), "changed": len(self.changed), "queued": len(self.queued),
            "stored": len(self.stored), "skipped": len(self.skipped), "rejected": len(self.rejected),
            "skipped_inputs": len(self.skipped_inputs),
        }

    def batch_record(self, input_path: Path) -> dict[str, Any]:
        return {
            "input": keys.mask_nik(Path(input_path).name),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dossiers": self.dossier_ids,
            "counts": self.counts(),
            "skipped_inputs": [s.to_json() for s in self.skipped_inputs],
        }


@dataclass
class _Read:
    """One dossier as read from disk, ready to hash and upload without the folder."""

    dossier_id: str
    registration: bytes | None
    files: list[tuple[str, bytes]]
    rejected: list[Rejection]
    registration_size: int | None = None  # set when registration.json was too large to read


def ingest(
    input_path: Path,
    store: ObjectStore,
    queue: Any = None,
    progress: Progress = None,
    *,
    limits: Limits | None = None,
    concurrency: int = 4,
) -> IngestSummary:
    """Store every dossier under `input_path` and queue (an rq Queue, or None) the ones that need processing.

    Raises InputError (ARCHIVE_UNSAFE / ARCHIVE_INVALID / INPUT_NOT_FOUND) for an input that cannot be
    walked at all; problems of single files or dossiers are reported in the summary instead.
    """
    limits = limits or Limits()
    summary = IngestSummary()
    tick, close = _progress(progress)
    window = threading.BoundedSemaphore(max(1, concurrency) * 2)  # dossiers held in memory at once
    pending: list[Future[DossierIngest]] = []

    def settle(block: bool) -> None:
        """Record finished dossiers and queue them at once, so workers start while ingestion goes on."""
        while pending and (block or pending[0].done()):
            outcome = pending.pop(0).result()
            summary.dossiers[outcome.dossier_id] = outcome
            summary.rejected.extend(outcome.rejected)
            if queue is not None:
                try:
                    outcome.queued = _enqueue(queue, store, outcome)
                except ValueError as e:  # this dossier cannot be queued; the others still are
                    log.error("dossier %s: not queued (%s)", outcome.dossier_id, e)
                    refusal = Rejection(outcome.dossier_id, None, "QUEUE_REFUSED",
                                        "Berkas tersimpan tetapi tidak dapat dimasukkan ke antrean.")
                    outcome.rejected.append(refusal)
                    summary.rejected.append(refusal)
            tick(outcome.dossier_id)

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ingest") as pool:
            for dossier_id, folder in intake.iter_dossier_folders(Path(input_path), skipped=summary.skipped_inputs):
                if not DOSSIER_ID_RE.match(dossier_id) or dossier_id in {".", ".."}:
                    skip = Skipped.of(dossier_id, "DOSSIER_ID_INVALID")
                    summary.skipped_inputs.append(skip)
                    summary.rejected.append(Rejection(skip.path, None, skip.reason, skip.message))
                    continue
                read = _read_dossier(dossier_id, folder, limits, summary.skipped_inputs)
                window.acquire()
                fut = pool.submit(_store_dossier, store, read)
                fut.add_done_callback(lambda _f: window.release())
                pending.append(fut)
                settle(block=False)
            settle(block=True)
    finally:
        close()
    summary.skipped_inputs.sort(key=lambda s: s.path)
    summary.batch_key = _record_batch(store, summary, input_path)
    log.info("ingest: %s", summary.counts())
    return summary


def _record_batch(store: ObjectStore, summary: IngestSummary, input_path: Path) -> str | None:
    body = summary.batch_record(input_path)
    now = datetime.now(UTC)
    for n in range(100):
        key = keys.batch_key(now, n)
        if store.put_if_absent(key, _json(body), content_type=JSON_TYPE):
            return key
    log.error("ingest: no free batch record key at %s", now.isoformat())
    return None


def _json(body: dict) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def _read_dossier(dossier_id: str, folder: Path, limits: Limits, skipped: list[Skipped]) -> _Read:
    rejected: list[Rejection] = []
    registration = None
    too_large = None
    reg_path = folder / intake.REGISTRATION_FILE
    if reg_path.is_symlink():
        rejected.append(Rejection(dossier_id, intake.REGISTRATION_FILE, "REGISTRATION_INVALID",
                                  "registration.json berupa tautan simbolik (symlink); tidak dibaca."))
    elif reg_path.is_file():
        size = reg_path.stat().st_size
        if size > intake.MAX_REGISTRATION_BYTES:
            too_large = size
            rejected.append(Rejection(dossier_id, intake.REGISTRATION_FILE, "REGISTRATION_INVALID",
                                      intake.registration_too_large(size).message_id))
        else:
            registration = reg_path.read_bytes()
    files, errors = intake.scan_files(folder, limits=limits, skipped=skipped, prefix=f"{dossier_id}/")
    rejected += [Rejection(dossier_id, keys.display_name(e.file), e.error, e.message) for e in errors]
    return _Read(dossier_id, registration, [(name, path.read_bytes()) for name, path in files], rejected,
                 registration_size=too_large)


def _store_dossier(store: ObjectStore, read: _Read) -> DossierIngest:
    d = read.dossier_id
    try:
        old = manifest.read(store, d)
    except StorageError as e:
        if e.code not in UNREADABLE:
            raise
        # damaged in the store (not by a concurrent writer: those are compare-and-swap now). Its other entries
        # (a verifier's uploads) cannot be known, so it is not overwritten: reported, left for a person
        log.error("dossier %s: manifest unreadable (%s); dossier not ingested", d, e.code)
        refusal = Rejection(d, None, "MANIFEST_UNREADABLE", "Daftar file berkas (manifest.json) di penyimpanan "
                            "rusak; berkas ini tidak diperbarui. Periksa penyimpanan atau hubungi admin.")
        return DossierIngest(d, version=0, changed=False, rejected=[refusal])
    listed = {(manifest.submitted_name(e), e.get("sha256")): e for e in (old or {}).get("files", [])
              if e.get("source") != manifest.REVIEW_UPLOAD}
    inputs: list[manifest.InputFile] = []
    repaired: list[str] = []
    for name, data in read.files:
        sha = hashlib.sha256(data).hexdigest()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        f = manifest.InputFile(name, sha, len(data), content_type)
        prev = listed.get((name, sha))
        if _store_original(store, manifest.entry_key(d, prev) if prev else f.key(d), data, content_type):
            repaired.append(keys.display_name(name))
        inputs.append(f)

    reg_sha = hashlib.sha256(read.registration).hexdigest() if read.registration is not None else None
    reg_changed = old is None or old.get("registration_sha256") != reg_sha
    if reg_changed and read.registration is not None:
        store.put_bytes(keys.registration_key(d), read.registration, content_type=JSON_TYPE)
    elif reg_changed and store.exists(keys.registration_key(d)):
        store.delete(keys.registration_key(d))  # the dossier no longer has one: do not judge a stale one
    rejected = list(read.rejected)
    if read.registration is None and not any(r.file == intake.REGISTRATION_FILE for r in rejected):
        rejected.append(Rejection(d, intake.REGISTRATION_FILE, "REGISTRATION_MISSING",
                                  "registration.json tidak ada di folder berkas."))
    rejected_files = [{"file": r.file, "error": r.reason, "message": r.message} for r in read.rejected]

    change = manifest.apply_ingest(store, d, inputs, registration_sha256=reg_sha, rejected=rejected_files,
                                   force=bool(repaired))
    out = DossierIngest(d, version=change.version, changed=change.changed, stored=change.stored,
                        skipped=change.skipped, removed=change.removed, repaired=repaired, rejected=rejected)
    if change.changed:
        log.info("dossier %s: manifest v%d (%d stored, %d skipped, %d removed, %d repaired)", d, out.version,
                 len(out.stored), len(out.skipped), len(out.removed), len(out.repaired))
    return out


def _store_original(store: ObjectStore, key: str, data: bytes, content_type: str) -> bool:
    """Store an original once. When the key is taken, its stored bytes must still match their checksum; a damaged
    copy is written again from these bytes (which hash to the sha256 in the key). True when it was repaired."""
    if store.put_if_absent(key, data, content_type=content_type):
        return False
    try:
        store.get_bytes(key)
        return False
    except IntegrityError:
        log.warning("original %s: stored copy fails its checksum; written again from the input", key_for_log(key))
    except ObjectNotFound:
        pass
    store.put_bytes(key, data, content_type=content_type)
    return True


def _enqueue(queue: Any, store: ObjectStore, outcome: DossierIngest) -> bool:
    """Queue a changed dossier; an unchanged one only if it has no result yet and no job waiting for it."""
    from workers.queues import enqueue_dossier

    if any(r.reason == "MANIFEST_UNREADABLE" for r in outcome.rejected):
        return False
    if not outcome.changed and store.exists(keys.result_key(outcome.dossier_id)):
        return False
    return enqueue_dossier(queue, outcome.dossier_id, version=outcome.version) is not None


def _progress(progress: Progress) -> tuple[Callable[[str], None], Callable[[], None]]:
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return (lambda _d: None), lambda: None
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Bar(SpinnerColumn(), TextColumn("menyimpan berkas: {task.completed}"), TimeElapsedColumn(),
              transient=True)
    task = bar.add_task("ingest", total=None)
    bar.start()
    return (lambda _d: bar.advance(task)), bar.stop
