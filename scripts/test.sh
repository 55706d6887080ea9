#!/usr/bin/env bash
# The test command behind `make test`: starts Redis and PostgreSQL when none answers, lints, type-checks, runs
# pytest. The review database tests run on SQLite and on the PostgreSQL at BERKAS_TEST_POSTGRES_URL.
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
PG_URL=${BERKAS_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export BERKAS_TEST_POSTGRES_URL=${BERKAS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -d "${PG_URL/+psycopg/}" >/dev/null 2>&1; then
  PGDATA_TMP=/tmp/berkas-test-pg
  echo "test: no PostgreSQL at 127.0.0.1:5432; starting a throw-away cluster in $PGDATA_TMP"
  PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
  RUN_AS=()
  if [ "$(id -u)" = 0 ]; then  # initdb refuses root: the cluster belongs to the postgres (or nobody) user
    PGUSER_OS=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
    RUN_AS=(runuser -u "$PGUSER_OS" --)
  fi
  rm -rf "$PGDATA_TMP" && mkdir -p "$PGDATA_TMP" && chmod 700 "$PGDATA_TMP"
  [ ${#RUN_AS[@]} -gt 0 ] && chown "${PGUSER_OS}" "$PGDATA_TMP"
  "${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA_TMP" -U postgres --auth=trust -E UTF8 >/tmp/berkas-test-pg-init.log
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_TMP" -l /tmp/berkas-test-pg.log -w \
    -o "-h 127.0.0.1 -p 5432 -k /tmp -c fsync=off -c full_page_writes=off" start >/dev/null
fi
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"  # what it checks: [tool.mypy] in pyproject.toml
"$VENV/bin/python" -m pytest "$@"
# The concurrency stress test (issue 13: 200 dossiers, four workers, uploads and corrections through the review
# app) takes minutes, so it is marked slow and left out of the default run above; CI runs it here, after it.
if [ $# -eq 0 ]; then
  "$VENV/bin/python" -m pytest -m slow tests/integration/test_stress.py
fi
