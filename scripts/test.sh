#!/usr/bin/env bash
# The test command behind `make test`: starts Redis when none answers, lints, type-checks, runs pytest.
set -euo pipefail
VENV=${VENV:-.venv}
export OMP_THREAD_LIMIT=1
REDIS_URL=${BERKAS_REDIS_URL:-redis://127.0.0.1:6379/0}
if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  echo "test: no Redis at $REDIS_URL; starting a throw-away redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/berkas-test-redis.log
  for _ in $(seq 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"  # what it checks: [tool.mypy] in pyproject.toml
"$VENV/bin/python" -m pytest "$@"
# The concurrency stress test (issue 13: 200 dossiers, four workers, uploads and corrections through the review
# app) takes minutes, so it is marked slow and left out of the default run above; CI runs it here, after it.
if [ $# -eq 0 ]; then
  "$VENV/bin/python" -m pytest -m slow tests/integration/test_stress.py
fi
