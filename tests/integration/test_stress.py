"""Concurrency stress test (issue 13, "What to build").

GIVEN 200 dossiers from the sample generator, a third of them in groups of three sharing a NIK, queued while
      four real RQ worker processes (tests/integration/stress_worker.py) process them on one local store
 WHEN verifiers upload two scans each to 40 of them (each upload queues a new run, so two runs of one dossier
      may run at once) and correct a KTP name on 40 (20 of them right after their uploads, while those runs go
      on) through the review app's HTTP routes, as soon as each has a result, while the workers run
 THEN every dossier has exactly one current result, built from its latest manifest and carrying its latest
      corrections; no job failed and no IntegrityError or checksum mismatch happened anywhere; every original
      re-hashes to its sha256; every manifest lists every upload; the shared NIKs name each other.

Only the page reader is a stand-in (fake_reading.TruthReader: the generator's ground truth by sha256), so the
test exercises storage, queue, intake, checks, publish and the app, not OCR. It takes minutes on two cores:
marked `slow`, and scripts/test.sh runs it after the default suite.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_reading import TruthReader, light_runtime
from PIL import Image

from models.contract import DocType, DossierResult
from pipeline import corrections
from pipeline.dupindex import DuplicateIndex
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, dossier_job_id, enqueue_dossier, get_queue

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(40 * 60)]

COUNT = int(os.environ.get("BERKAS_STRESS_COUNT", "200"))  # 200 in CI; fewer only to debug the test itself
WORKERS = 4
SEED = 2613
DEADLINE = 30 * 60  # seconds; a stuck run fails instead of hanging CI
HERE = Path(__file__).parent


def generate(out: Path) -> dict:
    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(out), "--count", str(COUNT),
                    "--seed", str(SEED), "--variants", "clean_scan,text_pdf", "--layouts", "old"],
                   check=True, capture_output=True, cwd=HERE.parents[1])
    return json.loads((out / "truth.json").read_text())


def share_niks(gen: Path, truth: dict, reader: TruthReader, ids: list[str]) -> list[list[str]]:
    """Groups of three, 66 dossiers in all, take the NIK of their first member (registration and KTP); only
    dossiers with a readable registration and a KTP page take part."""
    def usable(d: str) -> bool:
        try:
            reg = json.loads((gen / "input" / d / "registration.json").read_text())
        except (OSError, ValueError):
            return False
        return isinstance(reg, dict) and "nik" in reg and any(p["type"] == "ktp" for p in truth["dossiers"][d]["pages"])

    members = [d for d in ids if usable(d)][: COUNT // 3 - COUNT // 3 % 3]
    groups = [members[i:i + 3] for i in range(0, len(members), 3)]
    assert len(groups) == COUNT // 9
    for group in groups:
        nik = json.loads((gen / "input" / group[0] / "registration.json").read_text())["nik"]
        for d in group:
            path = gen / "input" / d / "registration.json"
            path.write_text(json.dumps({**json.loads(path.read_text()), "nik": nik}))
            for p in truth["dossiers"][d]["pages"]:
                if p["type"] == "ktp":
                    sha = hashlib.sha256((gen / "input" / d / p["file"]).read_bytes()).hexdigest()
                    reader.pages[(sha, p["page"])]["fields"]["nik"] = nik
    return groups


def upload_scan(dossier_id: str, n: int) -> bytes:
    out = io.BytesIO()
    seed = int(hashlib.sha256(f"{dossier_id}-{n}".encode()).hexdigest()[:6], 16)
    Image.new("RGB", (600, 400), (seed % 256, (seed >> 8) % 256, 230)).save(out, "PNG")
    return out.getvalue()


sys.path.insert(0, str(HERE.parent / "review"))  # review_helpers: the review tests' login helpers


def make_client(store: LocalStore, store_path: Path, queue, password: str):
    from fastapi.testclient import TestClient
    from review_helpers import FAST_HASHER, csrf_of

    from config.settings import Settings
    from review.accounts import Accounts
    from review.app import create_app
    from review.db import ReviewDB
    from review.service import ReviewService
    from review.settings import ReviewSettings

    def enqueue(dossier_id: str, version: int) -> str:
        job = enqueue_dossier(queue, dossier_id, version=version)
        return job.id if job is not None else dossier_job_id(dossier_id, version)

    settings = Settings(store="local", store_path=store_path)
    review = ReviewSettings(secret="stress-secret-" + "x" * 32, cookie_secure=True)
    db = ReviewDB(review.db_url(settings))  # the SQLite default beside the store
    db.migrate()
    service = ReviewService(store, settings, review, enqueue=enqueue, db=db)
    accounts = Accounts(db, service.regions, hasher=FAST_HASHER)
    if accounts.get("admin.stress") is None:
        accounts.create("admin.stress", password, "ADMIN", None)
    app = create_app(settings, review, store=store, service=service, accounts=accounts)

    def login() -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        token = csrf_of(client.get("/masuk").text)
        r = client.post("/masuk", data={"username": "admin.stress", "password": password, "csrf_token": token})
        assert r.status_code == 200, r.text[-500:]
        client.csrf = csrf_of(r.text)
        return client

    return login


def result_of(store: LocalStore, dossier_id: str) -> DossierResult | None:
    try:
        return DossierResult.model_validate(store.get_json(keys.result_key(dossier_id)))
    except Exception:  # noqa: BLE001 - not there yet
        return None


def test_stress(tmp_path, redis_conn):
    t0 = time.monotonic()
    gen = tmp_path / "gen"
    truth = generate(gen)
    print(f"generated in {time.monotonic() - t0:.0f} s")
    ids = sorted(truth["dossiers"])
    assert len(ids) == COUNT
    reader = TruthReader.from_truth(gen)
    groups = share_niks(gen, truth, reader, ids)
    upload_ids = ids[::5]  # 40
    has_ktp = [d for d in ids if any(p["type"] == "ktp" for p in truth["dossiers"][d]["pages"])]
    fix_ids = [d for d in upload_ids if d in has_ktp][:20]  # 40 in all, 20 with an upload as well
    fix_ids += [d for d in has_ktp if d not in upload_ids][: len(upload_ids) - len(fix_ids)]
    for d in upload_ids:
        for n in (1, 2):
            reader.learn(upload_scan(d, n), 1, "surat_sehat", {"nama": "PINDAIAN ULANG", "kesimpulan": "SEHAT"})
    reader.dump(tmp_path / "truth-map.json")

    store_path = tmp_path / "store"
    store = LocalStore(store_path, fsync=False)
    db = redis_conn.connection_pool.connection_kwargs.get("db", 0)
    redis_url = f"redis://127.0.0.1:6379/{db}"
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    stop = tmp_path / "stop"
    logs = [tmp_path / f"worker-{i}.log" for i in range(WORKERS)]
    procs = [subprocess.Popen([sys.executable, str(HERE / "stress_worker.py"), str(store_path), redis_url,
                               str(tmp_path / "truth-map.json"), str(stop), str(os.getpid())],
                              stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=HERE.parents[1],
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
             for log in logs]
    try:
        summary = ingest(gen / "input", store, queue)
        assert summary.queued == ids and summary.skipped_inputs == []

        login = make_client(store, store_path, queue, "stress-Password-2024")
        uploaded: dict[str, list[str]] = {}
        corrected: set[str] = set()
        problems: list[str] = []

        def correct(client, d: str) -> bool:
            """The KTP name, corrected through the app; False when the dossier has no KTP to correct."""
            result = result_of(store, d)
            ktp = [i for i, doc in enumerate(result.documents) if doc.type == DocType.KTP]
            if not ktp:  # its KTP file is one of the generator's bad files: nothing to correct
                return False
            corrected.add(d)
            r = client.post(f"/berkas/{d}/koreksi", data={"csrf_token": client.csrf, "document": ktp[0],
                                                          "field": "nama", "value": f"KOREKSI {d}"},
                            follow_redirects=False)
            if r.status_code != 303 or not corrections.load(store, d):  # answered: the record is there
                problems.append(f"correction {d}: {r.status_code}")
            return True

        def post_uploads() -> None:
            """Two uploads back to back (two runs queued, which may run at once), then at once a correction
            for half of them, while those runs go on."""
            client = login()
            todo = list(upload_ids)
            while todo and time.monotonic() - t0 < DEADLINE:
                for d in [d for d in todo if store.exists(keys.result_key(d))]:
                    for n in (1, 2):
                        data = upload_scan(d, n)
                        r = client.post(f"/berkas/{d}/unggah", data={"csrf_token": client.csrf},
                                        files={"file": (f"ulang-{n}-{d}.png", data, "image/png")},
                                        follow_redirects=False)
                        sha = hashlib.sha256(data).hexdigest()  # answered: the manifest lists it already
                        if r.status_code != 303 or sha not in {f["sha256"] for f in store.get_json(
                                keys.manifest_key(d))["files"]}:
                            problems.append(f"upload {d}: {r.status_code}")
                        uploaded.setdefault(d, []).append(sha)
                    if d in fix_ids:
                        correct(client, d)
                    todo.remove(d)
                time.sleep(0.1)

        def post_corrections() -> None:
            client = login()
            todo = [d for d in fix_ids if d not in upload_ids]
            while todo and time.monotonic() - t0 < DEADLINE:
                for d in [d for d in todo if store.exists(keys.result_key(d))]:
                    correct(client, d)
                    todo.remove(d)
                time.sleep(0.1)

        posters = [threading.Thread(target=post_uploads), threading.Thread(target=post_corrections)]
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        assert problems == []
        assert set(uploaded) == set(upload_ids) and len(corrected) >= 0.75 * len(fix_ids)

        idle = 0
        while idle < 3 and time.monotonic() - t0 < DEADLINE:  # drained: nothing waiting or running, three looks
            busy = queue.count + queue.started_job_registry.count + queue.scheduled_job_registry.count
            idle = idle + 1 if busy == 0 else 0
            time.sleep(0.5)
        assert idle == 3, "queue not drained before the deadline"
        print(f"drained at {time.monotonic() - t0:.0f} s")
    finally:
        stop.touch()
        for p in procs:
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
    worker_logs = "\n".join(log.read_text() for log in logs)
    print(f"workers stopped at {time.monotonic() - t0:.0f} s")
    print("races the workers lost and settled: "
          f"{worker_logs.count('result changed while it was read')} results re-checked on a newer one, "
          f"{worker_logs.count('new files arrived while it was read')} stale runs not published, "
          f"{worker_logs.count('re-check overtaken')} duplicate re-checks redone, "
          f"{worker_logs.count('changed under us')} read-modify-writes read again")

    # no job failed, no IntegrityError or checksum mismatch anywhere
    assert queue.failed_job_registry.count == 0, queue.failed_job_registry.get_job_ids()
    assert list(store.list("failures/")) == []
    for marker in ("IntegrityError", "CHECKSUM_MISMATCH", "WRITE_CONFLICT", "Traceback"):
        assert marker not in worker_logs, worker_logs[-3000:]

    index = DuplicateIndex(store, light_runtime().index_secret)
    flags = [k for k in store.list("flags/")]
    summaries = [k for k in store.list("summaries/")]
    for d in ids:
        result = result_of(store, d)
        assert result is not None, d
        manifest = store.get_json(keys.manifest_key(d))
        # every original re-hashes to its sha256, and the manifest lists every upload
        for entry in manifest["files"]:
            assert hashlib.sha256(store.get_bytes(entry["key"])).hexdigest() == entry["sha256"], (d, entry["name"])
        if d in uploaded:
            assert set(uploaded[d]) <= {f["sha256"] for f in manifest["files"]}, d
        # the result is built from the latest manifest: every listed file is a document or an error in it
        seen = {(doc.file, doc.sha256) for doc in result.documents}
        errored = {e.file for e in result.errors}
        for entry in manifest["files"]:
            assert (entry["name"], entry["sha256"]) in seen or entry["name"] in errored, (d, entry["name"])
        # ... and carries the latest correction of each corrected field
        latest: dict[tuple, tuple[str, dict]] = {}
        for key, record in corrections.load(store, d):
            latest[(record["sha256"], record["page"], record["field"])] = (key, record)
        for (sha, page, field), (key, record) in latest.items():
            doc = next(doc for doc in result.documents if doc.sha256 == sha and doc.page == page)
            assert doc.fields[field] == record["value"] and doc.corrected[field].correction == key, (d, field)
        if d in corrected:
            assert latest, f"{d}: no correction recorded"
        # exactly one current result: one flag (none when complete) and one summary row
        own_flags = [k for k in flags if k.endswith(f"/{d}.json")]
        assert len(own_flags) == (0 if result.status.value == "complete" else 1), (d, own_flags)
        assert len([k for k in summaries if k.endswith(f"/{d}.json")]) == 1, d
        # duplicates as the index has them at the end
        assert result.duplicate_dossiers == index.others_of(d), d
    for group in groups:
        for d in group:
            assert set(group) - {d} <= set(result_of(store, d).duplicate_dossiers), (d, group)
    print(f"checked at {time.monotonic() - t0:.0f} s")
