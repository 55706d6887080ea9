"""The object store: one suite, run against the local backend and against S3 (moto's server)."""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import datetime

import pytest

from config.settings import Settings
from pipeline.errors import IntegrityError, ObjectNotFound, StorageError
from pipeline.storage import keys, open_store
from pipeline.storage.base import ObjectStore
from pipeline.storage.local import LocalStore

SHA = hashlib.sha256(b"x").hexdigest()


def _tamper(store, key: str, data: bytes) -> None:
    """Change an object's bytes underneath the store, leaving its recorded sha256 as it was."""
    if isinstance(store, LocalStore):
        (store.root / "objects" / key).write_bytes(data)
        return
    import io

    info = store.stat(key)
    store.client.put_object(store.bucket, key, io.BytesIO(data), len(data), metadata={"sha256": info.sha256})


def test_backends_implement_the_protocol(store):
    assert isinstance(store, ObjectStore)


def test_round_trip_records_sha256_and_metadata(store):
    data = b"%PDF-1.4 not really\x00\xff"
    info = store.put_bytes("dossiers/D1/a.bin", data, metadata={"Source": "test"})
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert store.get_bytes("dossiers/D1/a.bin") == data
    st = store.stat("dossiers/D1/a.bin")
    assert (st.key, st.size, st.sha256, st.metadata) == ("dossiers/D1/a.bin", len(data), info.sha256, {"source": "test"})
    assert store.exists("dossiers/D1/a.bin")


def test_overwrite_replaces_bytes_and_checksum(store):
    store.put_bytes("results/D1/result.json", b"one")
    info = store.put_bytes("results/D1/result.json", b"two!")
    assert store.get_bytes("results/D1/result.json") == b"two!"
    assert store.stat("results/D1/result.json").sha256 == info.sha256 == hashlib.sha256(b"two!").hexdigest()


def test_json_round_trip_keeps_unicode(store):
    obj = {"nama": "SITI NURHALIZA", "catatan": "Kebonagung — TPS 003", "n": [1, 2.5, None]}
    store.put_json("dossiers/D1/registration.json", obj)
    assert store.get_json("dossiers/D1/registration.json") == obj


def test_get_json_of_non_json_is_a_storage_error(store):
    store.put_bytes("x/y.json", b"\xff not json")
    with pytest.raises(StorageError) as ei:
        store.get_json("x/y.json")
    assert ei.value.code == "OBJECT_NOT_JSON"


def test_missing_object(store):
    with pytest.raises(ObjectNotFound):
        store.get_bytes("results/NOPE/result.json")
    assert store.stat("results/NOPE/result.json") is None
    assert not store.exists("results/NOPE/result.json")
    store.delete("results/NOPE/result.json")  # deleting what is absent is not an error


def test_put_if_absent_never_replaces(store):
    key = keys.original_key("D1", SHA, "ktp.jpg")
    assert store.put_if_absent(key, b"first", content_type="image/jpeg") is True
    assert store.put_if_absent(key, b"second") is False
    assert store.get_bytes(key) == b"first"
    assert store.stat(key).sha256 == hashlib.sha256(b"first").hexdigest()


def test_list_is_recursive_sorted_and_prefix_scoped(store):
    for k in ["p/a0", "p/a/1", "p/a-b/1", "p/a/deep/er/2", "q/a/1", "pa/x"]:
        store.put_bytes(k, b"")
    assert list(store.list("p/")) == ["p/a-b/1", "p/a/1", "p/a/deep/er/2", "p/a0"]
    assert list(store.list("p/a/")) == ["p/a/1", "p/a/deep/er/2"]
    assert list(store.list("p/a")) == ["p/a-b/1", "p/a/1", "p/a/deep/er/2", "p/a0"]
    assert list(store.list("nothing/")) == []
    assert len(list(store.list(""))) == 6


def test_delete_removes_from_listing(store):
    store.put_bytes("index/nik/h/D1", b"")
    store.put_bytes("index/nik/h/D2", b"")
    store.delete("index/nik/h/D1")
    assert list(store.list("index/nik/h/")) == ["index/nik/h/D2"]
    assert not store.exists("index/nik/h/D1")


def test_tampered_object_fails_its_checksum(store):
    key = keys.original_key("D1", SHA, "scan0003.pdf")
    store.put_bytes(key, b"original bytes")
    _tamper(store, key, b"tampered bytes")
    with pytest.raises(IntegrityError) as ei:
        store.get_bytes(key)
    assert ei.value.code == "CHECKSUM_MISMATCH"


