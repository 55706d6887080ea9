"""The decode guard shared with forked processes (RQ work horses): adopted, never reused in a bad state.

Each test forks a "horse" with os.fork, as RQ's Worker does; the horse reports what it saw through a pipe
as one JSON line and leaves with os._exit. The parent plays the worker: `ready_for_fork()` before a fork.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time

import numpy as np
import pytest
from PIL import Image

from config.settings import Limits
from pipeline import decode_guard
from pipeline.decode import decode_file

LIMITS = Limits.model_construct()


def _decoder(name, data, sha256, lim):
    """Decoder run in the guard child: special payloads hang, crash or over-allocate."""
    if data == b"HANG":
        time.sleep(120)
    if data == b"CRASH":
        os._exit(3)
    if data == b"GREEDY":
        np.empty(2 * 1024**3, dtype=np.uint8)
    if data == b"SLOW":  # answers late, with a page of its own
        time.sleep(1.0)
        return decode_file(name, png(), sha256, lim)
    return decode_file(name, data, sha256, lim)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def guard():
    g = decode_guard.DecodeGuard(memory_bytes=1536 * 1024**2, decoder=_decoder)
    g.share_with_forks()
    g.ready_for_fork()
    yield g
    g.close()


def run_forked(work) -> tuple[int, object]:
    """Fork; in the child run `work()` and send its JSON result back through a pipe, then exit. Returns the
    child's exit status and the result (None when the child sent nothing)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            os.write(write_end, (json.dumps(work()) + "\n").encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        line = fh.readline()
    _, status = os.waitpid(pid, 0)
    return status, (json.loads(line) if line else None)


def in_horse(guard, *requests: tuple[bytes, float]) -> tuple[int, list[dict]]:
    """Fork; in the child decode each (payload, decode_seconds) with `guard`, report, exit. Returns the exit
    status and the report: per request the error codes, page count, and the decode child's pid after it."""

    def decode_all() -> list[dict]:
        out = []
        for data, seconds in requests:
            pages, errors = decode_guard.decode_guarded("f.png", data, sha256="0" * 64, guard=guard,
                                                        limits=LIMITS.model_copy(update={"decode_seconds": seconds}))
            out.append({"errors": [e.error for e in errors], "pages": len(pages),
                        "child": guard._proc.pid if guard._proc else None, "adopted": guard._adopted})
        return out

    status, report = run_forked(decode_all)
    return status, report or []


def test_a_forked_process_uses_the_parents_child_and_leaves_it_clean(guard):
    child = guard._proc.pid
    status, report = in_horse(guard, (png(), 30), (png(), 30))
    assert status == 0
    assert [r["pages"] for r in report] == [1, 1]
    assert all(r["adopted"] and r["child"] == child for r in report)  # no decode interpreter started in the horse
    assert guard.ready_for_fork() is False  # nothing to repair
    assert guard._proc.pid == child and guard.restarts == 0
    status, report = in_horse(guard, (png(), 30))
    assert report[0]["pages"] == 1 and report[0]["child"] == child


def test_hostile_input_in_a_horse_keeps_its_limits_and_the_parent_replaces_the_child(guard):
    """GIVEN a horse that meets a hanging, then a crashing file WHEN it decodes them THEN they get DECODE_TIMEOUT
    and FILE_CORRUPT, the horse goes on with a child of its own, and the parent starts a fresh child afterwards."""
    first = guard._proc.pid
    status, report = in_horse(guard, (b"HANG", 0.5), (png(), 30), (b"CRASH", 30), (png(), 30))
    assert status == 0
    assert [r["errors"] for r in report] == [["DECODE_TIMEOUT"], [], ["FILE_CORRUPT"], []]
    assert report[1]["pages"] == 1 and report[3]["pages"] == 1
    assert not report[1]["adopted"] and report[1]["child"] != first  # the horse's own child after the timeout
    assert guard._state[0] == decode_guard._BROKEN
    assert guard.ready_for_fork() is True
    assert guard._proc.pid != first and guard.restarts == 1
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # killed by the horse, reaped by the parent
    status, report = in_horse(guard, (png(), 30))
    assert report[0]["adopted"] and report[0]["pages"] == 1


def test_memory_limit_applies_in_the_shared_child_without_a_restart(guard):
    child = guard._proc.pid
    status, report = in_horse(guard, (b"GREEDY", 30), (png(), 30))
    assert [r["errors"] for r in report] == [["IMAGE_TOO_LARGE"], []]
    assert report[1]["child"] == child
    assert guard.ready_for_fork() is False and guard._proc.pid == child


