"""Worker metrics, scraped over HTTP after a small run, against the results the run left in the store.

The pages are read by the stand-in reader (tests/integration/fake_reading.py) so that the run takes seconds;
everything else is real: the queue, a forking worker whose horses hand their counts back through the pipe (and
a simple worker that counts in-process), the pipeline from the store to publish, prometheus-client's server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from fake_reading import TruthReader, install, light_runtime
from prometheus_client.parser import text_string_to_metric_families
from rq import Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from config.settings import Settings
from models.contract import DossierResult
from pipeline import manifest
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from workers import jobs, metrics
from workers.ingest import ingest
from workers.queues import DOSSIER_QUEUE, dossier_job_id, enqueue_dossier, get_queue
from workers.worker import make_worker, start_metrics

pytestmark = pytest.mark.redis
REDIS_DB = int(__import__("os").environ.get("BERKAS_TEST_REDIS_DB", "15"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("metrics")
    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(root), "--count", "5",
                    "--seed", "52", "--scenarios", "complete,missing_ktp,bad_ktp_file,duplicate_nik"],
                   check=True, capture_output=True)
    return root


@pytest.fixture
def served(tmp_path, redis_conn):
    """A worker's metrics server on a free loopback port; uninstalled afterwards (the listener is global)."""
    settings = Settings(store="local", store_path=tmp_path / "store", redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}",
                        metrics_port=_free_port())
    server = start_metrics(settings, redis_conn, (DOSSIER_QUEUE,))
    jobs.reset_process()
    try:
        yield settings, f"http://127.0.0.1:{settings.metrics_port}/metrics"
    finally:
        server.shutdown()
        metrics.uninstall()
        jobs.reset_process()


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def series(samples: dict, name: str, label: str) -> dict[str, float]:
    return {dict(labels)[label]: v for (n, labels), v in samples.items() if n == name and v}


@pytest.mark.parametrize("simple", [False, True], ids=["forking", "simple"])
def test_counters_match_the_results_of_the_run(simple, generated, served, tmp_path, redis_conn, monkeypatch):
    """GIVEN a small generated batch ingested and queued WHEN a burst worker processes it THEN its /metrics
    counts exactly the results in the store: dossiers by status, pages by document type, flag reasons, one
    decode per stored file, one reading per page, one checks stage per decision, and an empty queue."""
    settings, url = served
    install(TruthReader.from_truth(generated), monkeypatch)
    store = LocalStore(tmp_path / "store", fsync=False)
    summary = ingest(generated / "input", store, get_queue(DOSSIER_QUEUE, redis_conn))
    runtime = light_runtime()
    jobs.init_process(settings, runtime=runtime, store=store)
    make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis_conn, simple=simple).work(
        burst=True, with_scheduler=False)

    results = [DossierResult.model_validate(store.get_json(keys.result_key(d))) for d in summary.dossier_ids]
    got = scrape(url)
    receipts = [Job.fetch(dossier_job_id(d, 1), connection=redis_conn, serializer=JSONSerializer).return_value()
                for d in summary.dossier_ids]
    assert series(got, "berkas_dossiers_processed_total", "status") == dict(Counter(r["status"] for r in receipts))
    pages = Counter(d.type.value for r in results for d in r.documents)
    assert series(got, "berkas_pages_total", "doc_type") == dict(pages)
    # every published result (the jobs' own and the duplicate re-checks they started), from the result history
    published = [DossierResult.model_validate(store.get_json(k)) for d in summary.dossier_ids
                 for k in store.list(keys.result_history_prefix(d))]
    assert len(published) > len(results)  # the duplicate pair: the first was re-checked by the second
    reasons = Counter(c for r in published if r.status.value != "complete"
                      for c in sorted({c.reason for c in r.checks if c.reason and c.status.value != "pass"}))
    assert reasons and series(got, "berkas_flags_total", "reason") == dict(reasons)

    stages = series(got, "berkas_stage_seconds_count", "stage")
    files = sum(len(manifest.read(store, d)["files"]) for d in summary.dossier_ids)
    assert stages["decode"] == files
    unreadable = sum(1 for r in results for e in r.errors if e.error == "PAGE_UNREADABLE")
    assert stages["reading"] == sum(pages.values()) + unreadable
    assert stages["checks"] >= len(results) and stages["publish"] >= len(results)
    assert got[("berkas_queue_jobs", (("queue", "dossier"), ("state", "queued")))] == 0
    assert got[("berkas_queue_up", ())] == 1
    build = [labels for (n, labels), v in got.items() if n == "berkas_build_info" and v == 1]
    assert build and dict(build[0])["requirements_version"] == "kpps-2024"


def test_failed_attempts_are_counted_from_the_horses(served, tmp_path, redis_conn):
    settings, url = served
    store = LocalStore(tmp_path / "store", fsync=False)
    (tmp_path / "in" / "D-f").mkdir(parents=True)
    (tmp_path / "in" / "D-f" / "a.jpg").write_bytes(b"\xff\xd8not really")
    ingest(tmp_path / "in", store, None)
    queue = get_queue(DOSSIER_QUEUE, redis_conn)
    enqueue_dossier(queue, "D-f", version=1, retry=Retry(max=1, interval=0))

    def failing(dossier_id, *, store, runtime):
        raise RuntimeError("decoder exploded")

    jobs.init_process(settings, runtime=light_runtime(), store=store, processor=failing)
    make_worker(settings, queues=(DOSSIER_QUEUE,), connection=redis_conn).work(burst=True, with_scheduler=False)
    got = scrape(url)
    assert series(got, "berkas_job_failures_total", "final") == {"false": 1, "true": 1}
    assert got[("berkas_queue_jobs", (("queue", "dossier"), ("state", "failed")))] == 1


def test_without_a_listener_the_pipeline_measures_nothing():
    from pipeline import observe

    assert not observe.listening()
    tools = object()
    assert observe.timed_tools(tools, {}) is tools  # engines are not wrapped: no cost


def test_a_metrics_port_in_use_stops_the_worker_with_a_clear_error(served, redis_conn):
    from pipeline.errors import ConfigError

    settings, _url = served
    with pytest.raises(ConfigError, match="BERKAS_METRICS_PORT"):
        start_metrics(settings, redis_conn, (DOSSIER_QUEUE,))  # the fixture's server holds the port
