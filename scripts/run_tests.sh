#!/usr/bin/env bash
# Set up (without the demo archive: tests make their own stores), lint, then pytest.
# Arguments go to pytest, e.g. `bash scripts/run_tests.sh -m "not integration" -x`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh

echo "tests: ruff check"
.venv/bin/ruff check .
echo "tests: ruff format --check"
.venv/bin/ruff format --check .

echo "tests: pytest $*"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [[ "$status" -eq 5 ]]; then
    echo "tests: error: pytest collected no tests (exit code 5); treating that as a failure" >&2
    exit 1
fi
exit "$status"
