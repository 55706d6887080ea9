"""What forking a work horse per job costs: the same dossiers processed forked and in-process, interleaved.

    python -m scripts.bench_fork --input /tmp/base/s101/input --count 12 [--s3]

One process loads the Runtime and preloads the pipeline (`jobs.init_process`, `jobs.preload_pipeline`), shares
its decode child (`share_with_forks`) and freezes the heap, as `BerkasWorker` does. Then, for each dossier, it
runs `workers.jobs.process_dossier_job` once in a forked child (CPU from wait4, which includes the child's
copy-on-write faults and exit) and once in this process (CPU of this thread), alternating which comes first so
that load drift on a shared machine hits both alike; the shared decode child's CPU during each run is added to
it (read from /proc). No Redis and no RQ: this isolates the fork from the queue. The fork syscall itself (page
tables copied in the parent) is left out; it is milliseconds. Prints per-dossier figures and the overhead.
`--s3` keeps the store in moto's S3 server (threads of this process, not counted) instead of a local folder.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from config.settings import Settings


def _child_cpu(pid: int) -> float:
    """CPU seconds used so far by process `pid` (not yet reaped), from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_fork", description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, required=True, help="a folder of dossier folders")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--s3", action="store_true", help="store in moto's S3 server instead of a local folder")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from pipeline.decode_guard import shared_guard
    from pipeline.storage import open_store
    from workers import jobs
    from workers.ingest import ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-fork-"))
    server = None
    if args.s3:
        from moto.server import ThreadedMotoServer

        from scripts.bench_distributed import S3_KEY, S3_SECRET, _free_port, s3_settings

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", S3_KEY)
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", S3_SECRET)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        settings = s3_settings(f"127.0.0.1:{port}", "redis://127.0.0.1:6379/15")
    else:
        settings = Settings(store="local", store_path=tmp / "store")
    try:
        store = open_store(settings)
        ids = sorted(ingest(args.input, store, None, progress=False).dossier_ids)[: args.count]
        jobs.init_process(settings, store=store)
        jobs.preload_pipeline()
        guard = shared_guard()
        guard.share_with_forks()
        guard.ready_for_fork()
        gc.freeze()

        def forked(dossier_id: str) -> float:
            guard.ready_for_fork()
            c0 = _child_cpu(guard._proc.pid)
            pid = os.fork()
            if pid == 0:
                try:
                    jobs.process_dossier_job(dossier_id)
                finally:
                    os._exit(0)
            _, _, usage = os.wait4(pid, 0)
            return usage.ru_utime + usage.ru_stime + _child_cpu(guard._proc.pid) - c0

        def in_process(dossier_id: str) -> float:
            guard.ready_for_fork()
            c0, t0 = _child_cpu(guard._proc.pid), time.thread_time()
            jobs.process_dossier_job(dossier_id)
            return time.thread_time() - t0 + _child_cpu(guard._proc.pid) - c0

        fork_cpu, local_cpu = [], []
        for i, dossier_id in enumerate(ids):
            if i % 2:
                local_cpu.append(in_process(dossier_id))
                fork_cpu.append(forked(dossier_id))
            else:
                fork_cpu.append(forked(dossier_id))
                local_cpu.append(in_process(dossier_id))
        n = len(ids)
        figures = {
            "dossiers": n, "store": "s3 (moto)" if args.s3 else "local",
            "forked_cpu_s_per_dossier": round(sum(fork_cpu) / n, 3),
            "in_process_cpu_s_per_dossier": round(sum(local_cpu) / n, 3),
            "fork_overhead_share": round((sum(fork_cpu) - sum(local_cpu)) / sum(local_cpu), 3),
            "forked": [round(x, 2) for x in fork_cpu], "in_process": [round(x, 2) for x in local_cpu],
            "loadavg_at_end": os.getloadavg()[0],
        }
    finally:
        shared_guard().close()
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
