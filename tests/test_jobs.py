"""The job layer with a fake model: records, the runner, the queue (huey on SQLite in
tmp_path) and a real huey consumer thread. The worker process with the real model is
tested in tests/test_jobs_worker.py."""

from __future__ import annotations

import os
import threading
import time

import pytest

from chains.llm import ModelUnavailableError, forget_models
from chains.models import Verdict
from jobs import queue
from jobs.records import CANCELLED, DONE, FAILED, QUEUED, RUNNING, STOPPED, JobStore
from jobs.runner import load_error, run_job
from jobs.worker import fail_orphans, make_consumer
from review.history import History
from settings import Settings
from tests.fakes import QueuedChatModel
from tests.test_pipeline import FakeStore
from vectorstore.ingest import article_from_text
from vectorstore.models import Passage

TEXT = "The bridge reopened on May 3, 2024. The ferry carried 400,000 riders."


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Settings from the environment, as the worker rebuilds them; a fake archive."""
    for name in [n for n in os.environ if n.upper().startswith("FACTCHECK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FACTCHECK_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("FACTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FACTCHECK_MODEL", f"fake-{tmp_path.name}")
    archive = FakeStore({})
    monkeypatch.setattr("vectorstore.store.open_store", lambda settings: archive)
    queue._HUEYS.clear()
    queue._STORES.clear()
    forget_models()
    yield Settings()
    queue._HUEYS.clear()
    queue._STORES.clear()
    forget_models()


@pytest.fixture
def model(env, monkeypatch):
    fake = QueuedChatModel()
    monkeypatch.setattr("chains.llm.make_chat_model", lambda settings: fake)
    return fake


def run(settings: Settings, job_id: str, article, store, model, owner: str = "s1") -> str:
    return run_job(
        job_id, article, settings, jobs=queue.job_store(settings),
        history=History(settings.history_file()), store=store,
        model_factory=lambda s: model, owner=owner, user=None, worker="host:1",
    )  # fmt: skip


def new_job(settings: Settings, job_id: str = "j1", owner: str = "s1") -> JobStore:
    jobs = queue.job_store(settings)
    jobs.create(job_id, owner=owner, user=None, title="Bridge", url=None)
    return jobs


# --- the runner ------------------------------------------------------------------------------


def test_a_job_runs_to_a_history_record_of_its_owner(env, model):
    jobs = new_job(env)
    seen = []
    store = FakeStore({})
    original = jobs.progress

    def spy(job_id, **kw):
        seen.append((kw["stage"], kw["done"], kw["total"]))
        original(job_id, **kw)

    jobs.progress = spy
    assert run_job(
        "j1", article_from_text(TEXT), env, jobs=jobs, history=History(env.history_file()),
        store=store, model_factory=lambda s: model, owner="s1", user=None, worker="host:1",
    ) == DONE  # fmt: skip
    job = jobs.get("j1")
    assert job.state == DONE and job.worker == "host:1" and not job.cached
    report, reviews = History(env.history_file()).load(job.check_id)
    assert [c.verdict for c in report.claims] == [Verdict.NOT_IN_ARCHIVE] * 2
    [row] = History(env.history_file()).list()
    assert row.owner == "s1" and row.id == job.check_id
    # Progress went through the record: claims done of total, up to the end.
    assert ("compare", 2, 2) in seen and seen[-1][0] == "done"


def related_passages(quotes: list[str]) -> FakeStore:
    """A passage for each quote that the model must judge (the same statement, its figure
    or date left out): nothing the checks settle alone."""
    texts = ["The bridge reopened on a Friday after repairs.", "The ferry carried riders."]
    return FakeStore(
        {
            q: [Passage(id=f"a{i}:0", article_id=f"a{i}", text=t, start=0, end=len(t), score=0.9)]
            for i, (q, t) in enumerate(zip(quotes, texts, strict=True))
        }
    )


def test_stop_between_claims_keeps_the_partial_report_and_saves_nothing(env, model):
    jobs = new_job(env)

    def clicks_stop(messages):  # the reporter clicks Stop while the first claim is judged
        jobs.request_cancel("j1")
        return '{"label": "NEUTRAL", "reason": "x"}'

    model.responses = [clicks_stop, '{"label": "NEUTRAL", "reason": "x"}']
    archive = related_passages(TEXT.replace(". ", ".|").split("|"))
    assert run(env, "j1", article_from_text(TEXT), archive, model) == STOPPED
    job = jobs.get("j1")
    assert job.state == STOPPED
    assert [c.quote for c in job.partial.claims] == ["The bridge reopened on May 3, 2024."]
    assert any("Stopped after 1 of 2" in w for w in job.partial.warnings)
    assert len(model.responses) == 1  # the second claim's passage was never put to it
    assert not History(env.history_file()).list()


def test_a_job_cancelled_while_waiting_never_runs(env, model):
    jobs = new_job(env)
    assert jobs.request_cancel("j1") == CANCELLED
    assert run(env, "j1", article_from_text(TEXT), FakeStore({}), model) == CANCELLED
    assert not model.calls and jobs.get("j1").state == CANCELLED


def test_a_failure_keeps_the_error_type_and_its_causes(env, model):
    jobs = new_job(env)
    model.raises = ModelUnavailableError("provider 'openai' needs FACTCHECK_API_KEY")
    assert run(env, "j1", article_from_text(TEXT), FakeStore({}), model) == FAILED
    error = load_error(jobs.get("j1").error)
    chain = [error]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    assert any(isinstance(e, ModelUnavailableError) for e in chain), chain
    assert "FACTCHECK_API_KEY" in " ".join(map(str, chain))


def test_an_error_that_cannot_be_pickled_becomes_one_that_can():
    import pickle

    from jobs.runner import portable_error

    class Odd(Exception):
        def __init__(self, a, b):  # pickle calls Odd(message): fails
            super().__init__(f"{a}{b}")

    error = load_error(pickle.dumps(portable_error(Odd("x", "y"))))
    assert isinstance(error, RuntimeError) and "Odd: xy" in str(error)


def test_a_dead_workers_running_job_is_marked_failed(env):
    import socket
    import subprocess
    import sys

    jobs = new_job(env)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert jobs.start("j1", f"{socket.gethostname()}:{int(gone.stdout)}")
    jobs.create("j2", owner="s1", user=None, title="", url=None)
    assert jobs.start("j2", f"{socket.gethostname()}:{os.getppid()}")  # alive: left alone
    assert fail_orphans(env) == ["j1"]
    assert jobs.get("j1").state == FAILED and jobs.get("j2").state == RUNNING
    assert "worker stopped" in str(load_error(jobs.get("j1").error))


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_says_how_many_checks_are_ahead_and_cancel_takes_one_out(env, model):
    ids = [queue.submit(article_from_text(f"{TEXT} {i}"), env, {}, owner=f"s{i}") for i in range(3)]
    assert [queue.status(env, i).ahead for i in ids] == [0, 1, 2]
    assert all(queue.status(env, i).job.state == QUEUED for i in ids)
    assert queue.status(env, ids[0]).workers == 0  # nothing runs them yet
    assert queue.cancel(env, ids[1]) == CANCELLED
    assert queue.status(env, ids[2]).ahead == 1
    # A running check counts as ahead of every waiting one.
    queue.job_store(env).start(ids[0], "host:1")
    assert queue.status(env, ids[2]).ahead == 1  # ids[0] no longer waits: it runs


def test_a_key_typed_in_the_browser_is_never_queued(env, model):
    from pydantic import SecretStr

    with pytest.raises(queue.JobRefused, match="never written to the shared queue"):
        queue.submit(article_from_text(TEXT), env, {"api_key": SecretStr("sk-x")}, owner="s1")
    assert not queue.job_store(env).list()


def start_consumer(settings: Settings):
    consumer = make_consumer(settings)
    consumer._set_signal_handlers = lambda: None  # a thread cannot take signals; tests stop it
    consumer.start()
    return consumer


def wait_finished(settings: Settings, job_id: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.status(settings, job_id).job
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {queue.status(settings, job_id)}")


def test_a_huey_consumer_runs_the_jobs_in_order_with_the_sessions_settings(env, model):
    order = []
    model_calls = threading.Lock()

    def search(query, k, where=None):
        with model_calls:
            order.append(query)
        return []

    queue._store(env).search = search
    first = queue.submit(article_from_text(TEXT), env, {"top_k": 3}, owner="a")
    second = queue.submit(article_from_text("The mayor opened a park in 2021."), env, {}, owner="b")
    consumer = start_consumer(env)
    try:
        a, b = wait_finished(env, first), wait_finished(env, second)
    finally:
        consumer.stop(graceful=True)
    assert (a.state, b.state) == (DONE, DONE)
    assert order == [
        "The bridge reopened on May 3, 2024.",
        "The ferry carried 400,000 riders.",
        "The mayor opened a park in 2021.",
    ]  # one job after the other, never interleaved
    owners = {r.id: r.owner for r in History(env.history_file()).list()}
    assert owners == {a.check_id: "a", b.check_id: "b"}


def test_a_job_revoked_while_waiting_is_skipped_by_the_consumer(env, model):
    waiting = queue.submit(article_from_text(TEXT), env, {}, owner="a")
    queue.cancel(env, waiting)
    after = queue.submit(article_from_text("The mayor opened a park in 2021."), env, {}, owner="b")
    consumer = start_consumer(env)
    try:
        assert wait_finished(env, after).state == DONE
    finally:
        consumer.stop(graceful=True)
    assert queue.status(env, waiting).job.state == CANCELLED
    assert [r.title for r in History(env.history_file()).list()] == [
        queue.status(env, after).job.title
    ]


def test_the_worker_applies_the_servers_limits_to_a_sessions_job(env, model, monkeypatch):
    monkeypatch.setenv("FACTCHECK_MAX_CLAIMS", "1")  # the server's limit, in the worker too
    job_id = queue.submit(article_from_text(TEXT), env, {"max_claims": 50}, owner="a")
    consumer = start_consumer(env)
    try:
        job = wait_finished(env, job_id)
    finally:
        consumer.stop(graceful=True)
    report, _ = History(env.history_file()).load(job.check_id)
    assert len(report.claims) == 1


def test_finished_jobs_are_forgotten_after_a_week_and_active_ones_never(env):
    import datetime as dt
    import sqlite3

    jobs = new_job(env, "old-done")
    jobs.finish("old-done", DONE, check_id="c1")
    jobs.create("old-running", owner="s1", user=None, title="", url=None)
    jobs.start("old-running", "host:1")
    jobs.create("new-done", owner="s1", user=None, title="", url=None)
    jobs.finish("new-done", DONE, check_id="c2")
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).isoformat()
    with sqlite3.connect(jobs.path) as conn:
        conn.execute("UPDATE jobs SET updated = ? WHERE id LIKE 'old-%'", (long_ago,))
    assert jobs.prune(7) == 1
    assert jobs.get("old-done") is None
    assert jobs.get("old-running").state == RUNNING and jobs.get("new-done").state == DONE


def test_two_processes_opening_a_fresh_job_file_at_once_both_write(tmp_path):
    # The app and the worker start together on a new file: both switch it to WAL and
    # create the tables, which SQLite can refuse at once ("database is locked").
    from concurrent.futures import ThreadPoolExecutor

    def create(store: JobStore, job_id: str, barrier: threading.Barrier) -> None:
        barrier.wait()
        store.create(job_id, owner="s1", user=None, title="", url=None)

    for attempt in range(20):
        path = tmp_path / f"jobs-{attempt}.sqlite3"
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(create, [JobStore(path), JobStore(path)], ["j0", "j1"], [barrier] * 2))
        assert {JobStore(path).get(j).state for j in ("j0", "j1")} == {QUEUED}