def test_a_horse_killed_mid_request_never_leaves_its_answer_to_the_next_horse(guard):
    """GIVEN a horse killed (as by RQ's job timeout) while the shared child decodes its file WHEN the worker
    prepares the next fork THEN the child is replaced, and the next horse gets its own file's pages."""
    first = guard._proc.pid
    pid = os.fork()
    if pid == 0:
        try:
            decode_guard.decode_guarded("big.png", b"HANG", sha256="0" * 64, guard=guard, limits=LIMITS)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while guard._state[0] != decode_guard._BUSY and time.monotonic() < deadline:
        time.sleep(0.01)
    assert guard._state[0] == decode_guard._BUSY
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert guard.ready_for_fork() is True
    assert guard._proc.pid != first
    status, report = in_horse(guard, (png(), 30))
    assert report == [{"errors": [], "pages": 1, "child": guard._proc.pid, "adopted": True}]


def test_the_parent_replaces_a_child_that_died_between_jobs(guard):
    first = guard._proc.pid
    os.kill(first, signal.SIGKILL)
    guard._proc.wait()
    assert guard.ready_for_fork() is True and guard._proc.pid != first


def test_an_unshared_guard_is_not_adopted_by_a_forked_process():
    """Pool processes of `berkas run` fork from a parent that never shares: each starts its own child."""
    g = decode_guard.DecodeGuard(memory_bytes=1536 * 1024**2, decoder=_decoder)
    try:
        g.start()
        status, report = in_horse(g, (png(), 30))
        assert report[0]["pages"] == 1 and not report[0]["adopted"] and report[0]["child"] != g._proc.pid
    finally:
        g.close()


class _Interrupted(Exception):
    """Like rq's JobTimeoutException: raised by a signal handler while the process waits for the child."""


def _interrupt(signum, frame):
    raise _Interrupted


def _interrupted_then_next(g) -> list[list[int]]:
    """Decode SLOW (answered after 1 s: a 40x30 page) but give up after 0.3 s with an exception, then decode a
    64x48 PNG with the same guard; the page shapes of that second file."""
    old = signal.signal(signal.SIGALRM, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(_Interrupted):
            decode_guard.decode_guarded("slow.png", b"SLOW", sha256="0" * 64, guard=g, limits=LIMITS)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 0)).save(buf, "PNG")
    pages, _ = decode_guard.decode_guarded("next.png", buf.getvalue(), sha256="0" * 64, guard=g,
                                           limits=LIMITS)
    return [list(p.image.shape) for p in pages]


def test_a_decode_interrupted_by_an_exception_never_hands_its_answer_to_the_next_file():
    """GIVEN a wait for the decode child cut short by an exception (a job timeout in a SimpleWorker) WHEN the
    same process decodes the next file THEN it gets that file's pages, not the interrupted file's late answer."""
    with decode_guard.DecodeGuard(memory_bytes=1536 * 1024**2, decoder=_decoder) as g:
        assert _interrupted_then_next(g) == [[48, 64, 3]]
        assert g.restarts == 1


def test_a_horse_interrupted_mid_decode_marks_the_shared_child_for_replacement(guard):
    first = guard._proc.pid
    _, shapes = run_forked(lambda: _interrupted_then_next(guard))
    assert shapes == [[48, 64, 3]]
    assert guard._state[0] == decode_guard._BROKEN
    assert guard.ready_for_fork() is True and guard._proc.pid != first


def test_a_grandchild_never_adopts_the_shared_child(guard):
    """A horse that forks again (its parent is the horse, not the worker) must not use the worker's channel."""
    _, report = run_forked(lambda: in_horse(guard, (png(), 30))[1])
    assert report[0]["pages"] == 1 and not report[0]["adopted"] and report[0]["child"] != guard._proc.pid
    assert guard._state[0] == decode_guard._IDLE and guard.ready_for_fork() is False


def _pool_decode(n: int) -> tuple[int, int, list[int]]:
    guard = decode_guard.shared_guard()
    pages = []
    for _ in range(n):
        got, errors = decode_guard.decode_guarded("f.png", png(), sha256="0" * 64, limits=LIMITS)
        assert errors == []
        pages.append(len(got))
    return os.getpid(), guard._proc.pid if guard._proc else 0, pages


def test_pool_processes_never_adopt_a_shared_child(guard, monkeypatch):
    """GIVEN a process whose guard is shared with forks (an RQ worker's) WHEN it runs a pool of two processes
    (`berkas run`'s) whose initializer takes `own_guard` THEN each pool process decodes with a child of its own:
    two siblings adopting the one child would interleave their requests on its channel."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    monkeypatch.setattr(decode_guard, "_shared", guard)
    parent_child = guard._proc.pid
    with ProcessPoolExecutor(2, mp_context=get_context("fork"), initializer=decode_guard.own_guard) as pool:
        results = list(pool.map(_pool_decode, [20] * 6))
    assert all(pages == [1] * 20 for _pid, _child, pages in results)
    children = {pid: child for pid, child, _pages in results}
    assert parent_child not in children.values() and len(set(children.values())) == len(children)
    assert guard._proc.pid == parent_child and guard.ready_for_fork() is False  # the parent's child untouched
