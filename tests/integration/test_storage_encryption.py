"""Finding 13 (issue 13): encryption at rest.

S3: every write asks for server-side encryption when configured (SSE-S3, SSE-KMS, SSE-C), and SSE-C's key goes
with every read and stat. Tested against moto's S3 server, which records SSE-S3 and SSE-KMS on the object and
answers with their headers, but neither encrypts nor checks anything for SSE-C (an object written with a
customer key reads back without it): for SSE-C the tests check what is sent, request by request.
Local store: files 0600, the folders it creates 0700.
"""

from __future__ import annotations

import base64
import os
import stat
import uuid
from pathlib import Path

import pytest
from minio.sse import SseCustomerKey, SseKMS, SseS3
from pydantic import ValidationError

from config.settings import Settings
from pipeline.storage import keys, open_store
from pipeline.storage.local import LocalStore
from pipeline.storage.s3 import S3Store, server_side_encryption

S3_KEY = S3_SECRET = "testing"  # what the s3_endpoint fixture's moto server accepts

SSE_HEADER = "x-amz-server-side-encryption"
SSE_C_HEADER = "X-Amz-Server-Side-Encryption-Customer-Key"
BIG = 6 * 1024 * 1024  # above the 5 MiB part size: a multipart upload


def make_s3_store(endpoint: str, **kw) -> S3Store:
    return S3Store(endpoint, S3_KEY, S3_SECRET, f"berkas-sse-{uuid.uuid4().hex[:12]}", region="us-east-1", **kw)


def _encryption_of(store, key: str) -> dict[str, str]:
    """The SSE headers the server answers a plain HEAD with (no customer key)."""
    meta = store.client.stat_object(store.bucket, key).metadata
    return {h.lower(): v for h, v in meta.items() if "server-side-encryption" in h.lower()}


def _write_both(store, tmp_path: Path) -> list[str]:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(BIG))
    store.put_bytes("results/D1/result.json", b'{"nik": "3575024506990001"}')
    store.put_file(keys.original_key("D1", "0" * 64, "ktp.jpg"), big)
    assert store.put_if_absent("audit/D1/x-0.json", b"{}")
    return ["results/D1/result.json", keys.original_key("D1", "0" * 64, "ktp.jpg"), "audit/D1/x-0.json"]


@pytest.mark.s3
def test_without_sse_nothing_is_asked(s3_endpoint, tmp_path):
    store = make_s3_store(s3_endpoint, part_size=5 * 1024 * 1024)
    for key in _write_both(store, tmp_path):
        assert _encryption_of(store, key) == {}


@pytest.mark.s3
@pytest.mark.parametrize(("sse", "expected"), [
    (SseS3(), {SSE_HEADER: "AES256"}),
    (SseKMS("berkas-key", {}), {SSE_HEADER: "aws:kms", f"{SSE_HEADER}-aws-kms-key-id": "berkas-key"}),
])
def test_every_write_is_encrypted(s3_endpoint, tmp_path, sse, expected):
    store = make_s3_store(s3_endpoint, part_size=5 * 1024 * 1024, sse=sse)
    for key in _write_both(store, tmp_path):
        assert _encryption_of(store, key) == expected, key
    assert store.get_bytes("results/D1/result.json") == b'{"nik": "3575024506990001"}'
    assert store.stat("results/D1/result.json").sha256 is not None


@pytest.mark.s3
def test_sse_c_key_goes_with_every_request_that_touches_content(s3_endpoint, tmp_path):
    key = os.urandom(32)
    store = make_s3_store(s3_endpoint, part_size=5 * 1024 * 1024, sse=SseCustomerKey(key))
    sent: list[tuple[str, str, dict]] = []
    urlopen = store.client._http.urlopen

    def recording(method, url, **kw):
        sent.append((method, url.split("?")[0].rsplit("/", 1)[-1], dict(kw.get("headers") or {})))
        return urlopen(method, url, **kw)

    store.client._http.urlopen = recording
    written = _write_both(store, tmp_path)
    assert store.get_bytes(written[0]) == b'{"nik": "3575024506990001"}'
    assert store.stat(written[1]) is not None
    list(store.list("results/"))

    expected = base64.b64encode(key).decode()
    content_requests = [(m, name, h) for m, name, h in sent if m in ("PUT", "GET", "HEAD") and "." in name]
    assert {m for m, _, _ in content_requests} == {"PUT", "GET", "HEAD"}
    for method, name, headers in content_requests:
        assert headers.get(SSE_C_HEADER) == expected, (method, name)
    # the multipart upload's start carries the key too (the parts are checked above as PUTs)
    assert any(m == "POST" and h.get(SSE_C_HEADER) == expected for m, _, h in sent)


def test_settings_name_a_complete_encryption():
    with pytest.raises(ValidationError, match="BERKAS_S3_SSE_KMS_KEY_ID"):
        Settings(s3_sse="sse-kms")
    with pytest.raises(ValidationError, match="32 random bytes"):
        Settings(s3_sse="sse-c", s3_sse_c_key=base64.b64encode(b"short").decode(), s3_secure=True)
    with pytest.raises(ValidationError, match="BERKAS_S3_SECURE"):
        Settings(s3_sse="sse-c", s3_sse_c_key=base64.b64encode(os.urandom(32)).decode())
    good = Settings(s3_sse="sse-c", s3_sse_c_key=base64.b64encode(os.urandom(32)).decode(), s3_secure=True)
    assert good.s3_sse == "sse-c"
    assert server_side_encryption("none") is None
    assert isinstance(server_side_encryption("sse-kms", kms_key_id="k"), SseKMS)


@pytest.mark.s3
def test_open_store_applies_the_settings(s3_endpoint):
    settings = Settings(store="s3", s3_endpoint=s3_endpoint, s3_access_key=S3_KEY, s3_secret_key=S3_SECRET,
                        s3_bucket="berkas-sse-settings", s3_region="us-east-1", s3_sse="sse-s3")
    store = open_store(settings)
    store.put_json("dossiers/D1/registration.json", {"nik": "3575024506990001"})
    assert _encryption_of(store, "dossiers/D1/registration.json") == {SSE_HEADER: "AES256"}


# ---- local store -----------------------------------------------------------------------------------------------


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)  # the usual umask, which would give 0644 files and 0755 folders
    yield
    os.umask(old)


def test_local_files_are_0600_and_folders_0700(tmp_path, usual_umask):
    root = tmp_path / "deep" / "store"
    store = LocalStore(root, fsync=False)
    store.put_bytes("results/D1/result.json", b"{}")
    store.put_json("dossiers/D1/registration.json", {"nik": "3575024506990001"})
    src = tmp_path / "scan.jpg"
    src.write_bytes(b"\xff\xd8")
    store.put_file(keys.original_key("D1", "0" * 64, "ktp.jpg"), src)
    store.put_if_absent("audit/D1/x-0.json", b"{}")

    files = [p for p in root.rglob("*") if p.is_file()]
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    assert len([p for p in files if "locks" not in p.relative_to(root).parts]) == 8  # 4 objects, 4 records
    assert any("locks" in p.relative_to(root).parts for p in files)  # the lock files are checked too
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in folders:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert stat.S_IMODE((tmp_path / "deep").stat().st_mode) == 0o700  # a parent the store created
