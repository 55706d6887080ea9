"""Ingestion: a folder (or .zip) of dossier folders in the contract layout -> originals, registration and
manifest in the object store -> one queued job per new or changed dossier.

Idempotent: a file whose name and sha256 are already in the dossier's manifest is skipped; a changed file is
stored as a new immutable original and gets the next version number; a dossier that changed in any way
(files added, changed or removed, registration changed) gets a new manifest version and is queued again.
Write order per dossier: originals, then registration, then the manifest (the manifest is the mark that says
"this dossier is complete in the store"), then the queue. A crash leaves at most originals that the next run
finds already present.

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
from pipeline import intake
from pipeline.errors import ObjectNotFound
from pipeline.storage import keys
from pipeline.storage.base import JSON_TYPE, ObjectStore

log = logging.getLogger(__name__)

Progress = bool | Callable[[str], None] | None


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
    rejected: list[Rejection] = field(default_factory=list)
    queued: bool = False


@dataclass
class IngestSummary:
    dossiers: dict[str, DossierIngest] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)  # every rejection, dossier-level ones included

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
        }


@dataclass
class _Read:
    """One dossier as read from disk, ready to hash and upload without the folder."""

    dossier_id: str
    registration: bytes | None
    files: list[tuple[str, bytes]]
    rejected: list[Rejection]


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
                outcome.queued = _enqueue(queue, store, outcome)
            tick(outcome.dossier_id)

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ingest") as pool:
            for dossier_id, folder in intake.iter_dossier_folders(Path(input_path)):
                if not DOSSIER_ID_RE.match(dossier_id):
                    summary.rejected.append(Rejection(dossier_id, None, "DOSSIER_ID_INVALID",
                                                      "Nama folder berkas tidak dapat dipakai sebagai ID berkas."))
                    continue
                read = _read_dossier(dossier_id, folder, limits)
                window.acquire()
                fut = pool.submit(_store_dossier, store, read)
                fut.add_done_callback(lambda _f: window.release())
                pending.append(fut)
                settle(block=False)
            settle(block=True)
    finally:
        close()
    log.info("ingest: %s", summary.counts())
    return summary


def _read_dossier(dossier_id: str, folder: Path, limits: Limits) -> _Read:
    rejected: list[Rejection] = []
    registration = None
    reg_path = folder / intake.REGISTRATION_FILE
    if reg_path.is_file() and not reg_path.is_symlink():
        if reg_path.stat().st_size > intake.MAX_REGISTRATION_BYTES:
            rejected.append(Rejection(dossier_id, intake.REGISTRATION_FILE, "REGISTRATION_INVALID",
                                      "registration.json terlalu besar."))
        else:
            registration = reg_path.read_bytes()
    files, errors = intake.scan_files(folder, limits=limits)
    rejected += [Rejection(dossier_id, e.file, e.error, e.message) for e in errors]
    return _Read(dossier_id, registration, [(name, path.read_bytes()) for name, path in files], rejected)


def _store_dossier(store: ObjectStore, read: _Read) -> DossierIngest:
    d = read.dossier_id
    try:
        old = store.get_json(keys.manifest_key(d))
    except ObjectNotFound:
        old = None
    old_files = {f["name"]: f for f in (old or {}).get("files", [])}
    out = DossierIngest(d, version=int((old or {}).get("version", 0)), changed=old is None,
                        rejected=list(read.rejected))

    entries = []
    for name, data in read.files:
        sha = hashlib.sha256(data).hexdigest()
        prev = old_files.get(name)
        if prev is not None and prev.get("sha256") == sha:
            entries.append(prev)
            out.skipped.append(name)
            continue
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        store.put_if_absent(keys.original_key(d, sha, name), data, content_type=content_type)
        entries.append({"name": name, "sha256": sha, "size": len(data), "content_type": content_type,
                        "version": int(prev.get("version", 0)) + 1 if prev else 1})
        out.stored.append(name)
    names = {name for name, _ in read.files}
    out.removed = sorted(set(old_files) - names)

    reg_sha = hashlib.sha256(read.registration).hexdigest() if read.registration is not None else None
    reg_changed = old is None or (old or {}).get("registration_sha256") != reg_sha
    if reg_changed and read.registration is not None:
        store.put_bytes(keys.registration_key(d), read.registration, content_type=JSON_TYPE)
    elif reg_changed and store.exists(keys.registration_key(d)):
        store.delete(keys.registration_key(d))  # the dossier no longer has one: do not judge a stale one
    if read.registration is None and not any(r.file == intake.REGISTRATION_FILE for r in out.rejected):
        out.rejected.append(Rejection(d, intake.REGISTRATION_FILE, "REGISTRATION_MISSING",
                                      "registration.json tidak ada di folder berkas."))

    rejected_files = [{"file": r.file, "error": r.reason, "message": r.message} for r in read.rejected]
    if not out.changed:
        out.changed = bool(out.stored or out.removed or reg_changed or rejected_files != old.get("rejected", []))
    if out.changed:
        out.version += 1
        store.put_json(keys.manifest_key(d), {
            "dossier_id": d,
            "version": out.version,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "registration_sha256": reg_sha,
            "files": sorted(entries, key=lambda e: e["name"]),
            "rejected": rejected_files,
        })
        log.info("dossier %s: manifest v%d (%d stored, %d skipped, %d removed)", d, out.version,
                 len(out.stored), len(out.skipped), len(out.removed))
    return out


def _enqueue(queue: Any, store: ObjectStore, outcome: DossierIngest) -> bool:
    """Queue a changed dossier; an unchanged one only if it has no result yet and no job waiting for it."""
    from workers.queues import enqueue_dossier

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