@pytest.mark.parametrize(
    "bad", ["../etc/passwd", "/etc/passwd", "a/../../b", "a/./b", "a//b", "a\x00b", "a\\..\\b", "", "C:/x", "a/"]
)
def test_unsafe_keys_are_rejected(store, bad, tmp_path):
    before = set(os.listdir(tmp_path))
    with pytest.raises(ValueError):
        store.put_bytes(bad, b"x")
    with pytest.raises(ValueError):
        store.get_bytes(bad)
    with pytest.raises(ValueError):
        store.delete(bad)
    if bad not in ("", "a/"):  # an empty prefix lists everything; "a/" is a valid prefix
        with pytest.raises(ValueError):
            store.list(bad)
    assert set(os.listdir(tmp_path)) == before


def test_unicode_file_names_survive(store):
    name = "Ijazah Siti Ãisyah — ضمان 2023 (1).jpg"
    key = keys.original_key("D-7", SHA, name)
    assert key.endswith("/Ijazah Siti Ãisyah — ضمان 2023 (1).jpg")
    store.put_bytes(key, "é".encode())
    assert list(store.list(keys.originals_prefix("D-7"))) == [key]
    assert store.get_bytes(key) == "é".encode()


def test_large_file_streams_in_parts(store, tmp_path):
    src = tmp_path / "big.bin"
    chunk = os.urandom(1024 * 1024)
    with open(src, "wb") as fh:
        for i in range(12):
            fh.write(bytes([i]) + chunk[1:])
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    info = store.put_file("originals/D1/big/big.bin", src, metadata={"kind": "scan"})
    assert info.sha256 == expected and info.size == 12 * 1024 * 1024
    assert hashlib.sha256(store.get_bytes("originals/D1/big/big.bin")).hexdigest() == expected
    if not isinstance(store, LocalStore):
        assert info.etag.strip('"').endswith("-3")  # a multipart ETag names its part count (12 MiB / 5 MiB)


def test_put_file_of_missing_source(store, tmp_path):
    with pytest.raises(StorageError):
        store.put_file("a/b", tmp_path / "absent.bin")


def test_put_if_absent_is_atomic_between_threads(tmp_path):
    store = LocalStore(tmp_path / "s")
    wins: list[bool] = []
    barrier = threading.Barrier(6)

    def race(i: int) -> None:
        barrier.wait()
        wins.append(store.put_if_absent("claims/D1", f"writer {i}".encode()))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 5 + [True]
    assert store.get_bytes("claims/D1").startswith(b"writer ")


def test_unreachable_s3_ends_in_storage_error(closed_port):
    from pipeline.storage.s3 import S3Store

    store = S3Store(
        f"127.0.0.1:{closed_port}", "k", "s", "berkas", attempts=2, backoff=0.01, connect_timeout=0.5, create_bucket=False
    )
    with pytest.raises(StorageError) as ei:
        store.get_bytes("a/b")
    assert "unreachable after 2 attempts" in str(ei.value)
    assert not isinstance(ei.value, ObjectNotFound)


def test_open_store_local(tmp_path):
    store = open_store(Settings(store="local", store_path=tmp_path / "st"))
    store.put_bytes("a/b", b"1")
    assert (tmp_path / "st" / "objects" / "a" / "b").read_bytes() == b"1"


@pytest.mark.s3
def test_open_store_s3_creates_the_bucket(s3_endpoint):
    settings = Settings(store="s3", s3_endpoint=s3_endpoint, s3_access_key="testing", s3_secret_key="testing",
                        s3_bucket="berkas-open-store", s3_region="us-east-1")
    store = open_store(settings)
    store.put_bytes("a/b", b"1")
    assert open_store(settings).get_bytes("a/b") == b"1"  # second open finds the bucket, keeps the data


# ---- the key layout ------------------------------------------------------------------------------


def test_key_layout():
    area = keys.AreaCodes("35.75", "35.75.02", "35.75.02.1005", "003")
    assert keys.registration_key("D1") == "dossiers/D1/registration.json"
    assert keys.manifest_key("D1") == "dossiers/D1/manifest.json"
    assert keys.result_key("D1") == "results/D1/result.json"
    assert keys.flag_key(area, "D1") == "flags/35.75/35.75.02/35.75.02.1005/003/D1.json"
    assert keys.flag_key(keys.AreaCodes("35.75", None, "", None), "D1") == "flags/35.75/unknown/unknown/unknown/D1.json"
    assert keys.flag_prefix() == "flags/"
    assert keys.flag_prefix("35.75", "35.75.02") == "flags/35.75/35.75.02/"
    assert keys.summary_key(area, "D1") == "summaries/35.75/35.75.02/35.75.02.1005/D1.json"
    assert keys.result_history_key("D1", datetime(2024, 2, 14, 10, 15), "0123456789abcdef") == (
        "results/D1/history/20240214T101500.000000Z-01234567.json"
    )
    assert keys.dossier_id_from_key(keys.flag_key(area, "D1")) == "D1"
    assert keys.area_from_flag_key("flags/35.75/unknown/x/003/D1.json") == keys.AreaCodes("35.75", None, "x", "003")


