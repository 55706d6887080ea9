import json
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.dupindex import DuplicateIndex
from pipeline.errors import ObjectNotFound
from pipeline.storage import LocalStore

SECRET = b"test-secret"
NIK_A = "3575024506990001"  # made up
NIK_B = "3507021402060007"
NIK_C = "3578010101900003"


class MemoryStore:
    """The store methods the index uses, in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_bytes(self, key: str, data: bytes, **kw: Any) -> None:
        self.objects[key] = bytes(data)

    def get_bytes(self, key: str) -> bytes:
        if key not in self.objects:
            raise ObjectNotFound(key)
        return self.objects[key]

    def exists(self, key: str) -> bool:
        return key in self.objects

    def list(self, prefix: str) -> Iterator[str]:
        return iter(sorted(k for k in self.objects if k.startswith(prefix)))

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def put_json(self, key: str, obj: Any) -> None:
        self.put_bytes(key, json.dumps(obj).encode())

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else LocalStore(tmp_path / "store", fsync=False)


def test_two_dossiers_sharing_a_nik(store):
    idx = DuplicateIndex(store, SECRET)
    idx.update("D-1", {NIK_A})
    assert idx.others("D-1", {NIK_A}) == []
    idx.update("D-2", {NIK_A, NIK_B})
    assert idx.others("D-2", {NIK_A, NIK_B}) == ["D-1"]
    assert idx.others("D-1", {NIK_A}) == ["D-2"]
    assert idx.duplicates("D-2", {NIK_A, NIK_B}) == {NIK_A: ["D-1"]}
    assert idx.others_of("D-2") == ["D-1"] and idx.others_of("D-1") == ["D-2"]
    assert idx.others_of("D-unknown") == []


def test_reprocessing_with_changed_nik_removes_stale_entry(store):
    idx = DuplicateIndex(store, SECRET)
    idx.update("D-1", {NIK_A})
    idx.update("D-2", {NIK_A})
    idx.update("D-2", {NIK_C})  # the KTP was read again and gives another NIK
    assert idx.others("D-1", {NIK_A}) == []
    assert idx.holders(NIK_C) == ["D-2"]
    assert idx.holders(NIK_A) == ["D-1"]


def test_nik_never_in_keys_or_values(store):
    idx = DuplicateIndex(store, SECRET)
    idx.update("D-1", {NIK_A, NIK_B})
    keys = list(store.list("index/"))
    assert len(keys) == 3
    for k in keys:
        assert NIK_A not in k and NIK_B not in k
        assert NIK_A.encode() not in store.get_bytes(k)


def test_other_secret_sees_nothing(store):
    DuplicateIndex(store, SECRET).update("D-1", {NIK_A})
    assert DuplicateIndex(store, b"another").others("D-2", {NIK_A}) == []


def test_invalid_niks_are_not_indexed_and_remove_forgets(store):
    idx = DuplicateIndex(store, SECRET)
    idx.update("D-1", {NIK_A, "12345", ""})
    assert len(list(store.list("index/nik/"))) == 1
    idx.remove("D-1")
    assert list(store.list("index/")) == []


def test_update_is_idempotent(store):
    idx = DuplicateIndex(store, SECRET)
    idx.update("D-1", {NIK_A})
    before = sorted(store.list("index/"))
    idx.update("D-1", {NIK_A})
    assert sorted(store.list("index/")) == before
