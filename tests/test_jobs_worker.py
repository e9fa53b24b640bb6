"""A real worker process (`python cli.py worker`: huey's consumer on the SQLite queue in
tmp_path) runs real checks with the embedded model against a small real archive: one
queued as the app queues it, one by `cli.py check` while the worker runs. Run it under
`flock /tmp/factcheck-model.lock` beside other model work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobs import queue
from jobs.records import DONE, RUNNING
from review.history import History
from settings import PROJECT_ROOT, Settings
from tests.test_app import BRIDGE_CLAIM, ingest_archive
from vectorstore.ingest import article_from_text

pytestmark = pytest.mark.integration

ARTICLE = (
    "Port Avalon Transit launched the Bayline ferry service between Pier 4 and Gull "
    f"Island on July 1, 2023. {BRIDGE_CLAIM}"
)


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    """The worker's environment (and this process's, for submit and status)."""
    from chains.model_file import ModelFileError, model_path

    try:
        model = model_path(Settings(cache_dir=Path.home() / ".cache" / "factcheck"))
    except ModelFileError as exc:
        pytest.fail(f"the embedded model is not prepared: {exc}", pytrace=False)
    values = {
        "FACTCHECK_STORE_DIR": str(tmp_path / "store"),
        "FACTCHECK_CACHE_DIR": str(tmp_path / "cache"),
        "FACTCHECK_HISTORY_PATH": str(tmp_path / "shared" / "history.sqlite3"),
        "FACTCHECK_MODEL_PATH": str(model),
        "FACTCHECK_TOP_K": "2",
    }
    for name in [n for n in os.environ if n.upper().startswith("FACTCHECK_")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    ingest_archive(tmp_path)
    queue._HUEYS.clear()
    yield {**{k: v for k, v in os.environ.items()}, "PYTHONUNBUFFERED": "1"}
    queue._HUEYS.clear()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "cli.py", "worker"], cwd=PROJECT_ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def wait_for(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s; worker log:\n{log.read_text()[-3000:]}")


def test_a_worker_process_runs_the_apps_and_the_clis_checks(env, tmp_path):
    settings = Settings()
    jobs = queue.job_store(settings)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        wait_for(lambda: jobs.workers_alive(), 60, "no worker heartbeat", log)
        job_id = queue.submit(
            article_from_text(ARTICLE, "Bridge and ferry"), settings, {}, owner="s1"
        )

        seen: list[tuple[str, int, int]] = []

        def finished():
            job = queue.status(settings, job_id).job
            seen.append((job.state, job.done, job.total))
            return job if job.finished else None

        job = wait_for(finished, 600, "the queued check did not finish", log)
        assert job.state == DONE, (job.state, job.error and str(job.error[:200]))
        # Its progress was visible while it ran: claims done of total.
        assert any(state == RUNNING and total > 0 for state, _, total in seen), seen
        report, _ = History(settings.history_file()).load(job.check_id)
        assert report.claims and report.article.text == ARTICLE
        for claim in report.claims:
            assert ARTICLE[claim.start : claim.end] == claim.quote
        assert any(e for c in report.claims for e in c.evidence), "no passage retrieved"

        # cli.py check goes through the same worker while it runs (owner "cli").
        out = subprocess.run(
            [sys.executable, "cli.py", "check", "-", "--format", "json"],
            cwd=PROJECT_ROOT, env=env, input=ARTICLE.encode(), capture_output=True,
            timeout=600,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr.decode()[-2000:]
        cli_report = json.loads(out.stdout)
        assert [c["quote"] for c in cli_report["claims"]] == [c.quote for c in report.claims]
        owners = sorted(r.owner for r in History(settings.history_file()).list())
        assert owners == ["cli", "s1"]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert jobs.workers_alive() == 0  # it said goodbye
