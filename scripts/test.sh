#!/usr/bin/env bash
# The whole test suite, from `make test` (and so CI): lint, the whole suite on SQLite, then
# the database tests (marker `db`) again on PostgreSQL.
#
# CI starts from a clean machine: Debian's chromium (end-to-end tests), PostgreSQL and Redis
# are installed when missing. PostgreSQL and Redis are started by scripts/services.sh (or
# reused when already running) and stopped at the end when this script started them. Redis
# is there for both passes (PAD_TEST_REDIS_URL); each PostgreSQL test session creates and
# drops its own databases (PAD_TEST_DATABASE_URL, see tests/backends.py).
#
# PAD_TEST_BACKENDS="sqlite postgresql" (the default) chooses the passes; arguments go to
# pytest in both (`scripts/test.sh tests/db -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS=${PAD_TEST_BACKENDS:-sqlite postgresql}

bash scripts/ensure-chromium.sh
export PAD_ENV=testing
.venv/bin/ruff check .

if ! bash scripts/services.sh status >/dev/null; then
  trap 'bash scripts/services.sh stop' EXIT  # leave the machine as we found it
fi
urls=$(bash scripts/services.sh start)
database_url=$(sed -n 's/^DATABASE_URL=//p' <<<"$urls")
PAD_TEST_REDIS_URL=$(sed -n 's/^REDIS_URL=//p' <<<"$urls")
export PAD_TEST_REDIS_URL

status=0
if [[ " $BACKENDS " == *" sqlite "* ]]; then
  echo "=== the whole suite on SQLite ==="
  .venv/bin/python -m pytest "$@" || status=$?
fi
if [[ " $BACKENDS " == *" postgresql "* ]]; then
  echo "=== the database tests (-m db) on PostgreSQL ==="
  code=0
  PAD_TEST_DATABASE_URL=$database_url .venv/bin/python -m pytest -m db "$@" || code=$?
  if [ "$code" -eq 5 ]; then
    echo "(no database test among the selected ones)"
  elif [ "$code" -ne 0 ]; then
    status=$code
  fi
fi
exit "$status"
