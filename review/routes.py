"""The routes. Each one signs the account in, checks CSRF on POST, and leaves area checks to the service."""

from __future__ import annotations

import logging
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from models.contract import FIELDS_BY_TYPE, CheckStatus
from pipeline.storage import keys
from review.accounts import Account, HashingBusy
from review.queue import STATES, QueueFilter, build_queue
from review.service import DECISIONS, NotFound, ReviewError
from review.throttle import name_tag
from review.web import check_csrf, csrf_token, current_account, flash, render

log = logging.getLogger(__name__)
router = APIRouter()

_STATUS = {"incomplete", "not_eligible", "needs_review", "complete"}
_REASON_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,40}$")
_DESA_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_TPS_RE = re.compile(r"^\d{1,3}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
REQUESTABLE = ("ktp", "ijazah", "surat_sehat")


def _svc(request: Request):
    return request.app.state.service


def _dossier_id(dossier_id: str) -> str:
    if not _ID_RE.match(dossier_id):
        raise NotFound("Berkas tidak ditemukan.")
    return dossier_id


async def _form(request: Request):
    form = await request.form()
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)  # an uploaded file is no token
    return form


def _back(dossier_id: str) -> RedirectResponse:
    return RedirectResponse(f"/berkas/{dossier_id}", status_code=303)


# ---- sign in / out ---------------------------------------------------------------------------


@router.get("/")
def home() -> Response:
    return RedirectResponse("/antrean", status_code=303)


