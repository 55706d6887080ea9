"""Request-body limits of the review app, enforced before anything parses the body.

`BodyLimit` is a plain ASGI middleware. A declared `Content-Length` over the route's limit is answered
413 at once, without reading a byte. A body without a length (chunked) or a client that sends more than it
declared is counted as it streams in; the first chunk past the limit aborts the request with 413, so a
form parser (and the CSRF check behind it) never spools more than the limit to memory or disk.

Limits (review.settings): `max_login_bytes` for the anonymous login form, `max_upload_bytes` for the
upload route (one scan of at most `Limits.max_file_bytes` plus the multipart envelope), `max_form_bytes`
for every other request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

UPLOAD_PATH = re.compile(r"^/berkas/[^/]+/unggah$")
LOGIN_PATH = "/masuk"
UPLOAD_ENVELOPE = 64 * 1024  # multipart boundaries and the other fields, beside the file itself


class BodyTooLarge(Exception):
    """Raised from the wrapped `receive` when a streamed body passes its limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, *, form_bytes: int, login_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.form_bytes = form_bytes
        self.login_bytes = login_bytes
        self.upload_bytes = upload_bytes

    def limit_for(self, path: str) -> int:
        if path == LOGIN_PATH:
            return self.login_bytes
        if UPLOAD_PATH.match(path):
            return self.upload_bytes
        return self.form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.warning("request body refused before reading: %s bytes declared on %s (limit %s)",
                        declared, scope.get("path", ""), limit)
            await _too_large(send, limit, scope.get("path", ""))
            return
        # a client may not send more than it declared either
        cap = limit if declared is None else declared

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except* BodyTooLarge:  # starlette's BaseHTTPMiddleware may hand it back inside an exception group
            log.warning("request body aborted past its limit on %s (limit %s)", scope.get("path", ""), limit)
            if not started:
                await _too_large(send, limit, scope.get("path", ""))


def _content_length(scope: Scope) -> int | None:
    """The declared length; a malformed one counts as larger than any limit."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                n = int(value)
            except ValueError:
                return 1 << 62
            return n if n >= 0 else 1 << 62
    return None


async def _too_large(send: Send, limit: int, path: str) -> None:
    """413 as a small page in Bahasa; from the upload route, with a link back to the dossier."""
    upload = UPLOAD_PATH.match(path)
    if upload:
        mb = max(1, (limit - UPLOAD_ENVELOPE) // (1024 * 1024))
        text = (f"File terlalu besar: batasnya {mb} MB per pindaian. Kecilkan filenya (misalnya foto ulang dengan "
                "resolusi lebih rendah) atau pisahkan per dokumen, lalu unggah lagi.")
        back = quote(path.rsplit("/", 1)[0], safe="/")
    else:
        text = f"Permintaan terlalu besar (batasnya {max(1, limit // 1024)} KB)."
        back = "/"
    body = (f'<!doctype html><html lang="id"><meta charset="utf-8"><title>Terlalu besar</title>'
            f'<p>{escape(text)}</p><p><a href="{escape(back)}">Kembali</a></p></html>').encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
    ]})
    await send({"type": "http.response.body", "body": body})
