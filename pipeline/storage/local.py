"""Local-folder backend (the embedded default; one machine, any number of processes).

Layout under the root folder:
    objects/<key>          the bytes, exactly as stored
    meta/<key>.json        {"sha256", "size", "content_type", "metadata"}
    locks/<nnnn>           lock files (flock), one per stripe of keys
    tmp/                   work files
Every change of a key happens under that key's exclusive lock, and every read under a shared one, so a reader
never sees the bytes of one write with the record of another. A write is two renames (bytes, then record);
its commit point is the record's arrival at `tmp/pending-<hash of key>.json`, which also names the bytes'
temporary file. A process killed between the renames leaves that pending record, and whoever locks the key
next finishes the write (roll forward); killed before it, the old object stays whole. Conditional writes
(`if_match`, `if_none_match`) compare under the same lock. Locks are `flock`: released by the kernel when a
process dies, valid between the processes of one machine (not over NFS). Keys are checked by
`validate_key`, so nothing is written outside the root. Files are created 0600 (mkstemp; lock files too) and
the folders the store creates 0700: scans, NIKs and names are readable by the store's own user only
(docs/security.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.errors import ObjectNotFound, StorageError
from pipeline.storage.base import (
    ObjectInfo,
    StoreBase,
    conflict,
    key_for_log,
    validate_key,
    validate_metadata,
    validate_prefix,
    verify,
)

_CHUNK = 1024 * 1024
LOCK_STRIPES = 1024  # keys share lock files by hash; two keys on one stripe only wait for each other

# Lock descriptors open in this process. A flock belongs to the open file, which a fork shares: a child forked
# while another thread holds a lock (a pool or work horse started mid-write) would keep it held for its whole
# life after the parent closes its copy. The child closes its copies at once, so only the parent holds it.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class LocalStore(StoreBase):
    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._tmp = self.root / "tmp"
        self._locks = self.root / "locks"
        try:
            for d in (self._objects, self._meta, self._tmp, self._locks):
                make_private_dirs(d)
        except OSError as e:
            raise StorageError(f"cannot create the store folder {self.root}: {e}") from e

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # ---- paths ----------------------------------------------------------------------------------

    def _data_path(self, key: str) -> Path:
        return self._objects.joinpath(*validate_key(key).split("/"))

    def _meta_path(self, key: str) -> Path:
        parts = validate_key(key).split("/")
        return self._meta.joinpath(*parts[:-1], parts[-1] + ".json")

    def _pending_path(self, key: str) -> Path:
        return self._tmp / f"pending-{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"

    @contextmanager
    def _locked(self, key: str, *, exclusive: bool) -> Iterator[None]:
        digest = hashlib.sha256(validate_key(key).encode("utf-8")).digest()
        path = self._locks / f"{int.from_bytes(digest[:4], 'big') % LOCK_STRIPES:04d}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        _HELD.add(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            _HELD.discard(fd)
            os.close(fd)  # closing the descriptor releases the lock

    def _roll_forward(self, key: str) -> bool:
        """Finish a write that a killed process left between its two renames (caller holds the exclusive lock).
        True when there was one."""
        pending = self._pending_path(key)
        try:
            record = json.loads(pending.read_bytes())
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as e:
            raise StorageError(f"{key_for_log(key)}: pending write record unreadable: {type(e).__name__}") from e
        staged = self._tmp / str(record.get("staged", ""))
        if record.get("staged") and staged.is_file():
            dest = self._data_path(key)
            make_private_dirs(dest.parent)
            os.replace(staged, dest)
        meta = self._meta_path(key)
        make_private_dirs(meta.parent)
        os.replace(pending, meta)
        return True

    # ---- writing --------------------------------------------------------------------------------

    def _tmpfile(self) -> tuple[int, str]:
        return tempfile.mkstemp(dir=self._tmp, prefix="w-")

    def _write_tmp(self, chunks: Any) -> tuple[str, str, int]:
        """Write chunks to a temp file; returns (temp path, sha256, size)."""
        fd, tmp = self._tmpfile()
        h = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    h.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
        except BaseException:
            _unlink(tmp)
            raise
        return tmp, h.hexdigest(), size

    def _put(
        self,
        key: str,
        chunks: Any,
        content_type: str,
        metadata: dict[str, str] | None,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
        quiet: bool = False,
    ) -> ObjectInfo | None:
        """Write under the key's lock. With `if_none_match` and the key taken: WriteConflict, or None when
        `quiet` (put_if_absent)."""
        meta = validate_metadata(metadata)
        dest = self._data_path(key)
        tmp = None
        committed = False
        try:
            tmp, sha, size = self._write_tmp(chunks)  # the bytes first, outside the lock
            record = {"sha256": sha, "size": size, "content_type": content_type, "metadata": meta,
                      "staged": os.path.basename(tmp)}
            rec_tmp, _sha, _size = self._write_tmp([json.dumps(record, sort_keys=True).encode("utf-8")])
            try:
                with self._locked(key, exclusive=True):
                    self._roll_forward(key)
                    current = self._read_meta(key) if if_match is not None else None
                    if if_none_match and dest.is_file():
                        if quiet:
                            return None
                        raise conflict(key, "already stored")
                    if if_match is not None and (current is None or current.get("sha256") != if_match
                                                 or not dest.is_file()):
                        raise conflict(key, "changed since it was read")
                    pending = self._pending_path(key)
                    os.replace(rec_tmp, pending)  # commit point: from here the write is finished, even if killed
                    committed = True
                    make_private_dirs(dest.parent)
                    os.replace(tmp, dest)
                    meta_path = self._meta_path(key)
                    make_private_dirs(meta_path.parent)
                    os.replace(pending, meta_path)
            finally:
                _unlink(rec_tmp)
        except OSError as e:
            raise StorageError(f"{key_for_log(key)}: write failed: {e.strerror or type(e).__name__}") from e
        finally:
            if tmp is not None and not committed:
                _unlink(tmp)  # once committed, the staged bytes belong to the pending record (roll forward)
        return ObjectInfo(key=key, size=size, sha256=sha, etag=sha, metadata=meta)

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
        info = self._put(key, [bytes(data)], content_type, metadata, if_match=if_match,
                         if_none_match=if_none_match)
        assert info is not None
        return info

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        try:
            with open(path, "rb") as fh:
                return self._put(key, iter(lambda: fh.read(_CHUNK), b""), content_type, metadata)
        except FileNotFoundError as e:
            raise StorageError(f"source file not found: {path}", code="SOURCE_NOT_FOUND") from e

    def put_if_absent(self, key: str, data: bytes, **kw: Any) -> bool:
        content_type = kw.get("content_type", "application/octet-stream")
        return self._put(key, [bytes(data)], content_type, kw.get("metadata"), if_none_match=True,
                         quiet=True) is not None

    # ---- reading --------------------------------------------------------------------------------

    def _read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._meta_path(key).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise StorageError(f"{key_for_log(key)}: metadata unreadable: {type(e).__name__}") from e

    def get_bytes(self, key: str) -> bytes:
        return self.get_bytes_etag(key)[0]

    def get_bytes_etag(self, key: str) -> tuple[bytes, str]:
        path = self._data_path(key)
        for attempt in (1, 2):
            with self._locked(key, exclusive=attempt == 2):
                if attempt == 2:
                    self._roll_forward(key)
                try:
                    data = path.read_bytes()
                except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as e:
                    if attempt == 1 and self._pending_path(key).exists():
                        continue  # a write killed half-way: finish it under the exclusive lock
                    raise ObjectNotFound(key_for_log(key)) from e
                except OSError as e:
                    raise StorageError(f"{key_for_log(key)}: read failed: {e.strerror or type(e).__name__}") from e
                meta = self._read_meta(key) or {}
            expected = meta.get("sha256")
            actual = hashlib.sha256(data).hexdigest()
            if attempt == 1 and actual != expected and self._pending_path(key).exists():
                continue
            return verify(key, data, expected), actual
        raise AssertionError("unreachable")

    def stat(self, key: str) -> ObjectInfo | None:
        pending = self._pending_path(key).exists()
        with self._locked(key, exclusive=pending):
            if pending:
                self._roll_forward(key)
            return self._stat(key)

    def _stat(self, key: str) -> ObjectInfo | None:
        try:
            size = self._data_path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            raise StorageError(f"{key_for_log(key)}: stat failed: {e.strerror or type(e).__name__}") from e
        if not self._data_path(key).is_file():
            return None
        meta = self._read_meta(key) or {}
        sha = meta.get("sha256")
        return ObjectInfo(key=key, size=size, sha256=sha, etag=sha, metadata=dict(meta.get("metadata") or {}))

    def list(self, prefix: str) -> Iterator[str]:
        prefix = validate_prefix(prefix)
        base_parts = prefix.split("/")[:-1]  # folders fully named by the prefix
        base = self._objects.joinpath(*base_parts)
        if not base.is_dir():
            return iter(())
        keys: list[str] = []
        root_len = len(str(self._objects)) + 1
        for dirpath, _dirs, files in os.walk(base):
            rel = dirpath[root_len:].replace(os.sep, "/")
            for name in files:
                key = f"{rel}/{name}" if rel else name
                if key.startswith(prefix):
                    keys.append(key)
        keys.sort(key=lambda k: k.encode("utf-8"))
        return iter(keys)

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        try:
            with self._locked(key, exclusive=True):
                self._roll_forward(key)
                if if_match is not None:
                    current = self._read_meta(key)
                    if current is None or current.get("sha256") != if_match:
                        raise conflict(key, "changed since it was read")
                for path in (self._data_path(key), self._meta_path(key)):
                    try:
                        path.unlink()
                    except FileNotFoundError:
                        pass
        except OSError as e:
            raise StorageError(f"{key_for_log(key)}: delete failed: {e.strerror or type(e).__name__}") from e


def make_private_dirs(path: Path) -> None:
    """mkdir -p with mode 0700 for every folder it creates (Path.mkdir gives missing parents the umask's mode)."""
    if path.is_dir():
        return
    make_private_dirs(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        if not path.is_dir():
            raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
