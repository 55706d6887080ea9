"""The object-store interface every backend implements, and what backends share.

Keys are `/`-separated relative paths built by `pipeline.storage.keys`; every backend rejects keys
that could leave the store (`..`, absolute, NUL, backslash). Each object records the sha256 of its
bytes in its metadata (`sha256`), and `get_bytes` verifies it when recorded.

Conditional writes (compare-and-swap) are the one way to change an object that others may change too:
`put_bytes(..., if_match=etag)` writes only while the object still has the `etag` it had when it was read,
`if_none_match=True` only while nothing is stored; otherwise `WriteConflict`. `pipeline.storage.cas.update_json`
builds read-modify-write on them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipeline.errors import IntegrityError, ObjectNotFound, StorageError, WriteConflict

__all__ = [
    "ObjectInfo", "ObjectStore", "StoreBase", "validate_key", "validate_prefix", "sha256_file",
    "StorageError", "ObjectNotFound", "IntegrityError", "WriteConflict",
]

SHA256_META = "sha256"
JSON_TYPE = "application/json"
_META_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None
    etag: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ObjectStore(Protocol):
    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        """Write (or overwrite) an object; records its sha256 in the metadata.

        `if_match`: only while the stored object's etag is this one; `if_none_match`: only while nothing is
        stored. A failed condition raises WriteConflict and writes nothing."""

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Stream a local file into the store (multipart upload for big files on S3)."""

    def put_if_absent(self, key: str, data: bytes, **kw: Any) -> bool:
        """Write only if nothing is stored under `key`; False if something is (immutable originals)."""

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound if absent, IntegrityError if they fail their sha256."""

    def get_bytes_etag(self, key: str) -> tuple[bytes, str]:
        """The object's bytes and the etag of exactly those bytes (for a later `put_bytes(if_match=...)`)."""

    def stat(self, key: str) -> ObjectInfo | None: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix` (recursive), in sorted (UTF-8 byte) order."""

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Remove an object if present (with `if_match`: only while it has that etag, else WriteConflict).
        For index entries, flags and claims only; originals are never deleted."""

    def put_json(self, key: str, obj: Any, **conditions: Any) -> ObjectInfo: ...

    def get_json(self, key: str) -> Any: ...

    def get_json_etag(self, key: str) -> tuple[Any, str]: ...


def validate_key(key: str) -> str:
    """The key itself if it is a safe relative key; ValueError (a caller bug) otherwise."""
    if not isinstance(key, str) or not key:
        raise ValueError("object key must be a non-empty string")
    if "\x00" in key or "\\" in key:
        raise ValueError(f"object key holds a forbidden character: {key!r}")
    if key.startswith("/") or re.match(r"^[A-Za-z]:", key):
        raise ValueError(f"object key must be relative: {key!r}")
    for part in key.split("/"):
        if part in {"", ".", ".."}:
            raise ValueError(f"object key has an empty, '.' or '..' segment: {key!r}")
    if len(key.encode("utf-8")) > 1024:
        raise ValueError("object key longer than 1024 bytes")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key-like string that may end with `/` or a partial segment."""
    if prefix in ("", None):
        return ""
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def validate_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """User metadata: lower-case ASCII names, printable ASCII values (what S3 headers can carry)."""
    out: dict[str, str] = {}
    for k, v in (metadata or {}).items():
        name = str(k).lower()
        if not _META_KEY_RE.match(name) or name == SHA256_META:
            raise ValueError(f"metadata name not allowed: {k!r}")
        value = str(v)
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"metadata value for {name!r} must be printable ASCII")
        out[name] = value
    return out


def sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def key_for_log(key: str) -> str:
    """The key cut after the dossier id (`originals/D1/...`): later segments may be a submitted file name,
    which can hold a person's name, and error texts end up in logs."""
    parts = str(key).split("/")
    return "/".join(parts[:2]) + ("/..." if len(parts) > 2 else "")


def verify(key: str, data: bytes, expected: str | None) -> bytes:
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise IntegrityError(f"{key_for_log(key)}: stored bytes do not match their recorded sha256")
    return data


class StoreBase:
    """Convenience methods shared by the backends (they provide the primitives)."""

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None  # type: ignore[attr-defined]

    def put_json(self, key: str, obj: Any, **conditions: Any) -> ObjectInfo:
        """`conditions`: `if_match=etag` or `if_none_match=True`, as for put_bytes."""
        data = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode("utf-8")
        return self.put_bytes(key, data, content_type=JSON_TYPE, **conditions)  # type: ignore[attr-defined]

    def get_json(self, key: str) -> Any:
        return parse_json(key, self.get_bytes(key))  # type: ignore[attr-defined]

    def get_json_etag(self, key: str) -> tuple[Any, str]:
        data, etag = self.get_bytes_etag(key)  # type: ignore[attr-defined]
        return parse_json(key, data), etag


def parse_json(key: str, data: bytes) -> Any:
    """A stored JSON document; StorageError OBJECT_NOT_JSON when it is not one (also when it nests so deep that
    the parser gives up: `[[[[...` of 60 KB raises RecursionError inside json)."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise StorageError(f"{key_for_log(key)}: not valid JSON ({type(e).__name__})", code="OBJECT_NOT_JSON") from e


def conflict(key: str, what: str) -> WriteConflict:
    return WriteConflict(f"{key_for_log(key)}: {what}")
