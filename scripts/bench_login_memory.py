"""Peak memory of concurrent logins: argon2id with the production parameters, with and without the hashing gate.

    .venv/bin/python -m scripts.bench_login_memory [--logins 24]

Each case runs in a fresh child process: an empty review database (SQLite), `review.accounts.Accounts` with the library's
argon2id parameters (64 MiB per hash), then N threads each signing in with an unknown user name at once (the
dummy verification). The child reports how much its peak RSS (ru_maxrss) grew over the logins, and how many
logins were verified or refused as busy. "gate" is the review app's default gate (BERKAS_REVIEW_HASH_*);
"no gate" gives every login a slot, as before finding 10 of issue 13 was fixed.

    .venv/bin/python -m scripts.bench_login_memory --child SLOTS QUEUE WAIT --logins N

is one case, printing one JSON object (the tests call it).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path


def child(slots: int, queue: int, wait: float, logins: int) -> dict:
    from review.accounts import Accounts, HashGate, HashingBusy
    from review.db import ReviewDB

    with tempfile.TemporaryDirectory() as tmp:
        db = ReviewDB(f"sqlite:///{tmp}/review.sqlite3")
        db.migrate()
        accounts = Accounts(db, gate=HashGate(slots, queue, wait))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {"logins": logins, "verified": 0, "busy": 0}
        lock = threading.Lock()

        def attempt(i: int) -> None:
            try:
                accounts.authenticate(f"tidak.ada.{i}", "salah-sekali-123")
                kind = "verified"
            except HashingBusy:
                kind = "busy"
            with lock:
                out[kind] += 1

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(logins)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out["growth_mb"] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, 1)
        db.dispose()
    return out


def run_case(slots: int, queue: int, wait: float, logins: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "scripts.bench_login_memory", "--child", str(slots), str(queue),
                           str(wait), "--logins", str(logins)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--logins", type=int, default=24)
    ap.add_argument("--child", nargs=3, metavar=("SLOTS", "QUEUE", "WAIT"))
    args = ap.parse_args()
    if args.child:
        slots, queue, wait = int(args.child[0]), int(args.child[1]), float(args.child[2])
        print(json.dumps(child(slots, queue, wait, args.logins)))
        return
    from review.settings import ReviewSettings

    r = ReviewSettings(secret="x" * 40)
    print(f"{args.logins} concurrent logins, unknown names, argon2id library parameters")
    print(f"{'case':<28} {'peak RSS growth':>16} {'verified':>9} {'busy':>5}")
    for name, case in ((f"gate {r.hash_slots}/{r.hash_queue}/{r.hash_wait_seconds:g}s",
                        (r.hash_slots, r.hash_queue, r.hash_wait_seconds)),
                       ("no gate", (args.logins, 0, 0.0))):
        out = run_case(*case, args.logins)
        print(f"{name:<28} {out['growth_mb']:>13.1f} MB {out['verified']:>9} {out['busy']:>5}")


if __name__ == "__main__":
    main()
