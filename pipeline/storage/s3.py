"""S3 backend through the `minio` SDK (MinIO in deployments; moto's server in tests).

Same keys as the local backend. The sha256 of each object is stored as user metadata
(`x-amz-meta-sha256`) and checked by `get_bytes`. With `sse`, every write asks for server-side encryption
(SSE-S3, SSE-KMS or SSE-C); with SSE-C the customer key also goes with every read and stat. Connection errors and 5xx answers are retried
with exponential backoff; after the budget a StorageError says the store cannot be reached.

Conditional writes send `If-Match: "<etag>"` / `If-None-Match: *` with the PUT (MinIO, S3 and moto's server
check them); a failed condition (412 PreconditionFailed, 409 ConditionalRequestConflict) is WriteConflict.
A conditional PUT whose answer was lost and that is retried may report a conflict for its own write: callers
of compare-and-swap read again and re-apply their change, so that costs a round, never an update.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import genheaders
from minio.sse import Sse, SseCustomerKey, SseKMS, SseS3

from pipeline.errors import ObjectNotFound, StorageError, WriteConflict
from pipeline.storage.base import (
    SHA256_META,
    ObjectInfo,
    StoreBase,
    conflict,
    key_for_log,
    sha256_file,
    validate_key,
    validate_metadata,
    validate_prefix,
    verify,
)

log = logging.getLogger(__name__)

_Headers = dict[str, str | list[str] | tuple[str]]  # the header mapping as the minio SDK types it
T = TypeVar("T")

_META_PREFIX = "x-amz-meta-"
_NOT_FOUND = {"NoSuchKey", "NotFound", "ResourceNotFound"}
_TRANSIENT = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}
_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict"}
MIN_PART_SIZE = 5 * 1024 * 1024


class S3Store(StoreBase):
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        part_size: int = 16 * 1024 * 1024,
        attempts: int = 4,
        backoff: float = 0.2,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        create_bucket: bool = True,
        sse: Sse | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        self.bucket = bucket
        self.endpoint = endpoint
        self.part_size = part_size
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sse = sse
        self._ssec = sse if isinstance(sse, SseCustomerKey) else None  # reads need the customer key too
        # retries are ours (below), so urllib3 gives up at once and tells us
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=urllib3.Retry(total=0, redirect=0, raise_on_status=False),
            maxsize=10,
        )
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
        )
        if create_bucket:
            self.ensure_bucket()

    def __repr__(self) -> str:
        return f"S3Store({self.endpoint!r}, bucket={self.bucket!r})"

    # ---- retry policy ---------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        what = key_for_log(what)
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except S3Error as e:
                if e.code in _NOT_FOUND:
                    raise ObjectNotFound(what) from e
                if e.code in _CONFLICT:
                    raise WriteConflict(f"{what}: changed since it was read ({e.code})") from e
                if e.code not in _TRANSIENT or attempt == self.attempts:
                    raise StorageError(f"{what}: S3 error {e.code}") from e
                cause: Exception = e
            except (ServerError, urllib3.exceptions.HTTPError, OSError) as e:
                if attempt == self.attempts:
                    raise StorageError(
                        f"{what}: object store at {self.endpoint} unreachable after {attempt} attempts "
                        f"({type(e).__name__})"
                    ) from e
                cause = e
            except MinioException as e:
                # A 5xx without an XML body (a proxy's or a crashed handler's error page) is as transient as
                # one with it; other unexpected answers are not.
                if not (isinstance(e, InvalidResponseError) and _status(e) >= 500) or attempt == self.attempts:
                    raise StorageError(f"{what}: {type(e).__name__}: {e}") from e
                cause = e
            log.warning("store: %s failed (%s), attempt %d/%d", what, type(cause).__name__, attempt, self.attempts)
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def ensure_bucket(self) -> None:
        def make() -> None:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as e:
                    if e.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise

        self._call(f"bucket {self.bucket}", make)

    # ---- writing --------------------------------------------------------------------------------

    def _headers(self, sha: str, metadata: dict[str, str] | None) -> _Headers:
        meta = validate_metadata(metadata)
        return {**meta, SHA256_META: sha}  # typed as the SDK's put_object takes it

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
        validate_key(key)
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        headers = self._headers(sha, metadata)
        if if_match is not None or if_none_match:
            return self._put_conditional(key, data, sha, content_type, headers, if_match, if_none_match)
        res = self._call(
            key,
            lambda: self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=content_type, metadata=headers,
                sse=self.sse,
            ),
        )
        return ObjectInfo(key, len(data), sha, res.etag, validate_metadata(metadata))

    def _put_conditional(
        self, key: str, data: bytes, sha: str, content_type: str, headers: _Headers,
        if_match: str | None, if_none_match: bool,
    ) -> ObjectInfo:
        """One PUT with If-Match / If-None-Match. The SDK's put_object would send those names as user metadata
        (x-amz-meta-...), so the request goes through its lower-level `_put_object` with the headers as given."""
        http_headers = genheaders(headers, self.sse, None, None, False)
        http_headers["Content-Type"] = content_type
        if if_match is not None:
            http_headers["If-Match"] = f'"{if_match.strip(chr(34))}"'
        if if_none_match:
            http_headers["If-None-Match"] = "*"
        tries = 0

        def put() -> Any:
            nonlocal tries
            tries += 1
            return self.client._put_object(self.bucket, key, data, http_headers)

        try:
            res = self._call(key, put)
        except ObjectNotFound as e:  # If-Match on an object that is gone
            raise conflict(key, "gone since it was read") from e
        except WriteConflict:
            # A retried PUT whose first attempt failed with a server error may have been applied: then the
            # retry's condition fails against our own write. The object's checksum tells which it was.
            now = self.stat(key) if tries > 1 else None
            if now is None or now.sha256 != sha:
                raise
            res = now
        meta = {k: v for k, v in headers.items() if k != SHA256_META and isinstance(v, str)}
        return ObjectInfo(key, len(data), sha, res.etag, meta)

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Hash the file in one pass, then stream it up (multipart when larger than `part_size`)."""
        validate_key(key)
        try:
            sha, size = sha256_file(Path(path))
        except FileNotFoundError as e:
            raise StorageError(f"source file not found: {path}", code="SOURCE_NOT_FOUND") from e
        headers = self._headers(sha, metadata)

        def upload() -> Any:
            with open(path, "rb") as fh:  # reopened on each attempt, so a retry starts from byte 0
                return self.client.put_object(
                    self.bucket, key, fh, size, content_type=content_type, metadata=headers,
                    part_size=self.part_size, num_parallel_uploads=2, sse=self.sse,
                )

        res = self._call(key, upload)
        return ObjectInfo(key, size, sha, res.etag, validate_metadata(metadata))

    def put_if_absent(self, key: str, data: bytes, **kw: Any) -> bool:
        """A PUT with `If-None-Match: *`: of writers racing on one key exactly one wins."""
        try:
            self.put_bytes(key, data, if_none_match=True, **kw)
        except WriteConflict:
            return False
        return True

    # ---- reading --------------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        return self.get_bytes_etag(key)[0]

    def get_bytes_etag(self, key: str) -> tuple[bytes, str]:
        validate_key(key)

        def fetch() -> tuple[bytes, str | None, str]:
            resp = self.client.get_object(self.bucket, key, ssec=self._ssec)
            try:
                return (resp.read(), resp.headers.get(_META_PREFIX + SHA256_META),
                        (resp.headers.get("ETag") or "").strip('"'))
            finally:
                resp.close()
                resp.release_conn()

        data, expected, etag = self._call(key, fetch)
        return verify(key, data, expected), etag

    def stat(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        try:
            obj = self._call(key, lambda: self.client.stat_object(self.bucket, key, ssec=self._ssec))
        except ObjectNotFound:
            return None
        meta: dict[str, str] = {}
        for name, value in (obj.metadata or {}).items():
            low = name.lower()
            if low.startswith(_META_PREFIX):
                meta[low[len(_META_PREFIX):]] = value
        sha = meta.pop(SHA256_META, None)
        return ObjectInfo(key, int(obj.size or 0), sha, obj.etag, meta)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys in S3's own order (UTF-8 bytes). A listing broken by a connection error resumes after
        the last key it yielded."""
        return self._list(validate_prefix(prefix))  # the prefix is checked now, not at the first next()

    def _list(self, prefix: str) -> Iterator[str]:
        last: str | None = None
        delay = self.backoff
        failures = 0
        while True:
            try:
                for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True, start_after=last):
                    last = obj.object_name
                    yield obj.object_name
                return
            except (ServerError, urllib3.exceptions.HTTPError, OSError) as e:
                failures += 1
                if failures >= self.attempts:
                    raise StorageError(f"list {prefix!r}: object store at {self.endpoint} unreachable") from e
                time.sleep(delay)
                delay *= 2
            except S3Error as e:
                raise StorageError(f"list {prefix!r}: S3 error {e.code}") from e

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        validate_key(key)
        if if_match is None:
            self._call(key, lambda: self.client.remove_object(self.bucket, key))
            return
        headers: _Headers = {"If-Match": f'"{if_match.strip(chr(34))}"'}
        try:
            self._call(key, lambda: self.client._execute("DELETE", self.bucket, key, headers=headers))
        except ObjectNotFound as e:
            raise conflict(key, "gone since it was read") from e


def _status(e: InvalidResponseError) -> int:
    try:
        return int(getattr(e, "_code", 0) or 0)  # the SDK keeps the HTTP status only in this attribute
    except (TypeError, ValueError):
        return 0


def server_side_encryption(mode: str, *, kms_key_id: str | None = None, customer_key: bytes | None = None
                           ) -> Sse | None:
    """The SSE of settings.s3_sse: "none", "sse-s3", "sse-kms" (with `kms_key_id`), "sse-c" (32-byte key)."""
    if mode == "none":
        return None
    if mode == "sse-s3":
        return SseS3()
    if mode == "sse-kms":
        if not kms_key_id:
            raise ValueError("sse-kms needs the name of a KMS key")
        return SseKMS(kms_key_id, {})
    if mode == "sse-c":
        if customer_key is None or len(customer_key) != 32:
            raise ValueError("sse-c needs a 32-byte key")
        return SseCustomerKey(customer_key)
    raise ValueError(f"unknown server-side encryption {mode!r}")
