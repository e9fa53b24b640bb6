"""The Check page follows its job in the worker: place in the queue, progress, outcome;
a reload (the same address) or another browser (the History page) finds a running check.
AppTest with a fake model in a real huey consumer thread (tests/test_app.py's fixtures)."""

from __future__ import annotations

import threading

from tests import test_app
from tests.test_app import (
    assert_no_traceback,
    by_label,
    click,
    history,
    new_app,
    paste_and_check,
    shown,
    wait_for_job,
)

app_env = test_app.app_env  # fixtures, shared
fake_model = test_app.fake_model
worker = test_app.worker

QUOTES = ["The bridge reopened on May 3, 2024.", "The ferry carried 400,000 riders."]


def test_a_reload_or_another_browser_finds_the_running_check(fake_model, monkeypatch):
    searching, release = threading.Event(), threading.Event()

    def retrieve(store, claim, settings, **kwargs):
        searching.set()
        release.wait(30)  # the worker holds the first claim until the test lets it go
        return []

    monkeypatch.setattr("chains.pipeline.retrieve_with", retrieve)
    try:
        follow_the_running_check(release, searching)
    finally:
        release.set()  # a failed assertion must not leave the worker waiting


def follow_the_running_check(release: threading.Event, searching: threading.Event) -> None:
    first = paste_and_check(new_app().run(), " ".join(QUOTES), "Bridge and ferry", wait=False)
    assert searching.wait(30), "the worker never started the check"
    job_id = first.session_state["job_id"]
    assert first.query_params["job"] == job_id  # the address names the job

    # A reload: a new session with the same address follows the same job.
    reloaded = new_app()
    reloaded.query_params["job"] = job_id
    reloaded.run()
    assert_no_traceback(reloaded)
    assert reloaded.session_state["job_id"] == job_id
    assert any(b.label == "Stop" for b in reloaded.button)
    [bar] = reloaded.get("progress")
    assert "Checking claim 1 of 2" in bar.proto.text, bar.proto

    # Another browser finds it on the History page, with a link that follows it.
    other = new_app().run()
    other.switch_page("app_pages/history.py").run()
    assert_no_traceback(other)
    captions = [shown(c.value) for c in other.caption]
    assert any("running: claim 1 of 2" in c and "another session's" in c for c in captions), (
        captions
    )
    assert any("Bridge and ferry" in shown(m.value) for m in other.markdown)
    links = other.get("page_link")
    assert any(job_id in str(link.proto) for link in links), [str(x.proto) for x in links]

    # A page switch and back: the session still follows it, and the address names it again.
    first.switch_page("app_pages/archive.py").run()
    assert_no_traceback(first)
    first.switch_page("app_pages/check.py").run()
    assert any(b.label == "Stop" for b in first.button)
    assert first.query_params["job"] == job_id

    # The check was never touched: it ends once, and every follower gets its result.
    release.set()
    wait_for_job(reloaded)
    wait_for_job(first)
    assert_no_traceback(reloaded)
    [row] = history().list()
    # Still the check of the session that queued it (the reload is a session of its own).
    assert row.owner == first.session_state["owner_id"]
    assert "owner_id" not in reloaded.session_state
    for at in (first, reloaded):
        assert at.session_state["check_id"] == row.id
        assert [c.quote for c in at.session_state["report"].claims] == QUOTES
        assert at.status[0].state == "complete"
    assert "job" not in reloaded.query_params


def test_a_waiting_check_says_how_many_are_ahead_and_stop_cancels_it(app_env):
    # No worker runs: both checks wait in the queue.
    ahead = paste_and_check(new_app().run(), QUOTES[0], wait=False)
    mine = paste_and_check(new_app().run(), QUOTES[1], wait=False)
    infos = [shown(i.value) for i in mine.info]
    assert "Waiting: 1 check ahead of yours." in infos, infos
    assert any("No worker is running" in shown(w.value) for w in mine.warning)
    ahead.run()
    assert "Waiting: yours is next." in [shown(i.value) for i in ahead.info]

    click(ahead, "Stop")
    assert_no_traceback(ahead)
    assert any("cancelled before it started" in shown(w.value) for w in ahead.warning)
    assert "job_id" not in ahead.session_state
    mine.run()
    assert "Waiting: yours is next." in [shown(i.value) for i in mine.info]
    assert by_label(mine.button, "Stop")
