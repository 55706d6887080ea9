"""Local-folder backend (the embedded default).

Layout under the root folder:
    objects/<key>          the bytes, exactly as stored
    meta/<key>.json        {"sha256", "size", "content_type", "metadata"}
    tmp/                   work files; every write is tempfile + os.replace (or os.link for put_if_absent)
A reader never sees a half-written object. Keys are checked by `validate_key`, so nothing is written
outside the root. Files are created 0600 (mkstemp) and the folders the store creates 0700: scans, NIKs and
names are readable by the store's own user only (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import ObjectNotFound, StorageError
from pipeline.storage.base import (
    ObjectInfo,
    StoreBase,
    key_for_log,
    validate_key,
    validate_metadata,
    validate_prefix,
    verify,
)

_CHUNK = 1024 * 1024


class LocalStore(StoreBase):
    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._tmp = self.root / "tmp"
        try:
            for d in (self._objects, self._meta, self._tmp):
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

    def _write_meta(self, key: str, info: dict[str, Any]) -> None:
        data = json.dumps(info, sort_keys=True).encode("utf-8")
        tmp, _sha, _size = self._write_tmp([data])
        dest = self._meta_path(key)
        make_private_dirs(dest.parent)
        os.replace(tmp, dest)

    def _put(self, key: str, chunks: Any, content_type: str, metadata: dict[str, str] | None) -> ObjectInfo:
        meta = validate_metadata(metadata)
        dest = self._data_path(key)
        try:
            tmp, sha, size = self._write_tmp(chunks)
            try:
                make_private_dirs(dest.parent)
                os.replace(tmp, dest)
            finally:
                _unlink(tmp)
            self._write_meta(key, {"sha256": sha, "size": size, "content_type": content_type, "metadata": meta})
        except OSError as e:
            raise StorageError(f"{key_for_log(key)}: write failed: {e.strerror or type(e).__name__}") from e
        return ObjectInfo(key=key, size=size, sha256=sha, etag=sha, metadata=meta)

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        return self._put(key, [bytes(data)], content_type, metadata)

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
        meta = validate_metadata(kw.get("metadata"))
        dest = self._data_path(key)
        try:
            tmp, sha, size = self._write_tmp([bytes(data)])
            try:
                make_private_dirs(dest.parent)
                os.link(tmp, dest)  # atomic, and never replaces an existing file
            except FileExistsError:
                return False
            finally:
                _unlink(tmp)
            self._write_meta(key, {"sha256": sha, "size": size, "content_type": content_type, "metadata": meta})
        except OSError as e:
            raise StorageError(f"{key_for_log(key)}: write failed: {e.strerror or type(e).__name__}") from e
        return True

    # ---- reading --------------------------------------------------------------------------------

    def _read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._meta_path(key).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise StorageError(f"{key_for_log(key)}: metadata unreadable: {type(e).__name__}") from e

    def get_bytes(self, key: str) -> bytes:
        path = self._data_path(key)
        for attempt in (1, 2):
            try:
                data = path.read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as e:
                raise ObjectNotFound(key_for_log(key)) from e
            except OSError as e:
                raise StorageError(f"{key_for_log(key)}: read failed: {e.strerror or type(e).__name__}") from e
            meta = self._read_meta(key) or {}
            expected = meta.get("sha256")
            if attempt == 1 and expected and hashlib.sha256(data).hexdigest() != expected:
                continue  # a concurrent overwrite may sit between the data and its metadata: read once more
            return verify(key, data, expected)
        raise AssertionError("unreachable")

    def stat(self, key: str) -> ObjectInfo | None:
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

    def delete(self, key: str) -> None:
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
