"""Walking an input: from a folder (or a .zip) to dossier folders and their files, with nothing dropped unseen.

Every entry under INPUT ends as a dossier folder, a file of one (a document or a file error later), or a
`Skipped` line that says what was left out and why (printed by `berkas run` / `berkas ingest` and stored
with the batch, docs/limits.md). Left out are only: the operating system's own files (`.DS_Store`, `._*`,
`Thumbs.db`, `desktop.ini`, `__MACOSX/`), loose files beside the dossier folders, folders reached through a
symbolic link, and (in workers/ingest.py) folders whose name cannot be a dossier id.

A folder made by unpacking a Windows zip on Linux can hold files named `D-1\\ktp.jpg` beside the dossier
folders: such names are read as paths (a copy of the input is laid out in a temporary folder first).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from config.settings import Limits
from models.contract import FileError
from pipeline.decode import file_error
from pipeline.errors import InputError
from pipeline.storage.keys import mask_nik

REGISTRATION_FILE = "registration.json"
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 8 * 1024**3  # total uncompressed size of an input archive
MAX_ZIP_RATIO = 200  # uncompressed / compressed per member, above 1 MiB
SYSTEM_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".Spotlight-V100", ".Trashes", ".fseventsd"}

MESSAGES = {
    "SYSTEM_FILE": "File sistem operasi (bukan pindaian); dilewati.",
    "NOT_IN_A_DOSSIER_FOLDER": "File ini tidak berada di dalam folder berkas; setiap berkas harus punya foldernya sendiri.",
    "SYMLINK": "Tautan simbolik (symlink) tidak diikuti; salin folder atau file aslinya ke INPUT.",
    "DOSSIER_ID_INVALID": "Nama folder tidak dapat menjadi ID berkas (hanya huruf A-Z, angka, titik, garis bawah dan "
                          "tanda hubung, diawali huruf atau angka, paling panjang 128); ganti nama foldernya.",
    "NOT_A_FILE": "Bukan file biasa (perangkat, pipa atau soket); dilewati.",
}


@dataclass(frozen=True)
class Skipped:
    """An input entry left out, with its reason code. `path` is relative to INPUT, a NIK in it masked."""

    path: str
    reason: str
    message: str

    @classmethod
    def of(cls, path: str, reason: str) -> Skipped:
        return cls(mask_nik(path), reason, MESSAGES[reason])

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason, "message": self.message}


def is_system_file(name: str) -> bool:
    return name in SYSTEM_NAMES or name.startswith("._")


def iter_dossier_folders(
    path: Path,
    *,
    skipped: list[Skipped] | None = None,
    max_members: int = MAX_ZIP_MEMBERS,
    max_total_bytes: int = MAX_ZIP_BYTES,
) -> Iterator[tuple[str, Path]]:
    """(dossier_id, folder) for each dossier under `path`: a folder of dossier folders, one dossier
    folder (it holds registration.json), or a .zip of either. Single wrapper folders (e.g. `input/`)
    are descended. A zip is checked in full (names, symlinks, member count, sizes) before anything is
    extracted to a temporary folder that lives while the iterator does; an unsafe archive raises
    `InputError` with code ARCHIVE_UNSAFE (ARCHIVE_INVALID when it is not a readable zip). What is left out
    is appended to `skipped`.
    """
    path = Path(path)
    skipped = skipped if skipped is not None else []
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="berkas-zip-") as tmp:
            root = Path(tmp)
            _extract_zip(path, root, max_members=max_members, max_total_bytes=max_total_bytes)
            yield from _dossiers(root, root, name_if_flat=path.stem, skipped=skipped)
        return
    if not path.is_dir():
        raise InputError(f"{path} is neither a folder nor a file", code="INPUT_NOT_FOUND")
    if _has_backslash_names(path):
        with tempfile.TemporaryDirectory(prefix="berkas-input-") as tmp:
            root = Path(tmp) / path.name
            _copy_as_paths(path, root)
            yield from _dossiers(root, root, name_if_flat=path.name, skipped=skipped)
        return
    yield from _dossiers(path, path, name_if_flat=path.name, skipped=skipped)


def _subdirs(p: Path) -> list[Path]:
    return sorted(c for c in p.iterdir() if not is_system_file(c.name) and c.is_dir() and not c.is_symlink())


def _dossiers(top: Path, root: Path, *, name_if_flat: str, skipped: list[Skipped]) -> Iterator[tuple[str, Path]]:
    while not (root / REGISTRATION_FILE).exists():
        subs = _subdirs(root)
        files = [c for c in root.iterdir() if not is_system_file(c.name) and not c.is_dir()]
        if len(subs) == 1 and not files and _subdirs(subs[0]) and not (subs[0] / REGISTRATION_FILE).exists():
            _skip_others(top, root, keep=subs, skipped=skipped)
            root = subs[0]
            continue
        break
    subs = _subdirs(root)
    if (root / REGISTRATION_FILE).exists() or not subs:
        yield (name_if_flat if root == top and top.name.startswith("berkas-zip-") else root.name), root
        return
    _skip_others(top, root, keep=subs, skipped=skipped)
    for sub in subs:
        yield sub.name, sub


def _skip_others(top: Path, folder: Path, *, keep: list[Path], skipped: list[Skipped]) -> None:
    """Record every entry of a folder of dossier folders that is not one of them."""
    for c in sorted(folder.iterdir()):
        if c in keep:
            continue
        rel = c.relative_to(top).as_posix()
        if is_system_file(c.name):
            skipped.append(Skipped.of(rel, "SYSTEM_FILE"))
        elif c.is_symlink():
            skipped.append(Skipped.of(rel, "SYMLINK"))
        elif c.is_file():
            skipped.append(Skipped.of(rel, "NOT_IN_A_DOSSIER_FOLDER"))
        else:
            skipped.append(Skipped.of(rel, "NOT_A_FILE"))


def _has_backslash_names(path: Path) -> bool:
    """A backslash in a name beside the dossier folders (in INPUT, or in its single wrapper folder); inside a
    dossier folder such a name is just a file name (keys.display_name reads it)."""
    entries = list(path.iterdir())
    if any("\\" in c.name for c in entries):
        return True
    return len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() and any(
        "\\" in c.name for c in entries[0].iterdir())


def _copy_as_paths(src: Path, dest: Path) -> None:
    """Copy `src` to `dest`, reading `\\` in a name as a folder separator (empty, `.` and `..` parts dropped).
    Symbolic links are copied as links, so they are still refused later."""
    dest.mkdir(parents=True)
    for p in sorted(src.rglob("*")):
        if p.is_dir() and not p.is_symlink():
            continue
        parts = [q for part in p.relative_to(src).parts for q in part.split("\\") if q not in {"", ".", ".."}]
        if not parts:
            continue
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        n = 2
        while target.exists() or target.is_symlink():  # `a\\b.jpg` beside a real `a/b.jpg`
            target = target.with_name(f"{Path(parts[-1]).stem}-{n}{Path(parts[-1]).suffix}")
            n += 1
        if p.is_symlink():
            target.symlink_to(p.readlink())
        elif p.is_file():
            shutil.copyfile(p, target)


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


def scan_files(
    folder: Path, *, limits: Limits, skipped: list[Skipped] | None = None, prefix: str = ""
) -> tuple[list[tuple[str, Path]], list[FileError]]:
    """The scan files of one dossier folder as (name, path), names relative to the folder (posix, as
    submitted), sorted; registration.json is left out. The operating system's own files go to `skipped`
    (paths under `prefix`). Symbolic links, other non-regular files, files beyond limits.max_files_per_dossier
    and files over limits.max_file_bytes come back as FileErrors (so nobody reads a huge file into memory just
    to reject it)."""
    files: list[tuple[str, Path]] = []
    errors: list[FileError] = []
    skipped = skipped if skipped is not None else []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        name = rel.as_posix()
        if name == REGISTRATION_FILE:
            continue
        if any(is_system_file(part) for part in rel.parts):
            if is_system_file(rel.parts[-1]) and not any(is_system_file(part) for part in rel.parts[:-1]):
                skipped.append(Skipped.of(prefix + name, "SYSTEM_FILE"))
            continue  # a system folder is listed once, not file by file
        if p.is_symlink():
            errors.append(file_error(name, "FILE_UNSUPPORTED", message="Tautan simbolik (symlink) tidak diterima."))
        elif p.is_dir():
            continue
        elif not p.is_file():
            errors.append(file_error(name, "FILE_UNSUPPORTED", message=MESSAGES["NOT_A_FILE"]))
        elif len(files) >= limits.max_files_per_dossier:
            msg = f"Jumlah file melebihi batas ({limits.max_files_per_dossier} per berkas); file ini tidak diperiksa."
            errors.append(file_error(name, "FILE_UNSUPPORTED", message=msg))
        elif p.stat().st_size > limits.max_file_bytes:
            errors.append(file_error(name, "FILE_TOO_LARGE"))
        else:
            files.append((name, p))
    return files, errors


__all__ = ["REGISTRATION_FILE", "Skipped", "is_system_file", "iter_dossier_folders", "scan_files"]
