"""Parallel uploads to one dossier, and file names that carry a NIK (issue 13, findings 2 and 12)."""

from __future__ import annotations

import hashlib
import io
import threading

from PIL import Image

from pipeline.storage import keys
from review import audit

DOSSIER = "KPPS-0002"


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (seed % 256, (seed * 7) % 256, 200)).save(out, "PNG")
    return out.getvalue()


def test_parallel_uploads_all_stay_in_the_manifest(login, store, enqueued):
    """GIVEN six verifiers' sessions uploading six different scans to one dossier at the same moment
    THEN every upload is in the manifest (none orphaned), the manifest is readable, and each upload got its own
    manifest version. Before compare-and-swap, 2 of 5 such trials kept only some of the files."""
    clients = [login("pps.kebonagung") for _ in range(6)]
    datas = [png(i) for i in range(6)]
    barrier = threading.Barrier(6)
    answers: list[str] = []

    def upload(i: int) -> None:
        barrier.wait()
        r = clients[i].post(f"/berkas/{DOSSIER}/unggah", data={"csrf_token": clients[i].csrf},
                            files={"file": (f"scan-{i}.png", datas[i], "image/png")})
        answers.append(r.text)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("Pindaian tersimpan" in a for a in answers)
    manifest = store.get_json(keys.manifest_key(DOSSIER))
    listed = {f["sha256"] for f in manifest["files"]}
    assert {hashlib.sha256(d).hexdigest() for d in datas} <= listed
    assert manifest["version"] == 1 + 6
    assert sorted(v for _d, v in enqueued) == list(range(2, 8))
    for f in manifest["files"]:
        assert hashlib.sha256(store.get_bytes(f.get("key") or keys.original_key(DOSSIER, f["sha256"], f["name"]))
                              ).hexdigest() == f["sha256"]


def test_a_nik_in_an_uploaded_file_name_is_masked_everywhere(login, store):
    client = login("pps.kebonagung")
    nik = "3575024506990001"
    data = png(99)
    r = client.post(f"/berkas/{DOSSIER}/unggah", data={"csrf_token": client.csrf},
                    files={"file": (f"KTP {nik}.png", data, "image/png")})
    assert "Pindaian tersimpan" in r.text
    assert nik not in r.text
    assert nik not in client.get(f"/berkas/{DOSSIER}").text
    assert not [k for k in store.list("") if nik in k]
    assert nik not in str(audit.trail(store, DOSSIER))
    entry = next(f for f in store.get_json(keys.manifest_key(DOSSIER))["files"]
                 if f["sha256"] == hashlib.sha256(data).hexdigest())
    assert entry["name"] == "KTP NIK-disamarkan.png"
    assert entry["original_name"] == f"KTP {nik}.png"  # the name as submitted is kept, in the manifest only
