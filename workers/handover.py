"""The hand-over of a job from its queue to the worker that runs it, safe against a reply lost to a Redis crash.

RQ takes a job id off its queue list and only later, in the work horse, records the job as started. When Redis
dies, or the connection drops, between the two, the worker never hears which job it took, and its connection
retries the pop and takes the next one. What happens to the first job then depends on RQ's pop:
- a worker on several queues (BLPOP) loses it outright: in no list, in no registry, its status still `queued`;
- a worker on one queue (BLMOVE into `<queue>:intermediate`) leaves it in that intermediate list, where RQ's own
  clean-up (every maintenance pass, 10 minutes by default, then one minute more) fails it as if it had run.

Berkas instead:
- always moves the id into the queue's intermediate list (`HandoverQueue.dequeue_any`), for a worker on several
  queues too (non-blocking moves in priority order, then a blocking move on the first queue for at most
  MULTI_QUEUE_POLL seconds), and removes it from that list in the same transaction that marks the job started
  (the worker's `prepare_job_execution`, `workers.worker`);
- puts back at the head of its queue a job that has stayed in an intermediate list, not started, for
  STRANDED_GRACE seconds since a sweep first saw it (`rescue_stranded`). Workers sweep at every maintenance pass,
  and a burst worker sweeps before it quits, waiting for the jobs it found there to be started or put back.
  A job put back never ran: it is not a failed attempt and spends none of its retries.

The grace covers a worker that took a job and is still preparing it (a fork, or a Redis restart in between,
which a worker's patient connection rides out in seconds). Were a worker slower than that, the job would run
twice, which the result's conditional writes make harmless; it is never lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.intermediate_queue import IntermediateQueue
from rq.utils import as_text

log = logging.getLogger(__name__)

STRANDED_GRACE = 20.0  # seconds a job may sit in an intermediate list, not started, before it is put back
MULTI_QUEUE_POLL = 1.0  # seconds a worker on several queues blocks on the first before looking at the others
MIN_REDIS = (6, 2, 0)  # LMOVE and BLMOVE

_SEEN_KEY = "berkas:handover:first-seen:{}"  # hash per queue: job id -> when a sweep first saw it stranded

# Put one job back, atomically: only if it is still in the intermediate list (a worker that marked it started
# took it out in the same transaction), and only if the job itself still exists.
# KEYS: intermediate list, queue list, first-seen hash, job hash, RQ's own first-seen key.  ARGV: job id.
_PUT_BACK = """
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[5])
if removed == 0 then return 0 end
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1
"""


class HandoverQueue(Queue):
    """An RQ queue whose workers always take a job by moving its id into the queue's intermediate list."""

    @classmethod
    def dequeue_any(  # type: ignore[override]
        cls,
        queues: Iterable[Queue],
        timeout: int | None,
        connection: Redis,
        job_class: Any = None,
        serializer: Any = None,
        death_penalty_class: Any = None,
    ) -> tuple[Any, Queue] | None:
        """The first job of `queues` (in priority order), moved into its queue's intermediate list.

        `timeout` None: do not wait (None when every queue is empty); otherwise wait up to `timeout` seconds and
        raise DequeueTimeout, as RQ's own dequeue does."""
        order = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            moved = _move_first(connection, order)
            if moved is None and deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DequeueTimeout(timeout, [q.key for q in order])
                head = order[0]
                wait = left if len(order) == 1 else min(left, MULTI_QUEUE_POLL)
                got = connection.blmove(head.key, head.intermediate_queue_key, wait)  # type: ignore[arg-type]  # Redis takes a float
                moved = (head.key, as_text(got)) if got is not None else None
            if moved is None:
                if deadline is None:
                    return None
                continue
            queue_key, job_id = moved
            fetched = cls._fetch_dequeued_job(connection, queue_key, job_id, job_class=job_class,
                                              serializer=serializer, death_penalty_class=death_penalty_class)
            if fetched is not None:
                return fetched
            # the job's hash is gone (deleted or expired): nothing to run, and nothing left to hand over
            connection.lrem(IntermediateQueue.get_intermediate_queue_key(queue_key), 1, job_id)


def _move_first(connection: Redis, queues: Sequence[Queue]) -> tuple[str, str] | None:
    for q in queues:
        got = connection.lmove(q.key, q.intermediate_queue_key)
        if got is not None:
            return q.key, as_text(got)
    return None


@dataclass
class Sweep:
    """What one sweep of the intermediate lists found: jobs put back, and jobs still within their grace."""

    rescued: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def rescue_stranded(queue: Queue, *, grace: float = STRANDED_GRACE, clock: Callable[[], float] = time.time) -> Sweep:
    """Put back at the head of `queue` the jobs stranded in its intermediate list for `grace` seconds or more."""
    conn = queue.connection
    seen_key = _SEEN_KEY.format(queue.name)
    in_list = [as_text(x) for x in conn.lrange(queue.intermediate_queue_key, 0, -1)]
    started = {job_id for job_id, _ in queue.started_job_registry.get_job_and_execution_ids(cleanup=False)}
    stranded = [j for j in in_list if j not in started]
    seen = {as_text(k): float(v) for k, v in conn.hgetall(seen_key).items()}
    moved_on = list(seen.keys() - set(stranded))
    if moved_on:
        conn.hdel(seen_key, *moved_on)
    now = clock()
    sweep = Sweep()
    for job_id in stranded:
        first = seen.get(job_id)
        if first is None:
            conn.hsetnx(seen_key, job_id, now)
        if first is None or now - first < grace:
            sweep.pending.append(job_id)
            continue
        rq_seen = IntermediateQueue(queue.key, conn).get_first_seen_key(job_id)
        job_key = queue.job_class.key_for(job_id)
        done = conn.eval(_PUT_BACK, 5, queue.intermediate_queue_key, queue.key, seen_key, job_key, rq_seen, job_id)
        if done == 1:
            sweep.rescued.append(job_id)
            log.warning("job %s was taken from queue %s but never started (a lost Redis reply): put back",
                        job_id, queue.name)
        elif done == -1:
            log.warning("job %s was stranded in queue %s's hand-over and no longer exists: dropped from it",
                        job_id, queue.name)
    return sweep


def sweep_all(queues: Iterable[Queue], *, grace: float = STRANDED_GRACE) -> Sweep:
    total = Sweep()
    for q in queues:
        one = rescue_stranded(q, grace=grace)
        total.rescued += one.rescued
        total.pending += one.pending
    return total
