"""The multi-process path on one machine (docs/DEPLOYMENT.md): a `chroma run` server holds
the archive, one worker process (`cli.py worker`, the real embedded model) runs the
checks, and two app processes queue theirs at the same moment with the app's own enqueue
function (jobs.queue.submit) and poll them as the Check page does. Run it under
`flock /tmp/factcheck-model.lock`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review.history import History
from settings import PROJECT_ROOT, Settings
from tests.test_app import ARCHIVE

pytestmark = pytest.mark.integration

ARTICLES = {
    "desk-a": "The Port Avalon City Council approved $85 million for the Harbour Bridge "
    "repairs on March 14, 2023.",
    "desk-b": "Port Avalon Transit launched the Bayline ferry service between Pier 4 and "
    "Gull Island on July 1, 2023.",
}

# One app process: queue the article, then poll like the Check page's fragment, and print
# what it saw (its place in the queue, the states) as JSON.
APP_PROCESS = """
import json, sys, time
from jobs import queue
from settings import Settings
from vectorstore.ingest import article_from_text

owner, text = sys.argv[1], sys.argv[2]
settings = Settings()
job_id = queue.submit(article_from_text(text), settings, {}, owner=owner)
ahead, states = [], []
while True:
    status = queue.status(settings, job_id)
    ahead.append(status.ahead)
    states.append(status.job.state)
    if status.job.finished:
        break
    time.sleep(0.5)
print(json.dumps({"job": job_id, "state": status.job.state, "check_id": status.job.check_id,
                  "max_ahead": max(ahead), "states": sorted(set(states))}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the chroma server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """A Chroma server with a small archive ingested through it, and the environment every
    process of the deployment shares."""
    from chains.model_file import ModelFileError, model_path

    try:
        model = model_path(Settings(cache_dir=Path.home() / ".cache" / "factcheck"))
    except ModelFileError as exc:
        pytest.fail(f"the embedded model is not prepared: {exc}", pytrace=False)
    port = _free_port()
    chroma = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "chroma"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_port(port, chroma)
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FACTCHECK_")}
        env.update(
            FACTCHECK_CHROMA_HOST="127.0.0.1",
            FACTCHECK_CHROMA_PORT=str(port),
            FACTCHECK_CACHE_DIR=str(tmp_path / "cache"),
            FACTCHECK_LEXICAL_DIR=str(tmp_path / "lexical"),
            FACTCHECK_HISTORY_PATH=str(tmp_path / "shared" / "history.sqlite3"),
            FACTCHECK_MODEL_PATH=str(model),
            FACTCHECK_TOP_K="2",
            PYTHONUNBUFFERED="1",
        )
        files = tmp_path / "archive"
        files.mkdir()
        for name, (title, published, url, body) in ARCHIVE.items():
            (files / name).write_text(
                f'---\ntitle: "{title}"\nsource: "Harbor Gazette"\npublished: {published}\n'
                f"url: {url}\n---\n\n{body}\n",
                encoding="utf-8",
            )
        ingest = subprocess.run(
            [sys.executable, "cli.py", "ingest", str(files)], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert ingest.returncode == 0 and "3 added" in ingest.stdout, ingest.stdout + ingest.stderr
        for name, value in env.items():
            if name.startswith("FACTCHECK_"):
                monkeypatch.setenv(name, value)
        yield env
    finally:
        _stop(chroma)


def test_two_app_processes_one_worker_one_chroma_server(deployment, tmp_path):
    env = deployment
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "cli.py", "worker"], cwd=PROJECT_ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        apps = {
            owner: subprocess.Popen(
                [sys.executable, "-c", APP_PROCESS, owner, text],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for owner, text in ARTICLES.items()
        }
        seen = {}
        for owner, proc in apps.items():
            out, err = proc.communicate(timeout=900)
            assert proc.returncode == 0, (
                f"{owner}: {err[-3000:]}\nworker:\n{log.read_text()[-3000:]}"
            )
            seen[owner] = json.loads(out.strip().splitlines()[-1])
    finally:
        _stop(worker)

    assert {s["state"] for s in seen.values()} == {"done"}, seen
    # One worker, one check at a time: whichever came second waited behind the other.
    assert max(s["max_ahead"] for s in seen.values()) >= 1, seen
    assert all("running" in s["states"] for s in seen.values()), seen

    history = History(Settings().history_file())  # the file both app processes share
    rows = {r.owner: r for r in history.list()}
    assert set(rows) == set(ARTICLES)
    for owner, s in seen.items():
        assert rows[owner].id == s["check_id"]
        report, _ = history.load(s["check_id"])
        assert report.article.text == ARTICLES[owner]
        # The archive came from the Chroma server: the claim found its own archive story.
        titles = {e.title for c in report.claims for e in c.evidence}
        assert titles, f"{owner}: no passage from the server"
