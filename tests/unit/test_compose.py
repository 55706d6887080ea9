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
