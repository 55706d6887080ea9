"""Intake: from a dossier folder (or a zip of dossier folders) to pages and file errors.

- `load_pages(name, data, *, sha256, limits)` never raises for bad input: every problem becomes a
  `FileError` with a reason code from `errors.FILE_REASONS` and a Bahasa message; the bytes are never
  altered. It decodes in this process's long-lived `DecodeGuard` child (RLIMIT_AS, wall-clock
  timeout -> DECODE_TIMEOUT); `guarded=False` decodes in-process. `decode_guarded` is the guarded call.
- `read_registration(data, *, folder_name)` raises `RegistrationMissing` / `RegistrationInvalid`.
- `iter_dossier_folders(path)` yields `(dossier_id, folder)` for a folder or a .zip in the contract
  layout; `scan_files(folder, limits=...)` lists a dossier's scan files.
Limits and what each guards: docs/limits.md.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from config.settings import Limits
from models.contract import FileError, Registration
from pipeline.context import PageInput
from pipeline.decode import decode_file, file_error
from pipeline.errors import BerkasError, FileRejected, InputError, RegistrationInvalid, RegistrationMissing

__all__ = [
    "REGISTRATION_FILE", "DecodeGuard", "decode_guarded", "iter_dossier_folders", "load_pages",
    "read_registration", "scan_files",
]

log = logging.getLogger(__name__)  # files are named by sha256 prefix: file names may hold personal names

Decoded = tuple[list[PageInput], list[FileError]]
Decoder = Callable[[str, bytes, str, Limits], Decoded]

DEFAULT_MEMORY_BYTES = 3 * 1024**3  # address space of the decode child (RLIMIT_AS)
START_SECONDS = 60.0  # for the decode child to import its libraries and answer "ready"
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


def _decode_safely(decoder: Decoder, name: str, data: bytes, sha256: str, limits: Limits) -> Decoded:
    try:
        return decoder(name, data, sha256, limits)
    except FileRejected as e:
        log.info("file sha256:%.12s rejected: %s (%s)", sha256, e.code, e.detail)
        return [], [file_error(name, e.code)]
    except MemoryError:
        log.warning("file sha256:%.12s: out of memory while decoding", sha256)
        return [], [file_error(name, "IMAGE_TOO_LARGE")]
    except Exception:  # noqa: BLE001 - the contract: a hostile file never stops the run
        log.exception("file sha256:%.12s: unexpected decoder failure, recorded as FILE_CORRUPT", sha256)
        return [], [file_error(name, "FILE_CORRUPT")]


# ---- the guarded decoder ---------------------------------------------------------------------


class GuardUnavailable(BerkasError):
    """The decode child could not be started (not a property of any file)."""

    code = "DECODE_GUARD_UNAVAILABLE"
    message_id = "Proses pembuka file tidak dapat dijalankan."


def _child_entry(fd: int) -> None:
    """Main of the helper child (`python -c`): receives (memory_bytes, decoder), answers "ready",
    then answers each (name, data, sha256, limits) job with the decoded result; None or EOF ends it."""
    conn = Connection(fd)
    memory_bytes, decoder = conn.recv()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        _send_result(conn, _decode_safely(decoder, *job))


# Pixel arrays travel out of band: pickle protocol 5 hands their buffers over uncopied, and they go
# through the socket raw (sendall / recv_into a bytearray), so each is copied once per direction.


def _send_result(conn: Connection, result: Decoded) -> None:
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    conn.send((head, [r.nbytes for r in raws]))
    sock = socket.socket(fileno=conn.fileno())
    try:
        for raw in raws:
            sock.sendall(raw)
    finally:
        sock.detach()  # the connection keeps owning the descriptor


def _recv_result(conn: Connection) -> Decoded:
    head, sizes = conn.recv()
    buffers = []
    sock = socket.socket(fileno=conn.fileno())
    try:
        for size in sizes:
            buf = bytearray(size)
            view, got = memoryview(buf), 0
            while got < size:
                n = sock.recv_into(view[got:])
                if n == 0:
                    raise EOFError("decode child closed the connection")
                got += n
            buffers.append(buf)
    finally:
        sock.detach()
    return pickle.loads(head, buffers=buffers)


# State of a guard channel shared across fork (one byte in a MAP_SHARED page, seen by both processes).
_IDLE, _BUSY, _BROKEN = 0, 1, 2


class DecodeGuard:
    """One long-lived decode child per process: RLIMIT_AS on its address space and a wall-clock timeout.

    A timeout kills the child (the file gets DECODE_TIMEOUT) and the next call starts a fresh one;
    a child that dies (crash, hard memory kill) gives FILE_CORRUPT and is restarted too. The child is
    a fresh interpreter (`python -c`, not fork), so it inherits no threads or locks and never
    re-imports the caller's `__main__`. `decoder` must be importable by name (a module-level function).

    Across fork: by default a forked process refuses the guard it inherits and starts its own child.
    After `share_with_forks()` a forked process (an RQ work horse) adopts the parent's child instead, so
    no job pays an interpreter start. That is safe only with one forked user at a time (RQ runs one
    horse per worker) and with the parent calling `ready_for_fork()` before each fork: a shared byte
    records whether a request is in flight, so a horse killed mid-request (or one that met a timeout or
    a dead child) leaves BUSY/BROKEN behind, and the parent then replaces the child before the next
    horse could read a stale answer or write into a half-sent request.
    """

    def __init__(self, *, memory_bytes: int = DEFAULT_MEMORY_BYTES, decoder: Decoder = decode_file) -> None:
        self.memory_bytes = memory_bytes
        self.decoder = decoder
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._state: mmap.mmap | None = None  # set by share_with_forks()
        self._adopted = False  # this process uses a child started by its parent
        self._sharer = 0  # pid of the process that called share_with_forks(); only its own children adopt

    # -- sharing with forked work horses (the parent's side) --

    def share_with_forks(self) -> None:
        """Let processes forked from now on adopt this guard's child (call in the parent, before forking)."""
        if self._state is None:
            self._state = mmap.mmap(-1, 1)  # anonymous and MAP_SHARED: the horse's writes reach the parent
            self._state[0] = _IDLE
        self._sharer = os.getpid()

    def ready_for_fork(self) -> bool:
        """In the parent, before each fork: make sure a clean child waits. Restarts it when the last user
        left a request in flight or the channel broken, or when the child died meanwhile. True when the
        child was (re)started now. Raises GuardUnavailable like `start`."""
        with self._lock:
            dirty = self._state is not None and self._state[0] != _IDLE
            dead = self._proc is not None and self._proc.poll() is not None
            if dirty or dead:
                log.warning("decode child %s after the last job; starting a fresh one",
                            "died" if dead and not dirty else "left mid-request")
                self._stop(graceful=False)
                self.restarts += 1
            if self._state is not None:
                self._state[0] = _IDLE
            running = self._proc is not None
            self._start_locked()
            return not running

    # -- life cycle --

    def start(self) -> None:
        """Start the child unless it runs; raises GuardUnavailable when it cannot get ready."""
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._owner != os.getpid():  # inherited through fork
            self._owner = os.getpid()
            clean = self._state is not None and self._state[0] == _IDLE
            if self._conn is not None and clean and os.getppid() == self._sharer:
                self._adopted = True  # the parent's child, clean: use it (see the class docstring)
                return  # (a grandchild never adopts: its parent, the horse, may be using the channel)
            if self._conn is not None:
                self._conn.close()
            self._proc = self._conn = None
            self._state = None
        if self._proc is not None and (self._adopted or self._proc.poll() is None):
            return
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = f"from pipeline.intake import _child_entry; _child_entry({theirs.fileno()})"
        try:
            with theirs:
                proc = subprocess.Popen(
                    [sys.executable, "-c", code], pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL
                )
        except OSError as e:
            ours.close()
            raise GuardUnavailable(f"cannot run {sys.executable}: {e}") from e
        conn = Connection(ours.detach())
        self._proc, self._conn = proc, conn
        try:
            conn.send((self.memory_bytes, self.decoder))
            if conn.poll(START_SECONDS) and conn.recv() == "ready":
                return
            detail = f"no answer within {START_SECONDS} s"
        except (EOFError, OSError) as e:
            detail = f"child exited ({type(e).__name__}, exit code {proc.poll()})"
        self._stop(graceful=False)
        raise GuardUnavailable(detail)

    def close(self) -> None:
        with self._lock:
            self._stop(graceful=True)

    def _stop(self, *, graceful: bool) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if self._adopted:
            # The parent's child: only the parent can reap it. `close()` just lets go of it; after a
            # failure it is killed so it answers nobody again, the channel is marked broken for the
            # parent, and this process goes on with a child of its own.
            self._adopted = False
            if self._state is not None and not graceful:
                self._state[0] = _BROKEN
            self._state = None
            if conn is not None:
                conn.close()
            if proc is not None and not graceful:
                try:
                    os.kill(proc.pid, signal.SIGKILL)  # not reaped yet (the parent waits for us): pid still its
                except ProcessLookupError:
                    pass
            return
        if conn is not None:
            if graceful:
                try:
                    conn.send(None)
                except OSError:
                    pass
            conn.close()
        if proc is not None:
            try:
                proc.wait(timeout=2 if graceful else 0.01)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> DecodeGuard:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def decode(self, name: str, data: bytes, *, sha256: str, limits: Limits) -> Decoded:
        with self._lock:
            self._start_locked()
            assert self._conn is not None
            state = self._state if self._adopted else None
            try:
                if state is not None:
                    state[0] = _BUSY  # until the whole answer is read: a kill in between leaves BUSY
                self._conn.send((name, data, sha256, limits))
                if self._conn.poll(limits.decode_seconds if limits.decode_seconds > 0 else None):
                    result = _recv_result(self._conn)
                    if state is not None:
                        state[0] = _IDLE
                    return result
                code = "DECODE_TIMEOUT"
                log.warning(
                    "file sha256:%.12s: decoding exceeded %.1f s; restarting the decode child", sha256, limits.decode_seconds
                )
            except (EOFError, OSError) as e:
                code = "FILE_CORRUPT"
                log.warning("file sha256:%.12s: decode child died (%s); restarting it", sha256, type(e).__name__)
            except BaseException:
                # Interrupted mid-request (RQ's job timeout raises in the waiting process): the answer, or half a
                # request, is still in the channel, and the next file must never get it. Drop the child.
                self._stop(graceful=False)
                self.restarts += 1
                raise
            self._stop(graceful=False)
            self.restarts += 1
            return [], [file_error(name, code)]


_shared: DecodeGuard | None = None
_shared_lock = threading.Lock()


def shared_guard() -> DecodeGuard:
    """This process's decode guard; its child starts on first use and lives as long as this process
    (a forked process gets a guard of its own, and the child ends when its parent goes away)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DecodeGuard()
        return _shared


def decode_guarded(
    name: str, data: bytes, *, sha256: str, limits: Limits, guard: DecodeGuard | None = None
) -> Decoded:
    """`load_pages` in the guarded child: same result, plus DECODE_TIMEOUT after limits.decode_seconds."""
    return (guard or shared_guard()).decode(name, data, sha256=sha256, limits=limits)


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
