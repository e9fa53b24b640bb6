"""A check runs in the worker: a reload, a page switch or another browser tab never
stops it (the real app, its worker and the real model; see conftest.py)."""

from __future__ import annotations

import pytest

from tests.browser.driver import (
    CHECK_TIMEOUT,
    fill_text,
    goto_page,
    main_text,
    open_app,
    open_tab,
    verdict_marks,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Short and its own (no other test checks it, so the report cache cannot answer it).
ARTICLE = (
    "Port Avalon Transit launched the Bayline ferry service on July 1, 2023. "
    "The Harbour Bridge repairs cost $58 million."
)
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


def wait_followed(page, timeout: float = 120) -> None:
    """The page shows a check in progress: its Stop button."""
    page.get_by_role("button", name="Stop", exact=True).wait_for(timeout=timeout * 1000)


def test_a_reload_and_a_page_switch_during_a_check_find_it_again(
    page, browser, app_url, shot, server_log
):
    open_app(page, app_url)
    open_tab(page, "Paste")
    fill_text(page, "Article text", ARTICLE)
    page.get_by_role("button", name="Check claims", exact=True).click()
    wait_followed(page)
    assert "job=" in page.url, page.url
    job_url = page.url
    shot("queued-or-running")

    # A reload: a new session on the same address follows the same job.
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(CONNECTED)
    wait_followed(page)
    shot("after-reload")

    # Another browser (a fresh context, no shared state) finds it on the History page.
    other = browser.new_context().new_page()
    try:
        other.goto(app_url, wait_until="domcontentloaded")
        other.wait_for_selector(CONNECTED)
        wait_idle(other)
        goto_page(other, "History")
        text = main_text(other)
        assert "In progress" in text, text[:2000]
        assert "another session's" in text, text[:2000]
        assert other.get_by_role("link", name="Follow").count() >= 1
    finally:
        other.context.close()

    # A page switch and back: the job went on, and its result arrives.
    goto_page(page, "Archive")
    # Not goto_page: it waits for the app to be idle, which it is not while a check runs.
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Check").first.click()
    page.wait_for_selector(CONNECTED)
    page.wait_for_timeout(2000)
    if not page.get_by_role("button", name="Stop", exact=True).count():
        page.goto(job_url, wait_until="domcontentloaded")  # it may have ended meanwhile
        page.wait_for_selector(CONNECTED)
    wait_idle(page, timeout=CHECK_TIMEOUT, settle=2.0, polling=1000)
    shot("done")
    assert verdict_marks(page).count() > 0, main_text(page)[:3000]
    assert "job=" not in page.url
    assert not page.locator('[data-testid="stException"]').count(), server_log()
