"""Liveness, readiness and metrics of the review app, for the usual tools (docs/operations.md).

    GET /healthz   200 "ok" while the process answers (liveness)
    GET /readyz    200 "ok" when the object store and the review database answer, else 503 "not ready"
                   (readiness)
    GET /metrics   Prometheus text format; with BERKAS_METRICS_TOKEN set, only for `Authorization: Bearer <token>`

No login is needed and nothing is revealed beyond these words and the counters: no version, no error text, no
store address.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from pipeline.errors import ConfigError, StorageError

log = logging.getLogger(__name__)

router = APIRouter()
READY_PROBE = "health/ready"  # only looked up, never written


def _plain(text: str, status: int = 200) -> Response:
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/healthz", include_in_schema=False)
def healthz() -> Response:
    return _plain("ok")


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    store = request.app.state.store
    try:
        await run_in_threadpool(store.exists, READY_PROBE)
    except (StorageError, OSError) as e:
        log.warning("readyz: store unreachable (%s)", type(e).__name__)
        return _plain("not ready", 503)
    db = getattr(request.app.state, "db", None)
    if db is not None:
        try:
            await run_in_threadpool(_ping, db)
        except SQLAlchemyError as e:
            log.warning("readyz: review database unreachable (%s)", type(e).__name__)
            return _plain("not ready", 503)
    return _plain("ok")


def _ping(db) -> None:
    with db.read() as s:
        s.execute(text("SELECT 1"))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    token = request.app.state.settings.metrics_token
    if token is not None and token.get_secret_value():
        sent = request.headers.get("authorization", "")
        expected = "Bearer " + token.get_secret_value()
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return Response("unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def app_metrics(settings) -> object:
    """The metrics this app serves: the process's, when `berkas review serve` installed them (re-checks after
    corrections and uploads then count their checks and publish stages and their flags), else a registry of its
    own with the build line only (an app built by tests does not listen to the whole process)."""
    from config.rules import load_rules
    from pipeline.selfcheck import rules_digest
    from workers import metrics as worker_metrics

    rec = worker_metrics.recorder()
    m = rec.metrics if rec is not None else worker_metrics.Metrics()
    try:
        m.set_build(requirements_version=load_rules(settings.rules_file).version,
                              requirements_sha256=rules_digest(settings.rules_file))
    except (OSError, ValueError, ConfigError) as e:  # the self-check of `review serve` names the problem; metrics go on
        log.warning("metrics: requirements file unreadable (%s)", type(e).__name__)
    return m
