"""HTTP plumbing shared by the routes: sessions, the signed-in account, CSRF, flash messages, templates."""

from __future__ import annotations

import hmac
import re
import secrets
import time
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from pipeline.nik import mask_nik
from review import labels
from review.accounts import ROLE_LABEL, Account
from review.audit import ACTION_LABELS

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["mask_nik"] = mask_nik
_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_digits(text: str | None, show: bool = False) -> str:
    """Text with every 16-digit run (a NIK) masked, unless the reader may see whole NIKs."""
    if show or not text:
        return text or ""
    return _NIK_IN_TEXT.sub(lambda m: mask_nik(m[0]), text)


templates.env.filters["mask_digits"] = mask_digits
templates.env.globals["ROLE_LABEL"] = ROLE_LABEL
templates.env.globals["ACTION_LABELS"] = ACTION_LABELS

STATUS_LABELS = {
    "complete": "Lengkap", "incomplete": "Belum lengkap", "not_eligible": "Tidak memenuhi syarat",
    "needs_review": "Perlu diperiksa",
}
DOC_LABELS = {"ktp": "KTP-el", "ijazah": "Ijazah", "surat_sehat": "Surat keterangan sehat", "unknown": "Tidak dikenal"}
CHECK_LABELS = {"pass": "lolos", "fail": "gagal", "review": "perlu diperiksa"}
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, DOC_LABELS=DOC_LABELS, CHECK_LABELS=CHECK_LABELS)
templates.env.filters.update(labels.FILTERS)
templates.env.globals.update(DECISION_NAMES=labels.DECISION_NAMES, ROLE_NAMES=labels.ROLE_NAMES)


class LoginRequired(Exception):
    """Raised by `current_account` when nobody (or a disabled account) is signed in."""


class CsrfFailed(Exception):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form_token: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not form_token or not hmac.compare_digest(str(expected), str(form_token)):
        raise CsrfFailed()


def current_account(request: Request) -> Account:
    username = request.session.get("u")
    issued = request.session.get("t", 0)
    app = request.app
    if not username or time.time() - issued > app.state.review_settings.session_hours * 3600:
        raise LoginRequired()
    account = app.state.accounts.get(username)
    if account is None or account.disabled or not app.state.sessions.active(username, request.session.get("s")):
        request.session.clear()  # signed out, disabled or expired on the server: the cookie alone is not enough
        raise LoginRequired()
    return account


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = [kind, message]


def render(request: Request, name: str, account: Account | None = None, status_code: int = 200, **ctx):
    ctx.update(request=request, account=account, csrf=csrf_token(request), flash=request.session.pop("flash", None))
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
