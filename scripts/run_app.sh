#!/usr/bin/env bash
# Set up (see scripts/setup.sh), then serve the app on localhost. Extra arguments go to
# `streamlit run`. PORT picks the port (default 8501).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

PORT="${PORT:-8501}"
echo "app: http://127.0.0.1:$PORT (Ctrl+C stops it)"
exec .venv/bin/python -m streamlit run app.py \
    --server.address 127.0.0.1 \
    --server.port "$PORT" \
    --server.headless true \
    --browser.gatherUsageStats false \
    "$@"
