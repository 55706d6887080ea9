"""Intake: from a dossier folder (or a zip of dossier folders) to pages and file errors.

- `load_pages(name, data, *, sha256, limits)` never raises for bad input: every problem becomes a
  `FileError` with a reason code from `errors.FILE_REASONS` and a Bahasa message; the bytes are never
  altered. It decodes in this process's long-lived decode child (`pipeline.decode_guard`: RLIMIT_AS,
  wall-clock timeout -> DECODE_TIMEOUT); `guarded=False` decodes in-process.
- `read_registration(data, *, folder_name)` raises `RegistrationMissing` / `RegistrationInvalid`.
- `iter_dossier_folders(path)` yields `(dossier_id, folder)` for a folder or a .zip in the contract
  layout; `scan_files(folder, limits=...)` lists a dossier's scan files.
Limits and what each guards: docs/limits.md.
"""

from __future__ import annotations

import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from config.settings import Limits
from models.contract import FileError, Registration
from pipeline.context import PageInput
from pipeline.decode import decode_file, file_error
from pipeline.decode_guard import GuardUnavailable, _decode_safely, decode_guarded
from pipeline.errors import InputError, RegistrationInvalid, RegistrationMissing

__all__ = ["REGISTRATION_FILE", "iter_dossier_folders", "load_pages", "read_registration", "scan_files"]

log = logging.getLogger(__name__)  # files are named by sha256 prefix: file names may hold personal names

MAX_REGISTRATION_BYTES = 64 * 1024
REGISTRATION_FILE = "registration.json"
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 8 * 1024**3  # total uncompressed size of an input archive
MAX_ZIP_RATIO = 200  # uncompressed / compressed per member, above 1 MiB


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


# ---- registration.json -----------------------------------------------------------------------


def read_registration(data: bytes | None, *, folder_name: str) -> Registration:
    """The dossier's registration. The message of a raised error never repeats the file's values
    (they are personal data): it names fields and error kinds only."""
    if data is None:
        raise RegistrationMissing(f"{REGISTRATION_FILE} not found in {folder_name!r}")
    if len(data) > MAX_REGISTRATION_BYTES:
        raise RegistrationInvalid(f"{REGISTRATION_FILE} is {len(data)} bytes (max {MAX_REGISTRATION_BYTES})")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise RegistrationInvalid("not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise RegistrationInvalid(f"not valid JSON (line {e.lineno}, column {e.colno})") from e
    if not isinstance(raw, dict):
        raise RegistrationInvalid(f"JSON {type(raw).__name__} instead of an object")
    try:
        reg = Registration.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or '(root)'}: {err['type']}" for err in e.errors())
        raise RegistrationInvalid(problems) from None
    if reg.dossier_id != folder_name:
        raise RegistrationInvalid(f"dossier_id {reg.dossier_id!r} differs from folder name {folder_name!r}")
    return reg


# ---- dossier folders and input archives --------------------------------------------------------


def iter_dossier_folders(
    path: Path, *, max_members: int = MAX_ZIP_MEMBERS, max_total_bytes: int = MAX_ZIP_BYTES
) -> Iterator[tuple[str, Path]]:
    """(dossier_id, folder) for each dossier under `path`: a folder of dossier folders, one dossier
    folder (it holds registration.json), or a .zip of either. Single wrapper folders (e.g. `input/`)
    are descended. A zip is checked in full (names, symlinks, member count, sizes) before anything is
    extracted to a temporary folder that lives while the iterator does; an unsafe archive raises
    `InputError` with code ARCHIVE_UNSAFE (ARCHIVE_INVALID when it is not a readable zip).
    """
    path = Path(path)
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="berkas-zip-") as tmp:
            root = Path(tmp)
            _extract_zip(path, root, max_members=max_members, max_total_bytes=max_total_bytes)
            yield from _dossiers(root, name_if_flat=path.stem)
        return
    if not path.is_dir():
        raise InputError(f"{path} is neither a folder nor a file", code="INPUT_NOT_FOUND")
    yield from _dossiers(path, name_if_flat=path.name)


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name != "__MACOSX"


def _subdirs(p: Path) -> list[Path]:
    return sorted(c for c in p.iterdir() if _visible(c) and c.is_dir() and not c.is_symlink())


def _dossiers(root: Path, *, name_if_flat: str) -> Iterator[tuple[str, Path]]:
    while not (root / REGISTRATION_FILE).exists():
        subs = _subdirs(root)
        files = [c for c in root.iterdir() if _visible(c) and not c.is_dir()]
        if len(subs) == 1 and not files and _subdirs(subs[0]) and not (subs[0] / REGISTRATION_FILE).exists():
            root = subs[0]
            continue
        break
    subs = _subdirs(root)
    if (root / REGISTRATION_FILE).exists() or not subs:
        yield (name_if_flat if root.name.startswith("berkas-zip-") else root.name), root
        return
    for sub in subs:
        yield sub.name, sub


def _unsafe(detail: str) -> InputError:
    return InputError(detail, code="ARCHIVE_UNSAFE")


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise _unsafe(f"member name {info.filename!r} leaves the archive folder")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise _unsafe(f"member {info.filename!r} is a symbolic link")
    return PurePosixPath(name)


def _extract_zip(archive: Path, root: Path, *, max_members: int, max_total_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"{archive.name}: not a readable zip ({e})", code="ARCHIVE_INVALID") from e
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise _unsafe(f"{len(infos)} members (max {max_members})")
        declared = 0
        for info in infos:
            _member_path(info)
            declared += info.file_size
            if info.file_size > 1024**2 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                raise _unsafe(f"member {info.filename!r} expands {info.file_size} bytes from {info.compress_size}")
        if declared > max_total_bytes:
            raise _unsafe(f"{declared} bytes uncompressed (max {max_total_bytes})")
        written = 0
        for info in infos:
            target = root.joinpath(*_member_path(info).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(1024**2):
                        written += len(chunk)
                        if written > max_total_bytes:
                            raise _unsafe(f"more than {max_total_bytes} bytes uncompressed")
                        dst.write(chunk)
            except FileExistsError as e:
                raise _unsafe(f"member {info.filename!r} appears twice") from e
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as e:
                raise InputError(f"member {info.filename!r} unreadable ({e})", code="ARCHIVE_INVALID") from e


def scan_files(folder: Path, *, limits: Limits) -> tuple[list[tuple[str, Path]], list[FileError]]:
    """The scan files of one dossier folder as (name, path), names relative to the folder (posix),
    sorted; registration.json and hidden files are left out. Symbolic links, files beyond
    limits.max_files_per_dossier and files over limits.max_file_bytes come back as FileErrors
    (so nobody reads a huge file into memory just to reject it)."""
    files: list[tuple[str, Path]] = []
    errors: list[FileError] = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts) or rel.as_posix() == REGISTRATION_FILE:
            continue
        name = rel.as_posix()
        if p.is_symlink():
            errors.append(file_error(name, "FILE_UNSUPPORTED", message="Tautan simbolik (symlink) tidak diterima."))
        elif not p.is_file():
            continue
        elif len(files) >= limits.max_files_per_dossier:
            msg = f"Jumlah file melebihi batas ({limits.max_files_per_dossier} per berkas); file ini tidak diperiksa."
            errors.append(file_error(name, "FILE_UNSUPPORTED", message=msg))
        elif p.stat().st_size > limits.max_file_bytes:
            errors.append(file_error(name, "FILE_TOO_LARGE"))
        else:
            files.append((name, p))
    return files, errors
