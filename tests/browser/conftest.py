"""Browser tests: the real app (`streamlit run app.py`) driven in headless Chromium.

Session fixtures start one Streamlit server on a free localhost port with an archive of its
own (the demo archive ingested into a temporary store), a temporary report cache and
history, and the real embedded model; and one Chromium (Debian's /usr/bin/chromium:
Playwright never downloads a browser here). Screenshots of each step, the server's log and
a screenshot at a failure go to test-results/browser/.

Set FACTCHECK_SKIP_BROWSER=1 on a machine without chromium to skip these tests; otherwise a
missing browser or model is a failure that says what to install, never a silent skip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.content import ROOT, URL_ARTICLE, article_page

RESULTS = ROOT / "test-results" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps calling home, which the closed network here
# refuses (and it can hang at start). Playwright adds --headless and a fresh, empty
# --user-data-dir of its own for every launch.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 180  # seconds: a cold start imports chromadb, onnxruntime, langchain
SKIP_ENV = "FACTCHECK_SKIP_BROWSER"


def _skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session", autouse=True)
def browser_prerequisites() -> None:
    """Skip on request, else fail clearly when chromium or Playwright is missing."""
    if _skip_requested():
        pytest.skip(f"browser tests skipped: {SKIP_ENV}={os.environ[SKIP_ENV]}")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. Install it "
            "(`apt-get install -y --no-install-recommends chromium`; scripts/setup.sh does "
            f"this when apt is usable) or set {SKIP_ENV}=1 to skip the browser tests.",
            pytrace=False,
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"playwright is not installed ({exc}): run scripts/setup.sh", pytrace=False)


# --- results folder, failure screenshots ---------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture(scope="session")
def results_dir() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS


# --- the app's environment: store, caches, history, model ---------------------------------


def _model_file() -> Path:
    """The embedded model as setup.sh prepared it (FACTCHECK_MODEL_PATH or the cache)."""
    from chains.model_file import ModelFileError, model_path
    from settings import Settings

    try:
        return model_path(Settings())
    except ModelFileError as exc:
        pytest.fail(f"the embedded model is not prepared: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def app_env(tmp_path_factory, results_dir) -> dict[str, str]:
    """Environment of the app under test: an ingested demo archive, temporary caches."""
    root = tmp_path_factory.mktemp("browser-app")
    model = _model_file()  # before FACTCHECK_CACHE_DIR moves: the model stays where it is
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FACTCHECK_")}
    # Reports are cached in a fresh folder, so every run checks for real. While working on
    # these tests, FACTCHECK_BROWSER_CACHE_DIR names a folder kept between runs instead.
    cache = os.environ.get("FACTCHECK_BROWSER_CACHE_DIR") or str(root / "cache")
    env.update(
        FACTCHECK_STORE_DIR=str(root / "store"),
        FACTCHECK_CACHE_DIR=cache,  # reports; the model file is named below
        FACTCHECK_MODEL_PATH=str(model),
        FACTCHECK_PROVIDER="embedded",
        # Two archive passages per claim instead of four: about half the model calls, so
        # the demo article takes minutes rather than tens of minutes on two cores.
        FACTCHECK_TOP_K="2",
        FACTCHECK_HISTORY_PATH=str(root / "history.jsonl"),
        FACTCHECK_ALLOW_PRIVATE_URLS="1",  # the test pages are served from localhost
        PYTHONUNBUFFERED="1",
    )
    log = results_dir / "ingest.log"
    result = subprocess.run(
        [sys.executable, "cli.py", "ingest", "data/demo/archive"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    assert result.returncode == 0, f"ingesting the demo archive failed:\n{result.stderr}"
    assert " added" in result.stdout, result.stdout
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's whole process group, then kill it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url(app_env, results_dir) -> Iterator[str]:
    """Base URL of `streamlit run app.py` on a free port, with its worker (`cli.py
    worker`); their logs are streamlit.log and worker.log."""
    port = _free_port()
    log_path = results_dir / "streamlit.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    # The app's worker (as scripts/run_app.sh starts it): it owns the model and runs the
    # checks the app queues. Its log is worker.log.
    with (results_dir / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "cli.py", "worker"],
            cwd=ROOT,
            env=app_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=app_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {proc.returncode} before it was healthy:\n"
                    + _tail(log_path),
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit was not healthy after {SERVER_START_TIMEOUT} s:\n"
                    + _tail(log_path),
                    pytrace=False,
                )
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)
        _stop(worker)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture
def server_log(results_dir) -> Callable[[], str]:
    """The Streamlit log so far (to attach to assertion messages)."""
    return functools.partial(_tail, results_dir / "streamlit.log", 60)


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=60_000,
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of any JavaScript dialog (alert, confirm, prompt) the page opened."""
    return []


@pytest.fixture
def page(browser, request, dialogs, results_dir):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
        service_workers="block",
    )
    context.set_default_timeout(60_000)
    pg = context.new_page()

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            with contextlib.suppress(Exception):
                full_page_screenshot(pg, results_dir / f"{_slug(request.node.name)}-failure.png")
        context.close()


# Streamlit scrolls inside its main area (and the sidebar), not the document: a plain
# full-page screenshot shows one viewport. The viewport is made as tall as the content for
# the screenshot, then restored.
_CONTENT_HEIGHT_JS = """() => {
    const heights = ['stMain', 'stSidebarContent'].map((id) => {
        const el = document.querySelector(`[data-testid="${id}"]`);
        return el ? el.scrollHeight + (window.innerHeight - el.clientHeight) : 0;
    });
    return Math.max(document.documentElement.scrollHeight, ...heights);
}"""
MAX_SCREENSHOT_HEIGHT = 16_000


def full_page_screenshot(page, path: Path) -> None:
    size = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT_JS)), MAX_SCREENSHOT_HEIGHT)
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        try:
            page.wait_for_timeout(300)  # layout after the resize
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(size)
    else:
        page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def shot(page, request, results_dir) -> Callable[[str], Path]:
    """shot(name): a full-page screenshot test-results/browser/<test>-<NN>-<name>.png."""
    test = _slug(request.node.name)
    for old in results_dir.glob(f"{test}-*.png"):
        old.unlink()
    counter = iter(range(1, 100))

    def take(name: str) -> Path:
        path = results_dir / f"{test}-{next(counter):02d}-{_slug(name)}.png"
        full_page_screenshot(page, path)
        return path

    return take


# --- a localhost web server for the URL import --------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[str]:
    """Base URL of a localhost server with test pages (article.html: URL_ARTICLE)."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "article.html").write_text(article_page(URL_ARTICLE), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
