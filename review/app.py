"""The review web app: `create_app(...)` wires the store, the service and the routes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from config.settings import Settings, get_settings
from pipeline.storage import open_store
from pipeline.storage.base import ObjectStore
from review.accounts import Accounts, HashGate
from review.health import app_metrics
from review.health import router as health_router
from review.limits import UPLOAD_ENVELOPE, BodyLimit
from review.pages import PageImages
from review.routes import router
from review.service import NotFound, OutOfArea, ReviewError, ReviewService, queue_enqueuer
from review.sessions import Sessions
from review.settings import ReviewSettings
from review.throttle import LoginThrottle
from review.web import HERE, CsrfFailed, LoginRequired, render

log = logging.getLogger(__name__)

SESSION_COOKIE = "berkas_sesi"
PLAIN_HTTP_REFUSED = (
    "Masuk gagal karena alamat ini memakai HTTP biasa (tanpa https://), sedangkan aplikasi hanya mengirim "
    "cookie sesi lewat HTTPS, sehingga browser tidak mengembalikannya. Memuat ulang halaman tidak akan membantu. "
    "Buka aplikasi lewat alamat https://; bila server ini memang hanya di jaringan lokal kantor tanpa HTTPS, "
    "pengelola dapat menjalankannya dengan BERKAS_REVIEW_PLAIN_HTTP=1 (lihat docs/security.md).")
CSP = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def create_app(settings: Settings | None = None, review: ReviewSettings | None = None, *,
               store: ObjectStore | None = None, service: ReviewService | None = None,
               enqueue: Callable[[str, int], str | None] | None = None,
               accounts: Accounts | None = None) -> FastAPI:
    """The app over `store` (default: the store the settings name).

    `enqueue(dossier_id, manifest_version)` re-queues a dossier after an upload; by default the RQ dossier
    queue when BERKAS_REVIEW_USE_QUEUE is set, otherwise none (the upload waits for the next run).
    """
    settings = settings or get_settings()
    review = review or ReviewSettings()
    store = store or open_store(settings)
    if enqueue is None and service is None and review.use_queue:
        enqueue = queue_enqueuer(settings)
    service = service or ReviewService(store, settings, review, enqueue=enqueue)

    app = FastAPI(title="Berkas - antrean pemeriksaan", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.review_settings = review
    app.state.store = store
    app.state.service = service
    app.state.db = service.db
    app.state.accounts = accounts or Accounts(
        service.db, service.regions, gate=HashGate(review.hash_slots, review.hash_queue, review.hash_wait_seconds))
    app.state.images = PageImages(store, settings.limits, max_side=review.image_max_side,
                                  cache_items=review.image_cache_items)
    app.state.sessions = Sessions(service.db, review.session_hours)
    app.state.throttle = LoginThrottle(
        pair_attempts=review.login_attempts, window=review.login_window_minutes * 60,
        address_attempts=review.login_address_attempts, name_free=review.login_name_free,
        name_max_delay=review.login_name_max_delay_seconds, unknown_attempts=review.login_unknown_attempts)

    app.add_middleware(
        SessionMiddleware, secret_key=review.secret.get_secret_value(), session_cookie=SESSION_COOKIE,
        max_age=int(review.session_hours * 3600), same_site="strict", https_only=review.secure_cookies,
    )
    if not review.secure_cookies:
        log.warning("PLAIN HTTP: the session cookie is sent without encryption; passwords and pages can be read "
                    "on the network. Only for a closed office LAN (BERKAS_REVIEW_PLAIN_HTTP); use HTTPS otherwise")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/masuk", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        no_cookie = SESSION_COOKIE not in request.cookies
        log.warning("CSRF token missing or wrong on %s %s (session cookie %s, %s)", request.method,
                    request.url.path, "absent" if no_cookie else "present", request.url.scheme)
        if no_cookie and request.url.scheme == "http" and review.secure_cookies:
            message = PLAIN_HTTP_REFUSED
        elif no_cookie:
            message = ("Browser tidak mengirim kembali cookie sesi: sesinya sudah berakhir atau cookie diblokir. "
                       "Muat ulang halaman; bila tetap gagal, izinkan cookie untuk alamat ini.")
        else:
            message = "Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."
        if request.url.path == "/masuk":
            return render(request, "login.html", None, status_code=403, error=message)
        return render(request, "error.html", None, status_code=403, message=message)

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        if isinstance(exc, OutOfArea | NotFound) or request.method == "GET":
            return render(request, "error.html", None, status_code=exc.status, message=exc.message)
        request.session["flash"] = ["error", exc.message]
        back = _dossier_path(request.url.path)
        return RedirectResponse(back, status_code=303) if back else HTMLResponse(exc.message, exc.status)

    # outermost: bodies are bounded before the session, CSRF or any form parser sees them
    app.add_middleware(BodyLimit, form_bytes=review.max_form_bytes, login_bytes=review.max_login_bytes,
                       upload_bytes=review.max_upload_bytes or settings.limits.max_file_bytes + UPLOAD_ENVELOPE)

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    app.include_router(health_router)  # /healthz, /readyz, /metrics: no login (review/health.py)
    app.state.metrics = app_metrics(settings)
    app.state.run = run_in_threadpool
    return app


def _dossier_path(path: str) -> str | None:
    m = re.match(r"^(/berkas/[A-Za-z0-9._-]+)/", path)
    return m[1] if m else None
