#!/usr/bin/env bash
# Set up (with test tools), make sure PostgreSQL and Redis are up, run the static checks and the whole test suite.
# Fails when pytest collected or ran no test (its exit code 5).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  sleep 1
fi

# Static checks first (ruff, mypy, code measures); pytest runs either way, so one run shows both.
bash scripts/check.sh
checked=$?

# Property tests draw the same examples on every run (tests/conftest.py); HYPOTHESIS_PROFILE=explore for new ones.
HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci} .venv/bin/python -m pytest "$@"
code=$?
if [ "$code" = 5 ]; then
  echo "test: pytest ran no test — failing" >&2
  exit 1
fi
if [ "$checked" != 0 ]; then
  echo "test: the static checks failed (see check: above)" >&2
  [ "$code" = 0 ] && code=1
fi
exit "$code"
