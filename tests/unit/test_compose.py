"""docker-compose.yml cannot run here (no Docker engine); check that it agrees with the code instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present():
    services = _compose()["services"]
    for name in ("redis", "minio", "worker", "scheduler", "review"):
        assert name in services


def test_worker_environment_names_real_settings():
    env = _compose()["services"]["worker"]["environment"]
    fields = set(Settings.model_fields)
    for var in env:
        if var.startswith("BERKAS_"):
            assert var.removeprefix("BERKAS_").lower() in fields, var
    assert env["BERKAS_STORE"] == "s3"


def test_worker_command_uses_the_code_queue_names():
    from workers.queues import QUEUE_NAMES

    cmd = _compose()["services"]["worker"]["command"]
    assert cmd[:2] == ["berkas", "worker"]
    queues = cmd[cmd.index("--queues") + 1].split(",")
    assert set(queues) <= set(QUEUE_NAMES)


def test_scheduler_config_module_exists():
    import importlib

    cmd = _compose()["services"]["scheduler"]["command"]
    assert cmd[:2] == ["rq", "cron"]
    importlib.import_module(cmd[2])


def test_minio_console_exposed():
    minio = _compose()["services"]["minio"]
    assert "--console-address" in minio["command"]


# ---- finding 9 and 12 (issue 13): no fixed secrets, nothing published beyond loopback ---------------------------

SECRET_VARS = {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_KMS_SECRET_KEY", "BERKAS_INDEX_SECRET", "BERKAS_REVIEW_SECRET",
               "POSTGRES_PASSWORD", "RQ_DASHBOARD_USERNAME", "RQ_DASHBOARD_PASSWORD"}


def _substitutions() -> list[tuple[str, str, str]]:
    """(variable, operator, rest) of every ${...} in the file, as compose reads them."""
    import re

    text = (ROOT / "docker-compose.yml").read_text()
    return re.findall(r"\$\{([A-Z0-9_]+)(:?[-?+]?)([^}]*)\}", text)


def test_secrets_have_no_fallback_value():
    subs = _substitutions()
    assert {var for var, _op, _rest in subs} >= SECRET_VARS
    for var, op, rest in subs:
        if var in SECRET_VARS:
            assert op == ":?" and rest.strip(), f"${{{var}}} must be required (${{{var}:?message}}), not {op!r}"
    assert all(op not in (":-", "-") for _var, op, _rest in subs), "no variable falls back to a fixed value"


def test_each_service_gets_the_secrets_it_checks():
    services = _compose()["services"]
    for name in ("worker", "review", "scheduler"):
        assert services[name]["environment"]["BERKAS_INDEX_SECRET"].startswith("${BERKAS_INDEX_SECRET:?")
    assert services["review"]["environment"]["BERKAS_REVIEW_SECRET"].startswith("${BERKAS_REVIEW_SECRET:?")
    from review.settings import ReviewSettings

    review_fields = {f"BERKAS_REVIEW_{f.upper()}" for f in ReviewSettings.model_fields}
    settings_fields = {f"BERKAS_{f.upper()}" for f in Settings.model_fields}
    for var in services["review"]["environment"]:
        assert var in review_fields | settings_fields | {"OMP_THREAD_LIMIT"}, var
    dash = services["dashboard"]["environment"]
    assert dash["RQ_DASHBOARD_USERNAME"].startswith("${") and dash["RQ_DASHBOARD_PASSWORD"].startswith("${")


def test_ports_are_published_on_loopback_only():
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert "ports" not in _compose()["services"]["redis"]


def test_objects_are_encrypted_at_rest():
    """Finding 13: the workers ask for SSE-S3 on every write, and MinIO has a key to do it with."""
    services = _compose()["services"]
    assert Settings(**{k.removeprefix("BERKAS_").lower(): v for k, v in services["worker"]["environment"].items()
                       if k in ("BERKAS_S3_SSE",)}).s3_sse == "sse-s3"
    assert services["minio"]["environment"]["MINIO_KMS_SECRET_KEY"].startswith("${MINIO_KMS_SECRET_KEY:?")


def test_prometheus_profile_scrapes_the_workers_metrics_port():
    """Optional profile (make demo and a plain `up` leave it out); it scrapes the port the workers serve."""
    services = _compose()["services"]
    assert services["prometheus"]["profiles"] == ["prometheus"]
    env = services["worker"]["environment"]


    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())["scrape_configs"]
    worker = next(c for c in scrape if c["job_name"] == "berkas-worker")
    assert worker["dns_sd_configs"][0]["port"] == int(env["BERKAS_METRICS_PORT"])
    assert worker["dns_sd_configs"][0]["names"] == ["worker"]
    for rule in yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"][0]["rules"]:
        assert "berkas_" in rule["expr"] or "up{" in rule["expr"]


def test_grafana_dashboard_queries_only_metrics_the_code_exports():
    import json
    import re

    from workers.metrics import Metrics

    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    exported = {f.name + sfx for f in Metrics().registry.collect() for sfx in suffixes[f.type]}
    exported |= {"berkas_queue_jobs", "berkas_queue_up"}  # read from Redis at scrape time (QueueCollector)
    dash = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "berkas.json").read_text())
    names = {n for p in dash["panels"] for t in p["targets"] for n in re.findall(r"berkas_[a-z_]+", t["expr"])}
    assert names and names <= exported, names - exported
    assert _compose()["services"]["grafana"]["profiles"] == ["prometheus"]
