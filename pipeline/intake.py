"""Intake: from a dossier folder (or a zip of dossier folders) to pages and file errors.

- `load_pages(name, data, *, sha256, limits)` never raises for bad input: every problem becomes a
  `FileError` with a reason code from `errors.FILE_REASONS` and a Bahasa message; the bytes are never
  altered. It decodes in this process's long-lived decode child (`pipeline.decode_guard`: RLIMIT_AS,
  wall-clock timeout -> DECODE_TIMEOUT); `guarded=False` decodes in-process.
- `read_registration(data, *, folder_name)` raises `RegistrationMissing` / `RegistrationInvalid`.
- `iter_dossier_folders(path, skipped=...)` yields `(dossier_id, folder)` for a folder or a .zip in the
  contract layout; `scan_files(folder, limits=...)` lists a dossier's scan files (both in pipeline/walk.py:
  what they leave out is listed, with the reason).
Limits and what each guards: docs/limits.md.
"""

from __future__ import annotations

import json
import logging

from pydantic import ValidationError

from config.settings import Limits
from models.contract import FileError, Registration
from pipeline.context import PageInput
from pipeline.decode import decode_file, file_error  # noqa: F401 - file_error: part of this module's face (tests)
from pipeline.decode_guard import GuardUnavailable, _decode_safely, decode_guarded
from pipeline.errors import RegistrationInvalid, RegistrationMissing
from pipeline.walk import REGISTRATION_FILE, Skipped, iter_dossier_folders, scan_files

__all__ = ["REGISTRATION_FILE", "Skipped", "iter_dossier_folders", "load_pages", "read_registration", "scan_files"]

log = logging.getLogger(__name__)  # files are named by sha256 prefix: file names may hold personal names

MAX_REGISTRATION_BYTES = 64 * 1024


def load_pages(
    name: str, data: bytes, *, sha256: str, limits: Limits, guarded: bool = True
) -> tuple[list[PageInput], list[FileError]]:
    """Pages of one submitted file and the errors met; a rejected file gives ([], [its error]).

    By default decoding runs in this process's shared `DecodeGuard` child (address space and wall
    time limited; DECODE_TIMEOUT after limits.decode_seconds). `guarded=False`, or a guard child that
    cannot start at all, decodes in this process, protected by the header checks only (docs/limits.md).
    """
    if guarded:
        try:
            return decode_guarded(name, data, sha256=sha256, limits=limits)
        except GuardUnavailable as e:
            log.error("decode guard unavailable (%s); decoding sha256:%.12s in-process", e.detail, sha256)
    return _decode_safely(decode_file, name, data, sha256, limits)


def registration_too_large(size: int) -> RegistrationInvalid:
    error = RegistrationInvalid(f"{REGISTRATION_FILE} is {size} bytes (max {MAX_REGISTRATION_BYTES})")
    error.message_id = (f"registration.json terlalu besar ({size // 1024} KB; batas {MAX_REGISTRATION_BYTES // 1024} KB)."
                        " Periksa isinya dan kirim ulang.")
    return error


# ---- registration.json -----------------------------------------------------------------------


def read_registration(data: bytes | None, *, folder_name: str) -> Registration:
    """The dossier's registration. The message of a raised error never repeats the file's values
    (they are personal data): it names fields and error kinds only."""
    if data is None:
        raise RegistrationMissing(f"{REGISTRATION_FILE} not found in {folder_name!r}")
    if len(data) > MAX_REGISTRATION_BYTES:
        raise registration_too_large(len(data))
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise RegistrationInvalid("not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise RegistrationInvalid(f"not valid JSON (line {e.lineno}, column {e.colno})") from e
    except RecursionError:  # `[[[[...` nested deeper than the parser's stack: not a registration either
        raise RegistrationInvalid("JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise RegistrationInvalid(f"JSON {type(raw).__name__} instead of an object")
    try:
        reg = Registration.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or '(root)'}: {err['type']}" for err in e.errors())
        error = RegistrationInvalid(problems)
        fields = ", ".join(sorted({".".join(map(str, err["loc"])) or "(isi)" for err in e.errors()}))
        error.message_id = (f"registration.json tidak valid pada isian: {fields}. Periksa isinya (NIK 16 angka 0-9, "
                            f"nama paling panjang 200 huruf, nomor TPS 1-3 angka) dan kirim ulang.")
        raise error from None
    if reg.dossier_id != folder_name:
        raise RegistrationInvalid(f"dossier_id {reg.dossier_id!r} differs from folder name {folder_name!r}")
    return reg
