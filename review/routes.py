"""The routes. Each one signs the account in, checks CSRF on POST, and leaves area checks to the service."""

from __future__ import annotations

import logging
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from models.contract import FIELDS_BY_TYPE, CheckStatus
from pipeline.storage import keys
from review.accounts import Account, HashingBusy
from review.export import queue_csv
from review.labels import wib
from review.pages import crop
from review.queue import SORTS, STATES, QueueFilter, Search, build_queue
from review.search import by_name, by_nik
from review.service import DECISIONS, REQUESTABLE, NotFound, ReviewError, suggested_requests
from review.throttle import name_tag
from review.web import STATUS_LABELS, check_csrf, csrf_token, current_account, flash, render

log = logging.getLogger(__name__)
router = APIRouter()

_STATUS = {"incomplete", "not_eligible", "needs_review", "complete"}
_REASON_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,40}$")
_DESA_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_TPS_RE = re.compile(r"^\d{1,3}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


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


def _filter(params) -> QueueFilter:
    """The queue's filters from query or form values; anything malformed is ignored, never echoed."""
    def get(name: str) -> str:
        return str(params.get(name) or "")

    status, alasan, desa, tps = get("status"), get("alasan"), get("desa"), get("tps")
    return QueueFilter(
        status=status if status in _STATUS else None,
        reason=alasan if _REASON_RE.match(alasan) else None,
        desa=desa if _DESA_RE.match(desa) else None,
        tps=tps if _TPS_RE.match(tps) else None,
        state=get("keadaan") if get("keadaan") in STATES else "terbuka",
        sort=get("urut") if get("urut") in SORTS else "lama",
    )


def _page_no(params) -> int:
    try:
        return max(1, min(int(str(params.get("hal") or 1)), 10_000))
    except ValueError:
        return 1


def _search(request: Request, params) -> tuple[Search | None, dict[str, str]]:
    """The name or NIK search of a POSTed queue form (None without one) and the values to post again."""
    nama = " ".join(str(params.get("nama") or "").split())[:80]
    nik = re.sub(r"\D", "", str(params.get("nik") or ""))[:16]
    svc = _svc(request)
    if nik:
        try:
            return by_nik(svc.store, svc.settings.index_secret.get_secret_value().encode(), nik), {"nik": nik}
        except ValueError as e:
            raise ReviewError(str(e)) from e
    if nama:
        return by_name(nama), {"nama": nama}
    return None, {}


def _queue_page(request: Request, account: Account, flt: QueueFilter, hal: int, search: Search | None,
                page_size: int | None = None):
    svc = _svc(request)
    size = page_size or request.app.state.review_settings.page_size
    page = build_queue(svc.store, svc.db, svc.claims, account, flt, page=hal, page_size=size, search=search)
    if page.refused:
        raise ReviewError("Wilayah yang diminta di luar wilayah Anda.", status=403)
    return page, size


async def _queue(request: Request, params, searched: bool) -> Response:
    account = current_account(request)
    flt, hal = _filter(params), _page_no(params)
    try:
        search, kept = _search(request, params) if searched else (None, {})
    except ReviewError as e:  # a malformed NIK: the queue again, with the reason
        flash(request, e.message, "error")
        search, kept = None, {}
    page, size = await run_in_threadpool(_queue_page, request, account, flt, hal, search)
    return render(request, "queue.html", account, page=page, flt=flt, hal=hal, size=size,
                  names=_svc(request).regions, states=STATES, sorts=SORTS, searched=kept, requestable=REQUESTABLE)


@router.get("/antrean")
async def queue(request: Request) -> Response:
    return await _queue(request, request.query_params, searched=False)


@router.post("/antrean")
async def queue_search(request: Request) -> Response:
    """The queue searched by name or NIK: POSTed, so neither lands in a URL, a history or a proxy log."""
    return await _queue(request, await _form(request), searched=True)


async def _csv(request: Request, params, searched: bool) -> Response:
    account = current_account(request)
    flt = _filter(params)
    search, _kept = _search(request, params) if searched else (None, {})
    page, _size = await run_in_threadpool(_queue_page, request, account, flt, 1, search, 100_000)
    body = queue_csv(page.items, _svc(request).regions)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="antrean.csv"', "Cache-Control": "no-store"})


@router.get("/antrean.csv")
async def queue_export(request: Request) -> Response:
    """The current view (filters and order, every page) as CSV: ids, area names, status and reasons in
    words; no names or NIKs. Scoped to the account's area like the page."""
    return await _csv(request, request.query_params, searched=False)


@router.post("/antrean.csv")
async def queue_export_searched(request: Request) -> Response:
    return await _csv(request, await _form(request), searched=True)


@router.post("/antrean/minta-dokumen")
async def bulk_request_documents(request: Request) -> Response:
    """Ask for the same documents on every dossier ticked in the queue. Each dossier is checked on its own
    (area, claims); those another verifier is working on are skipped and counted."""
    account = current_account(request)
    form = await _form(request)
    ids = [x for x in dict.fromkeys(str(v) for v in form.getlist("berkas")) if _ID_RE.match(x)][:200]
    documents = [str(x) for x in form.getlist("documents") if str(x) in REQUESTABLE]
    if not ids or not documents:
        flash(request, "Centang berkas dan dokumen yang diminta.", "error")
        return RedirectResponse("/antrean", status_code=303)
    done, skipped = await run_in_threadpool(_request_many, _svc(request), account, ids, documents)
    flash(request, f"Dokumen diminta untuk {done} berkas." + (f" {skipped} berkas dilewati (di luar wilayah "
                                                                "Anda atau sedang dikerjakan orang lain)."
                                                                if skipped else ""))
    return RedirectResponse("/antrean", status_code=303)


def _request_many(svc, account: Account, ids: list[str], documents: list[str]) -> tuple[int, int]:
    done = skipped = 0
    for dossier_id in ids:
        try:
            svc.decide(account, dossier_id, "DOCS_REQUESTED", documents=documents)
            done += 1
        except ReviewError:
            skipped += 1
    return done, skipped


@router.post("/antrean/berikutnya")
async def claim_next(request: Request) -> Response:
    """Claim the oldest open dossier nobody else works on, and open it."""
    account = current_account(request)
    await _form(request)
    svc = _svc(request)
    nxt = await run_in_threadpool(next_open, svc, account)
    if nxt is None:
        flash(request, "Tidak ada berkas yang menunggu.")
        return RedirectResponse("/antrean", status_code=303)
    await run_in_threadpool(svc.claim, account, nxt)
    return _back(nxt)


# ---- one dossier -----------------------------------------------------------------------------


def _min_conf(svc) -> float:
    """Below this confidence a reading is shown as "kurang yakin" (the rules' review threshold)."""
    return float(svc.runtime.rules.confidence.min_field)


def uncertain_fields(result, min_conf: float) -> list[dict]:
    """Every field read with less than `min_conf`, or seen but not read, that has a place on its page
    (a box to crop) and no verifier correction: what the dossier page shows as crops."""
    out = []
    for i, d in enumerate(result.documents):
        for f, value in d.fields.items():
            conf = d.confidence.get(f)
            box = d.boxes.get(f)
            if box is None or f in d.corrected:
                continue
            if value is None or value == "" or (conf is not None and conf < min_conf):
                out.append({"doc": i, "field": f, "value": value, "conf": conf, "box": box})
    return out


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
    min_conf = await run_in_threadpool(_min_conf, svc)
    return render(request, "dossier.html", account, v=view, sizes=sizes, problems=problems,
                  passed=[c for c in view.result.checks if c.status == CheckStatus.PASS],
                  fields_by_type=FIELDS_BY_TYPE, decisions=DECISIONS, requestable=REQUESTABLE,
                  show_nik=_show_nik(account), names=svc.regions, min_conf=min_conf,
                  uncertain=uncertain_fields(view.result, min_conf), suggested=suggested_requests(view.result),
                  doc_index={(d.file, d.page): i for i, d in enumerate(view.result.documents)})


def _show_nik(account: Account) -> bool:
    return account.nik_access


async def _document(request: Request, dossier_id: str, index: int):
    """Page `index` of a dossier the account may see (its area), or 404."""
    account = current_account(request)
    result, _area = await run_in_threadpool(_svc(request).authorize, account, _dossier_id(dossier_id))
    if not 0 <= index < len(result.documents):
        raise NotFound("Halaman tidak ditemukan.")
    return result.documents[index]


async def _page(request: Request, dossier_id: str, index: int):
    d = await _document(request, dossier_id, index)
    rendered = await run_in_threadpool(request.app.state.images.render, dossier_id, d.file, d.sha256, d.page)
    if rendered is None:
        raise NotFound("Gambar halaman tidak tersedia.")
    return d, rendered


@router.get("/berkas/{dossier_id}/halaman/{index}")
async def page_image(request: Request, dossier_id: str, index: int) -> Response:
    _d, rendered = await _page(request, dossier_id, index)
    return Response(rendered.jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


@router.get("/berkas/{dossier_id}/halaman/{index}/kartu")
async def card_image(request: Request, dossier_id: str, index: int) -> Response:
    """The card or sheet detected in the page photo, cut out and straightened; 404 when none was found."""
    d = await _document(request, dossier_id, index)
    card = await run_in_threadpool(request.app.state.images.card, dossier_id, d.file, d.sha256, d.page)
    if card is None:
        raise NotFound("Tidak ada kartu atau lembar yang terdeteksi pada foto ini.")
    return Response(card.jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


@router.get("/berkas/{dossier_id}/halaman/{index}/isian/{field}")
async def field_crop(request: Request, dossier_id: str, index: int, field: str) -> Response:
    """The part of the page where one field was read (its OCR box with a margin), enlarged when small."""
    d, rendered = await _page(request, dossier_id, index)
    box = d.boxes.get(field)
    if not box:
        raise NotFound("Isian ini tidak punya letak pada halaman.")
    try:
        jpeg = await run_in_threadpool(crop, rendered, box)
    except ValueError as e:
        raise NotFound("Isian ini tidak punya letak pada halaman.") from e
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


@router.post("/berkas/{dossier_id}/klaim")
async def claim(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    await _form(request)
    c = await run_in_threadpool(_svc(request).claim, account, _dossier_id(dossier_id))
    flash(request, f"Berkas ini Anda kerjakan sampai {wib(c.expires_at, '%H:%M')}.")
    return _back(dossier_id)


@router.post("/berkas/{dossier_id}/lepas")
async def release(request: Request, dossier_id: str) -> Response:
    account = current_account(request)
    await _form(request)
    await run_in_threadpool(_svc(request).release, account, _dossier_id(dossier_id))
    flash(request, "Berkas dilepas.")
    return RedirectResponse("/antrean", status_code=303)


OVERRIDE_PREFIX = "alasan__"  # one reason field per overridden check: alasan__<check id>


async def _decide(request: Request, dossier_id: str, decision: str) -> Response:
    account = current_account(request)
    form = await _form(request)
    overrides = {k[len(OVERRIDE_PREFIX):]: str(v) for k, v in form.multi_items()
                 if k.startswith(OVERRIDE_PREFIX) and isinstance(v, str)}
    svc = _svc(request)
    await run_in_threadpool(
        svc.decide, account, _dossier_id(dossier_id), decision,
        reason=str(form.get("reason", "")), documents=[str(x) for x in form.getlist("documents")
                                                       if str(x) in REQUESTABLE],
        overrides=overrides, grounds=[str(x) for x in form.getlist("dasar")],
        confirmed=form.get("konfirmasi") == "ya",
    )
    message = f"Keputusan tersimpan: {DECISIONS[decision]}."
    if form.get("lanjut") == "ya":
        nxt = await run_in_threadpool(next_open, svc, account, dossier_id)
        if nxt is None:
            flash(request, message + " Tidak ada berkas lain yang menunggu.")
            return RedirectResponse("/antrean", status_code=303)
        try:  # claim-and-next: the next dossier is the verifier's until the claim expires
            c = await run_in_threadpool(svc.claim, account, nxt)
            flash(request, message + f" Ini berkas berikutnya di antrean; Anda mengerjakannya sampai "
                                     f"{wib(c.expires_at, '%H:%M')}.")
        except ReviewError:  # taken by someone else a moment ago: shown, not claimed
            flash(request, message + " Ini berkas berikutnya di antrean.")
        return _back(nxt)
    flash(request, message)
    return _back(dossier_id)


def next_open(svc, account: Account, after: str | None = None) -> str | None:
    """The oldest undecided dossier of the account's queue that nobody else is working on (not `after`)."""
    page = 1
    while True:
        q = build_queue(svc.store, svc.db, svc.claims, account, QueueFilter(), page=page, page_size=100,
                        refresh=page == 1)
        for item in q.items:
            if item.dossier_id != after and (item.claim is None or item.claim.username == account.username):
                return item.dossier_id
        if page * 100 >= q.total:
            return None
        page += 1


@router.get("/berkas/{dossier_id}/setujui")
async def approve_form(request: Request, dossier_id: str) -> Response:
    return await _confirm_page(request, dossier_id, "MS")


@router.get("/berkas/{dossier_id}/tolak")
async def reject_form(request: Request, dossier_id: str) -> Response:
    return await _confirm_page(request, dossier_id, "TMS")


async def _confirm_page(request: Request, dossier_id: str, decision: str) -> Response:
    """The confirmation before MS or TMS: what the decision goes against (MS) or rests on (TMS)."""
    account = current_account(request)
    view = await run_in_threadpool(_svc(request).view, account, _dossier_id(dossier_id))
    problems = [c for c in view.result.checks if c.status != CheckStatus.PASS]
    min_conf = await run_in_threadpool(_min_conf, _svc(request))
    return render(request, "decide.html", account, v=view, decision=decision, problems=problems,
                  decisions=DECISIONS, min_conf=min_conf, show_nik=_show_nik(account), override_prefix=OVERRIDE_PREFIX,
                  doc_index={(d.file, d.page): i for i, d in enumerate(view.result.documents)})


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
    flash(request, "Koreksi tersimpan; pemeriksaan diulang. Status sekarang: "
                   f"{STATUS_LABELS.get(new.status.value, '-')}.")
    return _back(dossier_id)


def _waiting_text(svc, job: str | None) -> str:
    """Where a re-processing stands, for the verifier."""
    if not job:
        return "akan dibaca pada pemrosesan berikutnya (antrean pemrosesan tidak tersambung ke aplikasi ini)."
    position = svc.position(job) if svc.position is not None else None
    if position is None:
        return "masuk antrean pemrosesan dan sedang atau segera diproses."
    return f"masuk antrean pemrosesan: nomor {position} dalam antrean."


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
    svc = _svc(request)
    entry = await run_in_threadpool(svc.upload, account, _dossier_id(dossier_id), upload_file.filename or "", data)
    where = await run_in_threadpool(_waiting_text, svc, entry.get("job_id"))
    flash(request, "Pindaian tersimpan dan " + where + " Halaman ini menampilkan hasilnya begitu selesai.")
    return _back(dossier_id)


@router.post("/berkas/{dossier_id}/halaman/{index}/jenis")
async def set_page_type(request: Request, dossier_id: str, index: int) -> Response:
    """Give a page its document type by hand; the page is read again as that type and the checks re-run."""
    account = current_account(request)
    form = await _form(request)
    svc = _svc(request)
    done = await run_in_threadpool(svc.set_page_type, account, _dossier_id(dossier_id), index,
                                   str(form.get("jenis", "")))
    where = await run_in_threadpool(_waiting_text, svc, done["job_id"])
    flash(request, "Jenis halaman disimpan; halaman dibaca ulang sebagai jenis itu dan pemeriksaan diulang: " + where)
    return _back(dossier_id)


@router.get("/berkas/{dossier_id}/keadaan")
async def dossier_state(request: Request, dossier_id: str) -> Response:
    """When the dossier's result was processed (JSON): the dossier page polls it while a re-processing waits."""
    account = current_account(request)
    state = await run_in_threadpool(_svc(request).state, account, _dossier_id(dossier_id))
    return JSONResponse(state, headers={"Cache-Control": "no-store"})
