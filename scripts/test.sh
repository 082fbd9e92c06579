#!/usr/bin/env bash
# The whole test suite, from `make test`. Installs Debian's chromium for the end-to-end
# tests when it is missing (CI starts from a clean machine), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
export PAD_ENV=testing
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
