#!/usr/bin/env bash
# Set up (see scripts/setup.sh), then serve the app on localhost with its worker: the
# process that owns the model and runs the queued checks one at a time (python cli.py
# worker). Extra arguments go to `streamlit run`. PORT picks the port (default 8501).
# When the app stops (Ctrl+C), the worker is stopped too; a check it was running is
# marked failed, and its reporter is told so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

PORT="${PORT:-8501}"
# Sign-in: an identity provider from FACTCHECK_OIDC_* (or an [auth] section in
# .streamlit/secrets.toml; see the README). Without one the app is a one-person tool and
# listens on 127.0.0.1 only; with one, on FACTCHECK_SERVER_ADDRESS (default 0.0.0.0).
SECRETS="$(.venv/bin/python scripts/oidc_secrets.py)"
ADDRESS=127.0.0.1
AUTH_ARGS=()
if [[ "$SECRETS" != none ]]; then
    ADDRESS="${FACTCHECK_SERVER_ADDRESS:-0.0.0.0}"
    AUTH_ARGS=(--secrets.files "$SECRETS")
fi
# The worker in a session of its own: Ctrl+C reaches the app, and the trap below ends
# the worker (SIGTERM; SIGKILL if it has not gone within 10 s).
setsid .venv/bin/python cli.py worker &
WORKER=$!
stop_worker() {
    kill -TERM "$WORKER" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$WORKER" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$WORKER" 2>/dev/null || true
}
trap stop_worker EXIT

echo "app: http://$ADDRESS:$PORT (Ctrl+C stops it and its worker, pid $WORKER)"
.venv/bin/python -m streamlit run app.py \
    --server.address "$ADDRESS" \
    --server.port "$PORT" \
    --server.headless true \
    --browser.gatherUsageStats false \
    "${AUTH_ARGS[@]}" \
    "$@"