@router.get("/masuk")
def login_form(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/masuk")
async def login(request: Request) -> Response:
    form = await _form(request)
    username = str(form.get("username", "")).strip().lower()[:40]
    password = str(form.get("password", ""))  # never cut: a longer one than can be set is refused
    address = request.client.host if request.client else "-"
    app = request.app
    tag = name_tag(username, app.state.review_settings.secret.get_secret_value())
    throttle = app.state.throttle
    verdict = throttle.check(username, address)
    if not verdict.allowed:
        log.warning("login refused: name=%s address=%s reason=throttled_%s", tag, address, verdict.reason)
        wait = (f"{verdict.retry_after} detik" if verdict.retry_after < 120
                else f"{(verdict.retry_after + 59) // 60} menit")
        response = render(request, "login.html", status_code=429,
                          error=f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait}.")
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        outcome = await run_in_threadpool(app.state.accounts.sign_in, username, password)
    except HashingBusy:
        log.warning("login refused: name=%s address=%s reason=busy", tag, address)
        response = render(request, "login.html", status_code=503,
                          error="Server sedang sibuk memeriksa kata sandi lain. Coba lagi beberapa detik lagi.")
        response.headers["Retry-After"] = "5"
        return response
    account = outcome.account
    if account is None:
        throttle.failed(username, address, known=outcome.known)
        log.warning("login failed: name=%s address=%s reason=%s", tag, address, outcome.reason)
        return render(request, "login.html", status_code=401, error="Nama pengguna atau kata sandi salah.")
    throttle.succeeded(username, address)
    request.session.clear()  # no session fixation: a fresh session and CSRF token
    sid = await run_in_threadpool(app.state.sessions.open, account.username)
    request.session.update(u=account.username, t=time.time(), s=sid)
    csrf_token(request)
    log.info("login: %s address=%s", account.username, address)
    return RedirectResponse("/antrean", status_code=303)


@router.post("/keluar")
async def logout(request: Request) -> Response:
    await _form(request)
    username = request.session.get("u")
    if isinstance(username, str) and keys.USERNAME_RE.match(username):  # ended on the server, not only forgotten
        await run_in_threadpool(request.app.state.sessions.end, username, request.session.get("s"))
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


# ---- the queue -------------------------------------------------------------------------------


@router.get("/antrean")
def queue(request: Request, status: str = "", alasan: str = "", desa: str = "", tps: str = "",
          keadaan: str = "terbuka", hal: int = 1) -> Response:
    account = current_account(request)
    flt = QueueFilter(
        status=status if status in _STATUS else None,
        reason=alasan if _REASON_RE.match(alasan) else None,
        desa=desa if _DESA_RE.match(desa) else None,
        tps=tps if _TPS_RE.match(tps) else None,
        state=keadaan if keadaan in STATES else "terbuka",
    )
    svc = _svc(request)
    size = request.app.state.review_settings.page_size
    page = build_queue(svc.store, svc.claims, account, flt, page=max(1, min(hal, 10_000)), page_size=size)
    if page.refused:
        raise ReviewError("Wilayah yang diminta di luar wilayah Anda.", status=403)
    return render(request, "queue.html", account, page=page, flt=flt, hal=max(1, hal), size=size,
                  names=svc.regions, states=STATES)


# ---- one dossier -----------------------------------------------------------------------------


@router.get("/berkas/{dossier_id}")
async def dossier(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    svc = _svc(request)
    view = await run_in_threadpool(svc.view, account, _dossier_id(dossier_id))
    images = request.app.state.images
    sizes = []
    for d in view.result.documents:
        r = await run_in_threadpool(images.render, dossier_id, d.file, d.sha256, d.page)
        sizes.append((r.width, r.height) if r else None)
    problems = [c for c in view.result.checks if c.status != CheckStatus.PASS]
    return render(request, "dossier.html", account, v=view, sizes=sizes, problems=problems,
                  passed=[c for c in view.result.checks if c.status == CheckStatus.PASS],
                  fields_by_type=FIELDS_BY_TYPE, decisions=DECISIONS, requestable=REQUESTABLE,
                  show_nik=_show_nik(account), names=svc.regions,
                  doc_index={(d.file, d.page): i for i, d in enumerate(view.result.documents)})


def _show_nik(account: Account) -> bool:
    return account.nik_access


@router.get("/berkas/{dossier_id}/halaman/{index}")
async def page_image(request: Request, dossier_id: str, index: int) -> Response:
    account = current_account(request)
    result, _area = await run_in_threadpool(_svc(request).authorize, account, _dossier_id(dossier_id))
    if not 0 <= index < len(result.documents):
        raise NotFound("Halaman tidak ditemukan.")
    d = result.documents[index]
    rendered = await run_in_threadpool(request.app.state.images.render, dossier_id, d.file, d.sha256, d.page)
    if rendered is None:
        raise NotFound("Gambar halaman tidak tersedia.")
    return Response(rendered.jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


@router.post("/berkas/{dossier_id}/klaim")
async def claim(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    await _form(request)
    c = await run_in_threadpool(_svc(request).claim, account, _dossier_id(dossier_id))
    flash(request, f"Berkas ini Anda kerjakan sampai {c.expires_at:%H:%M} UTC.")
    return _back(dossier_id)


@router.post("/berkas/{dossier_id}/lepas")
async def release(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    await _form(request)
    await run_in_threadpool(_svc(request).release, account, _dossier_id(dossier_id))
    flash(request, "Berkas dilepas.")
    return RedirectResponse("/antrean", status_code=303)


async def _decide(request: Request, dossier_id: str, decision: str) -> Response:
    account = current_account(request)
    form = await _form(request)
    await run_in_threadpool(
        _svc(request).decide, account, _dossier_id(dossier_id), decision,
        reason=str(form.get("reason", "")), documents=[str(x) for x in form.getlist("documents")
                                                       if str(x) in REQUESTABLE],
    )
    flash(request, f"Keputusan tersimpan: {DECISIONS[decision]}.")
    return _back(dossier_id)


@router.post("/berkas/{dossier_id}/setujui")
async def approve(request: Request, dossier_id: str) -> Response:
    return await _decide(request, dossier_id, "MS")


@router.post("/berkas/{dossier_id}/tolak")
async def reject(request: Request, dossier_id: str) -> Response:
    return await _decide(request, dossier_id, "TMS")


@router.post("/berkas/{dossier_id}/minta-dokumen")
async def request_documents(request: Request, dossier_id: str) -> Response:
    return await _decide(request, dossier_id, "DOCS_REQUESTED")


@router.post("/berkas/{dossier_id}/koreksi")
async def correct(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    form = await _form(request)
    try:
        index = int(str(form.get("document", "")))
    except ValueError as e:
        raise ReviewError("Dokumen tidak ada.") from e
    new = await run_in_threadpool(_svc(request).correct, account, _dossier_id(dossier_id), index,
                                  str(form.get("field", "")), str(form.get("value", "")))
    flash(request, f"Koreksi tersimpan; pemeriksaan diulang. Status sekarang: {new.status.value}.")
    return _back(dossier_id)


@router.post("/berkas/{dossier_id}/unggah")
async def upload(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    limit = request.app.state.settings.limits.max_file_bytes
    if int(request.headers.get("content-length") or 0) > limit + 64 * 1024:
        raise ReviewError("File melebihi batas ukuran.", status=413)
    form = await _form(request)
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str):
        raise ReviewError("Pilih file pindaian.")
    data = await upload_file.read(limit + 1)
    entry = await run_in_threadpool(_svc(request).upload, account, _dossier_id(dossier_id),
                                    upload_file.filename or "", data)
    flash(request, "Pindaian tersimpan dan " + ("masuk antrean pemrosesan." if entry["queued"]
                                                else "akan diproses pada pemrosesan berikutnya."))
    return _back(dossier_id)