def test_area_codes_from_a_region_match():
    from pipeline.regions import AreaMatch

    full = AreaMatch("35", "3575", "357502", "3575021005")
    assert keys.AreaCodes.from_match(full, tps="TPS 3") == keys.AreaCodes("35.75", "35.75.02", "35.75.02.1005", "003")
    partial = AreaMatch("35", "3575", None, "3575021005")  # a desa without its kecamatan is not trusted
    assert keys.flag_key(keys.AreaCodes.from_match(partial, tps="LOKSUS"), "D1") == (
        "flags/35.75/unknown/unknown/unknown/D1.json"
    )
    assert keys.AreaCodes.unknown().segments() == ("unknown",) * 4


def test_flag_prefix_must_be_built_from_the_top():
    with pytest.raises(ValueError):
        keys.flag_prefix(None, "35.75.02")


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 200])
def test_key_builders_reject_bad_ids(bad):
    with pytest.raises(ValueError):
        keys.result_key(bad)


def test_area_codes_cannot_carry_a_path():
    with pytest.raises(ValueError):
        keys.flag_key(keys.AreaCodes("35.75/../..", None, None, None), "D1")


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\a\\scan.jpg", "scan.jpg"),
    ("..hidden", "hidden"),
    ("a\x00b.jpg", "a_b.jpg"),
    ("", "file"),
    ("Cafe\u0301.png", "Caf\u00e9.png"),
])
def test_safe_filename(name, expected):
    assert keys.safe_filename(name) == expected


def test_long_file_names_keep_their_extension():
    name = keys.safe_filename("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg") and len(name.encode()) <= 180


def test_nik_never_appears_in_index_keys():
    nik = "3575024506990001"
    h = keys.nik_hmac(nik, "secret")
    key = keys.nik_index_key(h, "D1")
    assert nik not in key and key.startswith("index/nik/") and key.endswith("/D1")
    assert keys.nik_hmac("3575 0245 0699 0001", "secret") == h  # separators do not change the hash
    assert keys.nik_hmac(nik, "other secret") != h


def _answers_500_once(fn, *, apply_first: bool = False):
    """Wrap an SDK call so that its first call answers a bare 500 (an HTML error page, no XML body);
    with `apply_first` the request is carried out before the 500 comes back, as when a server crashes
    after writing."""
    from minio.error import InvalidResponseError

    calls = []

    def wrapped(*a, **kw):
        calls.append(1)
        if len(calls) == 1:
            if apply_first:
                fn(*a, **kw)
            raise InvalidResponseError(500, "text/html", "<html>Internal Server Error</html>")
        return fn(*a, **kw)

    return wrapped, calls


def test_a_bare_500_on_a_read_is_retried(s3_endpoint):
    from tests.integration.conftest import make_s3_store

    store = make_s3_store(s3_endpoint, backoff=0.01)
    store.put_bytes("r/one", b"payload")
    store.client.get_object, calls = _answers_500_once(store.client.get_object)
    assert store.get_bytes("r/one") == b"payload"
    assert len(calls) == 2


def test_a_bare_500_on_every_attempt_is_a_storage_error(s3_endpoint):
    from minio.error import InvalidResponseError

    from tests.integration.conftest import make_s3_store

    store = make_s3_store(s3_endpoint, backoff=0.01, attempts=2)
    store.put_bytes("r/two", b"payload")

    def always(*a, **kw):
        raise InvalidResponseError(502, "text/html", "bad gateway")

    store.client.get_object = always
    with pytest.raises(StorageError):
        store.get_bytes("r/two")


def test_a_conditional_write_applied_before_a_500_is_not_reported_as_a_conflict(s3_endpoint):
    from tests.integration.conftest import make_s3_store

    store = make_s3_store(s3_endpoint, backoff=0.01)
    store.client._put_object, calls = _answers_500_once(store.client._put_object, apply_first=True)
    assert store.put_if_absent("claims/X1", b"mine") is True  # the retry meets our own write, not another's
    assert len(calls) == 2
    assert store.get_bytes("claims/X1") == b"mine"


def test_a_conditional_write_lost_to_another_writer_after_a_500_is_a_conflict(s3_endpoint):
    from tests.integration.conftest import make_s3_store

    store = make_s3_store(s3_endpoint, backoff=0.01)
    put = store.client._put_object

    def other_writer_then_500(*a, **kw):
        from minio.error import InvalidResponseError

        store.client._put_object = put  # the retry goes through
        store.put_bytes("claims/X2", b"theirs")
        raise InvalidResponseError(500, "text/html", "boom")

    store.client._put_object = other_writer_then_500
    assert store.put_if_absent("claims/X2", b"mine") is False
    assert store.get_bytes("claims/X2") == b"theirs"
