"""One worker process of the concurrency stress test (tests/integration/test_stress.py).

    python tests/integration/stress_worker.py STORE REDIS_URL TRUTH_JSON STOP_FILE PARENT_PID

A real RQ worker (in-process jobs, `--simple`) on the dossier queue, running the real job function and the
real pipeline on a local store shared with the other workers and the review app; only the page reader is the
ground-truth stand-in (fake_reading.TruthReader, loaded from TRUTH_JSON). It works in bursts until STOP_FILE
exists and the queue is empty, or as soon as the test process (PARENT_PID) is gone.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(store_path: str, redis_url: str, truth: str, stop: str, parent: str) -> None:
    from fake_reading import TruthReader, install, light_runtime
    from redis import Redis

    from config.settings import Settings
    from pipeline.storage.local import LocalStore
    from workers import jobs
    from workers.queues import DOSSIER_QUEUE, get_queue
    from workers.worker import make_worker

    logging.basicConfig(level=logging.WARNING, format="%(process)d %(levelname)s %(name)s %(message)s")
    for name in ("pipeline.process", "pipeline.storage.cas"):  # the lost races, counted by the test (ids only)
        logging.getLogger(name).setLevel(logging.DEBUG)
    install(TruthReader.load(Path(truth)))
    settings = Settings(store="local", store_path=Path(store_path), redis_url=redis_url)
    jobs.init_process(settings, runtime=light_runtime(), store=LocalStore(store_path, fsync=False))
    connection = Redis.from_url(redis_url)
    queue = get_queue(DOSSIER_QUEUE, connection)
    for n in range(1_000_000):
        worker = make_worker(settings, queues=(DOSSIER_QUEUE,), connection=connection, simple=True,
                             name=f"stress-{os.getpid()}-{n}")
        worker.work(burst=True, with_scheduler=False)
        if (Path(stop).exists() and queue.count == 0) or os.getppid() != int(parent):
            return
        time.sleep(0.05)


if __name__ == "__main__":
    main(*sys.argv[1:6])
