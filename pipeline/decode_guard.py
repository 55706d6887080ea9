"""The decode guard: hostile scan files are decoded in a separate process, with limits.

A submitted file may be built to hang a decoder, crash it, or make it allocate without end. So
`decode_guarded` hands each file to a long-lived helper child (a fresh interpreter, one per process)
whose address space is capped (RLIMIT_AS) and whose answer is awaited for limits.decode_seconds only:
a file that runs out of time gets DECODE_TIMEOUT, one that kills the child FILE_CORRUPT, and either
way the next file gets a fresh child. Nothing a file does can stop the run.

- `DecodeGuard` is one such child; `shared_guard()` is this process's own. A forking RQ worker shares
  its child with its work horses (`share_with_forks`, `ready_for_fork`), so no job pays an interpreter
  start, and a horse that left the child in a bad state gets it replaced before the next one.
- `GuardUnavailable`: the child could not start at all (`intake.load_pages` then decodes in-process).
Limits and what each guards: docs/limits.md.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

from config.settings import Limits
from models.contract import FileError
from pipeline.context import PageInput
from pipeline.decode import decode_file, file_error
from pipeline.errors import BerkasError, FileRejected

__all__ = ["DecodeGuard", "GuardUnavailable", "decode_guarded", "shared_guard"]

log = logging.getLogger(__name__)  # files are named by sha256 prefix: file names may hold personal names

Decoded = tuple[list[PageInput], list[FileError]]
Decoder = Callable[[str, bytes, str, Limits], Decoded]

DEFAULT_MEMORY_BYTES = 3 * 1024**3  # address space of the decode child (RLIMIT_AS)
START_SECONDS = 60.0  # for the decode child to import its libraries and answer "ready"


class GuardUnavailable(BerkasError):
    """The decode child could not be started (not a property of any file)."""

    code = "DECODE_GUARD_UNAVAILABLE"
    message_id = "Proses pembuka file tidak dapat dijalankan."


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
        code = f"from pipeline.decode_guard import _child_entry; _child_entry({theirs.fileno()})"
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


def own_guard() -> DecodeGuard:
    """In a process forked to work beside its siblings (a pool process of `berkas run`, not an RQ work horse):
    a guard of its own, with a child of its own. Adopting the parent's child is for one horse at a time; two
    pool processes adopting it would interleave their requests on one channel (a sibling reads the other's
    answer). The inherited copy of the parent's channel is closed here; the parent's own stays open."""
    global _shared
    with _shared_lock:
        inherited, _shared = _shared, DecodeGuard()
        if inherited is not None and inherited._owner != os.getpid() and inherited._conn is not None:
            inherited._conn.close()
        return _shared


def decode_guarded(
    name: str, data: bytes, *, sha256: str, limits: Limits, guard: DecodeGuard | None = None
) -> Decoded:
    """`load_pages` in the guarded child: same result, plus DECODE_TIMEOUT after limits.decode_seconds."""
    return (guard or shared_guard()).decode(name, data, sha256=sha256, limits=limits)
