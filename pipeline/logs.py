"""Log output for people and for machines, with the job's correlation ids and personal data masked.

- `configure_logging(level=..., fmt="text"|"json")` is called by entry points only (the `berkas` command);
  library code just logs. `json` writes one JSON object per line (`ts`, `level`, `logger`, `msg`, the context
  fields, `exc`), for a log shipper; `text` is one readable line per record, the context appended.
- `log_context(**fields)` adds fields (worker, job_id, dossier_id) to every record emitted inside it, from any
  logger, including RQ's own: the worker opens it around each job, and a forked work horse inherits it.
- `personal_values(nik=..., nama=..., tanggal_lahir=...)` names the current registration's personal data; while
  it is open every message and traceback is searched for those values in their common spellings (case, spacing,
  date formats with month names from config/vocab) and they are replaced by `[disamarkan]`. Independently, any
  run of 16 digits (a NIK's shape) is masked everywhere. Masking happens in the formatters, so it covers
  messages, arguments and exception text alike, whatever module logged them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import IO, Any, Literal

__all__ = ["configure_logging", "log_context", "personal_values", "redact"]

MASK = "[disamarkan]"
NIK_SHAPE = re.compile(r"(?<!\d)\d{16}(?!\d)")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CONTEXT_KEYS = ("worker", "job_id", "dossier_id")  # written in this order; others follow

_context: ContextVar[dict[str, str]] = ContextVar("berkas_log_context", default={})  # noqa: B039 - never mutated
_personal: ContextVar[re.Pattern[str] | None] = ContextVar("berkas_log_personal", default=None)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add `fields` (None values left out) to every record emitted inside the block."""
    token = _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    return dict(_context.get())


@contextmanager
def personal_values(*, nik: str | None = None, nama: str | None = None,
                    tanggal_lahir: date | str | None = None) -> Iterator[None]:
    """Mask these values (of the registration being processed) in every record emitted inside the block."""
    token = _personal.set(_personal_pattern(nik, nama, tanggal_lahir))
    try:
        yield
    finally:
        _personal.reset(token)


def redact(text: str) -> str:
    """`text` with the current personal values and every 16-digit run replaced by MASK."""
    pattern = _personal.get()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return NIK_SHAPE.sub(MASK, text)


def _personal_pattern(nik: str | None, nama: str | None, born: date | str | None) -> re.Pattern[str] | None:
    alternatives: list[str] = []
    if nik and nik.strip():
        digits = re.sub(r"\D", "", nik)
        if len(digits) >= 6:
            alternatives.append(r"[\s.-]?".join(map(re.escape, digits)))  # also "3575 0245 ..." and "3575-02..."
    if nama and nama.strip():
        words = [w for w in re.split(r"[^\w']+", nama) if w]
        if words:
            alternatives.append(r"[\W_]+".join(map(re.escape, words)))  # "SITI AMINAH", "siti_aminah", "Siti-Aminah"
            alternatives += [re.escape(w) for w in words if len(w) >= 3]  # each part alone, e.g. "Aminah, Siti"
    if born:
        alternatives += _date_spellings(born)
    if not alternatives:
        return None
    # Longest first, so a full spelling is masked whole rather than piece by piece; no letter or digit may
    # touch a match (a name part inside a longer word is left alone, but "KTP_SITI" is still masked).
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])", re.IGNORECASE)


def _date_spellings(born: date | str) -> list[str]:
    try:
        d = born if isinstance(born, date) else date.fromisoformat(str(born)[:10])
    except ValueError:
        return [re.escape(str(born))]
    from pipeline.normalise import load_vocab

    month_names = [re.escape(n) for n in load_vocab()["months"].get(d.month, [])]
    day, month = rf"0?{d.day}", rf"0?{d.month}"
    year = rf"(?:{d.year}|{d.year % 100:02d})"
    sep = r"[\s./-]*"
    mon = "(?:" + "|".join([month, *month_names]) + ")"
    return [
        rf"{day}{sep}{mon}{sep}{year}",  # 05-06-1999, 5/6/99, 05061999, 5 Juni 1999
        rf"{d.year}{sep}{month}{sep}{day}",  # 1999-06-05, 19990605
        rf"{mon}{sep}{day},?{sep}{d.year}",  # June 5, 1999
        rf"{d.day + 40}{d.month:02d}{d.year % 100:02d}",  # the date part of a woman's NIK (day + 40)
    ]


# ---- formatters ----------------------------------------------------------------------------------


class _Redacting(logging.Formatter):
    def _parts(self, record: logging.LogRecord) -> tuple[str, str | None]:
        message = redact(record.getMessage())
        exc = None
        if record.exc_info:
            exc = self.formatException(record.exc_info)
        elif record.exc_text:
            exc = record.exc_text
        if record.stack_info:
            exc = (exc + "\n" if exc else "") + self.formatStack(record.stack_info)
        return message, (redact(exc) if exc else None)


class TextFormatter(_Redacting):
    """`time LEVEL logger message [worker=.. job_id=.. dossier_id=..]`, traceback below."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        message, exc = self._parts(record)
        ctx = _ordered(getattr(record, "berkas", None) or current_context())
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {message}"
        if ctx:
            line += " [" + " ".join(f"{k}={v}" for k, v in ctx.items()) + "]"
        return line + ("\n" + exc if exc else "")


class JsonFormatter(_Redacting):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, msg, the context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        message, exc = self._parts(record)
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
            "pid": record.process,
        }
        out.update(_ordered(getattr(record, "berkas", None) or current_context()))
        if exc:
            out["exc"] = exc
        return json.dumps(out, ensure_ascii=False)


def _ordered(ctx: dict[str, str]) -> dict[str, str]:
    return {**{k: ctx[k] for k in CONTEXT_KEYS if k in ctx}, **{k: v for k, v in ctx.items() if k not in CONTEXT_KEYS}}


class ContextFilter(logging.Filter):
    """Stamps the context of the emitting thread on the record (a handler may format it elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "berkas"):
            record.berkas = current_context()
        return True


def make_handler(fmt: Literal["text", "json"] = "text", stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(*, level: int = logging.WARNING, fmt: Literal["text", "json"] = "text",
                      stream: IO[str] | None = None) -> logging.Handler:
    """Send every record at `level` or above to one stream handler on the root logger, formatted as `fmt`. For
    entry points; returns the handler. Called again, it replaces its own handler and leaves others' alone (a
    test runner's capture handlers, say)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "berkas", False)]:
        root.removeHandler(old)
    handler = make_handler(fmt, stream)
    handler.berkas = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
