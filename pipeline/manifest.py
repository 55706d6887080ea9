"""A dossier's manifest (`dossiers/<id>/manifest.json`): which originals make up the dossier now.

    {"dossier_id", "version", "updated_at", "registration_sha256",
     "files": [{"name", "original_name"?, "key", "sha256", "size", "content_type", "version",
                "source"?, "uploaded_by"?, "uploaded_at"?}],
     "rejected": [{"file", "error", "message"}]}

`name` is the file's display name (`keys.display_name`: safe, NIK masked, unique in the dossier); the name as
submitted stays in `original_name` when it differs; `key` is where its bytes are stored. Two writers change
manifests: ingestion (the input folder is the truth for the files it holds) and the review app (a verifier's
upload, `source: review-upload`, which ingestion keeps). Both go through `cas.update_json`, so parallel
uploads and a re-run of `berkas run` never drop each other's files. Every change raises `version`, which
names the processing job (workers.queues.dossier_job_id) and lets a run tell whether it is still current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from pipeline.storage.cas import UNCHANGED, read_json, update_json

REVIEW_UPLOAD = "review-upload"


@dataclass(frozen=True)
class InputFile:
    """One file of the input folder: the name as submitted (path inside the dossier folder) and its bytes' facts."""

    name: str
    sha256: str
    size: int
    content_type: str

    def key(self, dossier_id: str) -> str:
        return keys.original_key(dossier_id, self.sha256, keys.display_name(self.name))


@dataclass
class IngestChange:
    """What one ingestion did to a manifest (display names)."""

    version: int = 0
    changed: bool = False
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def read(store: ObjectStore, dossier_id: str) -> dict | None:
    return read_json(store, keys.manifest_key(dossier_id))[0]


def version_of(manifest: dict | None) -> int:
    return int((manifest or {}).get("version", 0))


def entry_key(dossier_id: str, entry: dict) -> str:
    """The store key of a manifest entry's bytes (manifests written before `key` existed: built from the name)."""
    return entry.get("key") or keys.original_key(dossier_id, entry["sha256"], entry["name"])


def submitted_name(entry: dict) -> str:
    return entry.get("original_name") or entry["name"]


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2.ext`, `name-3.ext`, ... whichever is not taken yet."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext:
        stem, dot, ext = name, "", ""
    n = 2
    while f"{stem}-{n}{dot}{ext}" in taken:
        n += 1
    return f"{stem}-{n}{dot}{ext}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def apply_ingest(
    store: ObjectStore,
    dossier_id: str,
    files: list[InputFile],
    *,
    registration_sha256: str | None,
    rejected: list[dict[str, Any]],
    force: bool = False,
) -> IngestChange:
    """Make the manifest list exactly the input's files, plus the review app's uploads (kept).

    A file whose submitted name and sha256 are listed already keeps its entry; a changed one gets the next
    version; files gone from the input are dropped unless a verifier uploaded them. `force` writes a new version
    even when nothing in the manifest changes (an original was repaired: the dossier must be processed again).
    """
    outcome: list[IngestChange] = []

    def change(current: dict | None) -> Any:
        outcome[:] = [out := IngestChange()]  # the change may run again after a lost race: start afresh
        old_entries = list((current or {}).get("files", []))
        uploads = [e for e in old_entries if e.get("source") == REVIEW_UPLOAD]
        from_input = {submitted_name(e): e for e in old_entries if e.get("source") != REVIEW_UPLOAD}
        taken = {e["name"] for e in uploads}
        entries: list[dict] = []
        for f in sorted(files, key=lambda f: f.name):
            prev = from_input.get(f.name)
            if prev is not None and prev.get("sha256") == f.sha256:
                prev = {**prev, "name": unique_name(prev["name"], taken)}
                entries.append(prev)
                out.skipped.append(prev["name"])
            else:
                name = unique_name(keys.display_name(f.name), taken)
                entry = {"name": name, "key": f.key(dossier_id), "sha256": f.sha256, "size": f.size,
                         "content_type": f.content_type, "version": int(prev.get("version", 0)) + 1 if prev else 1}
                if name != f.name:
                    entry["original_name"] = f.name
                entries.append(entry)
                out.stored.append(name)
            taken.add(entries[-1]["name"])
        kept_names = {f.name for f in files}
        out.removed = sorted(e["name"] for n, e in from_input.items() if n not in kept_names)
        out.version = version_of(current)
        out.changed = (current is None or force or bool(out.stored or out.removed)
                       or current.get("registration_sha256") != registration_sha256
                       or current.get("rejected", []) != rejected)
        if not out.changed:
            return UNCHANGED
        out.version += 1
        return {
            **(current or {}),
            "dossier_id": dossier_id,
            "version": out.version,
            "updated_at": _now(),
            "registration_sha256": registration_sha256,
            "files": sorted(entries + uploads, key=lambda e: e["name"]),
            "rejected": rejected,
        }

    update_json(store, keys.manifest_key(dossier_id), change)
    return outcome[0]


@dataclass
class Upload:
    entry: dict
    version: int
    added: bool  # False: a file with the same bytes was listed already


def add_upload(
    store: ObjectStore, dossier_id: str, *, filename: str, sha256: str, size: int, content_type: str, by: str,
) -> Upload:
    """List a verifier's upload (its bytes are stored already, at the returned entry's `key`).

    The same bytes uploaded twice are listed once. The entry's `name` is the display name, unique in the dossier.
    """
    out: dict[str, Any] = {}

    def change(current: dict | None) -> Any:
        manifest = current or {"dossier_id": dossier_id, "files": []}
        files = manifest.setdefault("files", [])
        same = next((f for f in files if f.get("sha256") == sha256), None)
        if same is not None:
            out.update(entry=same, version=version_of(current), added=False)
            return UNCHANGED
        name = unique_name(keys.display_name(filename), {f.get("name") for f in files})
        now = _now()
        entry = {"name": name, "key": upload_key(dossier_id, sha256, filename), "sha256": sha256, "size": size,
                 "content_type": content_type, "version": 1, "source": REVIEW_UPLOAD, "uploaded_by": by,
                 "uploaded_at": now}
        if name != filename:
            entry["original_name"] = filename
        files.append(entry)
        files.sort(key=lambda f: f.get("name", ""))
        manifest["version"] = version_of(current) + 1
        manifest["updated_at"] = now
        out.update(entry=entry, version=manifest["version"], added=True)
        return manifest

    update_json(store, keys.manifest_key(dossier_id), change)
    return Upload(**out)


def upload_key(dossier_id: str, sha256: str, filename: str) -> str:
    return keys.original_key(dossier_id, sha256, keys.display_name(filename))


__all__ = ["REVIEW_UPLOAD", "InputFile", "IngestChange", "Upload", "add_upload", "apply_ingest", "entry_key",
           "read", "submitted_name", "unique_name", "upload_key", "version_of"]
