"""Peak memory of the app process when the worker holds the model: the real app
(`streamlit run app.py`) and its worker (`cli.py worker`), an archive ingested into a
temporary store, one check driven in headless Chromium (Debian's /usr/bin/chromium) and
every page visited. Prints JSON with the peak resident memory (VmHWM) of the app process
and of the worker, and the check's seconds. Issue 11's target: the app under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _util import ROOT, load_avg, log, machine

ARTICLE = (
    "Port Avalon Transit launched the Bayline ferry service on July 1, 2023. "
    "The Harbour Bridge repairs cost $58 million."
)


def peak_mb(pid: int) -> dict[str, float]:
    """Peak and current resident memory of a process, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"peak_rss_mb": fields.get("VmHWM"), "rss_mb": fields.get("VmRSS")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=ROOT / "data/demo/archive")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from chains.model_file import model_path
    from settings import Settings

    facts = machine()
    with tempfile.TemporaryDirectory(prefix="bench-app-memory-") as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
        env.update(
            FACTCHECK_STORE_DIR=str(tmp / "store"),
            FACTCHECK_CACHE_DIR=str(tmp / "cache"),
            FACTCHECK_MODEL_PATH=str(model_path(Settings())),
            FACTCHECK_TOP_K="2",
        )
        log(f"ingesting {args.archive}")
        subprocess.run([sys.executable, "cli.py", "ingest", str(args.archive)], cwd=ROOT,
                       env=env, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        worker = subprocess.Popen([sys.executable, "cli.py", "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            log("app up; checking an article in the browser")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )  # fmt: skip
                page = browser.new_page()
                page.goto(url)
                page.get_by_label("Article text", exact=True).fill(ARTICLE)
                page.get_by_label("Article text", exact=True).press("Control+Enter")
                page.wait_for_timeout(1500)
                started = time.perf_counter()
                page.get_by_role("button", name="Check claims", exact=True).click()
                page.locator("[data-verdict][data-claim]").first.wait_for(
                    timeout=args.timeout * 1000
                )
                seconds = time.perf_counter() - started
                for name in ("History", "Archive", "Settings", "Check"):
                    page.get_by_role("link", name=name, exact=True).first.click()
                    page.wait_for_timeout(3000)
                browser.close()
            result = {
                "check_seconds": round(seconds, 1),
                "app": peak_mb(app.pid),
                "worker": peak_mb(worker.pid),
            }
        finally:
            for proc in (app, worker):
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    print(json.dumps({**result, "machine": facts, "load_avg_at_end": load_avg()}, indent=2))


if __name__ == "__main__":
    main()
