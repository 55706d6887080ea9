"""/healthz, /readyz and /metrics of the review app: no login, nothing revealed beyond the words and counters."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from pipeline.errors import StorageError


def test_liveness_and_readiness_need_no_login(anon):
    for path in ("/healthz", "/readyz"):
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 200 and r.text == "ok", path
        assert "set-cookie" not in r.headers  # no session is opened for a probe


class DeadStore:
    def exists(self, key):
        raise StorageError("object store at 10.0.0.9:9000 unreachable after 4 attempts (ConnectionRefused)")


def test_readiness_fails_without_the_store_and_says_no_more(app):
    app.state.store = DeadStore()
    r = TestClient(app, base_url="https://testserver").get("/readyz")
    assert r.status_code == 503 and r.text == "not ready"  # no address, no error text
    assert TestClient(app, base_url="https://testserver").get("/healthz").status_code == 200


def test_metrics_in_prometheus_text_format(anon):
    r = anon.get("/metrics", follow_redirects=False)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(r.text)}
    assert {"berkas_dossiers_processed", "berkas_flags", "berkas_stage_seconds", "berkas_build_info"} <= names
    assert "kpps-2024" in r.text


def test_metrics_behind_a_bearer_token_when_one_is_set(app):
    app.state.settings = app.state.settings.model_copy(update={"metrics_token": SecretStr("t" * 40)})
    client = TestClient(app, base_url="https://testserver")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 40}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes stay open


def test_dossier_page_says_what_it_was_checked_with(login, store):
    """The small "diperiksa dengan" line: requirements version and sha256 prefix, pipeline version."""
    from models.contract import Provenance, RulesInfo
    from pipeline.publish import read_result
    from pipeline.storage import keys

    result, _ = read_result(store, "KPPS-0001")
    assert result is not None
    assert "diperiksa dengan" not in login("pps.kebonagung").get("/berkas/KPPS-0001").text  # seeded without one
    result.provenance = Provenance(requirements=RulesInfo(file="kpps-2024.yaml", version="kpps-2024", sha256="ab" * 32),
                                   pipeline_version="0.1.0", code_revision="c0ffee")
    store.put_json(keys.result_key("KPPS-0001"), result.model_dump(mode="json"))
    html = login("pps.kebonagung").get("/berkas/KPPS-0001").text
    req = result.provenance.requirements
    assert f"diperiksa dengan persyaratan {req.version} (sha256 {req.sha256[:12]})" in html
    assert "Berkas 0.1.0 (c0ffee)" in html


def test_readiness_fails_without_the_review_database(app):
    from review.db import ReviewDB

    app.state.db = ReviewDB("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    r = TestClient(app, base_url="https://testserver").get("/readyz")
    assert r.status_code == 503 and r.text == "not ready"
    app.state.db.dispose()
