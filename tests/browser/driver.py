"""Small helpers to drive the Streamlit app with Playwright: waits, widgets, results.

Streamlit reruns the script after every interaction; these helpers wait for that run to
end (the app root's `data-test-script-state` and the status widget) instead of sleeping.
"""

from __future__ import annotations

import contextlib
import os
import re
import time

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Seconds a check may take: the real model on two cores takes minutes for the demo article,
# and many more when other work shares the cores.
CHECK_TIMEOUT = float(os.environ.get("FACTCHECK_BROWSER_CHECK_TIMEOUT", 60 * 60))
STEP_TIMEOUT = 120  # seconds: an ordinary rerun (a file read, a URL fetch, a cached check)

VERDICT_TEXT = re.compile(
    r"Supported|Contradicted|Mixed|disagrees with itself|Not enough info|"
    r"not enough to settle|Not in (the )?archive"
)

_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (app.getAttribute('data-test-script-state') === 'running') return false;
    const status = document.querySelector('[data-testid="stStatusWidget"]');
    if (status && status.offsetParent !== null && /running/i.test(status.innerText)) return false;
    const stop = [...document.querySelectorAll('button')].some(
        (b) => b.innerText.trim() === 'Stop' && b.offsetParent !== null);
    return !stop;
}"""

_RUNNING_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'running';
}"""


def wait_idle(
    page: Page, timeout: float = STEP_TIMEOUT, settle: float = 1.0, polling: int = 250
) -> None:
    """Wait until the app is connected, no script run is going on and no Stop button shows.

    A run that starts just after an action may not have begun yet: wait briefly for it,
    then for the app to stay idle for `settle` seconds.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    # It was quick, or it has not started yet: the idle check below covers both.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(_RUNNING_JS, timeout=1500)
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(deadline - time.monotonic(), 0.1)
        page.wait_for_function(_IDLE_JS, timeout=remaining * 1000, polling=polling)
        time.sleep(settle)
        if page.evaluate(_IDLE_JS):
            return
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"the app did not become idle within {timeout} s")


def open_app(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    wait_idle(page)


def main_area(page: Page) -> Locator:
    return page.locator('[data-testid="stMain"]')


def main_text(page: Page) -> str:
    return main_area(page).inner_text()


def exceptions(page: Page) -> list[str]:
    """Texts of Streamlit exception boxes on the page (an uncaught error in the script)."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def open_tab(page: Page, name: str) -> None:
    tab = page.get_by_role("tab", name=name, exact=True)
    tab.click()
    page.wait_for_function(
        "(el) => el.getAttribute('aria-selected') === 'true'", arg=tab.element_handle()
    )


def goto_page(page: Page, name: str) -> None:
    """Open a page of st.navigation by its link in the sidebar (or top) navigation."""
    nav = page.locator('[data-testid="stSidebarNav"], [data-testid="stTopNavLink"]')
    link = nav.get_by_role("link", name=name, exact=True)
    if link.count() == 0:
        link = page.get_by_role("link", name=name, exact=True)
    link.first.click()
    wait_idle(page)


def fill_text(page: Page, label: str, text: str) -> None:
    """Type into a text input or text area and commit it (a rerun with the new value)."""
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Control+Enter" if box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
    wait_idle(page)


def open_select(page: Page, label: str) -> Locator:
    """Open the dropdown of the st.selectbox labelled `label`; returns its options.

    A click does not always open it (the page may scroll under the popover, which closes
    it): ArrowDown on the focused box does.
    """
    box = page.get_by_label(label, exact=True)
    options = page.get_by_role("option")
    box.click()
    with contextlib.suppress(PlaywrightTimeout):
        options.first.wait_for(timeout=1500)
    if not options.count():
        box.press("ArrowDown")
    options.first.wait_for()
    return options


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the st.selectbox labelled `label`."""
    open_select(page, label)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def choose_matching(page: Page, label: str, pattern: str) -> str:
    """Pick the first option of the st.selectbox `label` whose text matches `pattern`."""
    options = open_select(page, label)
    names = [n.strip() for n in options.all_inner_texts()]
    match = next((n for n in names if re.search(pattern, n)), None)
    assert match is not None, f"no option of {label!r} matches {pattern!r}: {names}"
    options.filter(has_text=re.compile(rf"^\s*{re.escape(match)}\s*$")).first.click()
    wait_idle(page)
    return match


def click_button(page: Page, name: str, timeout: float = STEP_TIMEOUT) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page, timeout=timeout)


def check_claims(page: Page, timeout: float = CHECK_TIMEOUT) -> float:
    """Click "Check claims" and wait for the check to finish; returns the seconds it took."""
    start = time.monotonic()
    page.get_by_role("button", name="Check claims", exact=True).click()
    try:
        wait_idle(page, timeout=timeout, settle=2.0, polling=1000)
    except PlaywrightTimeout:
        progress = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
        raise AssertionError(
            f"the check did not finish within {timeout:.0f} s (progress: {progress}); "
            "FACTCHECK_BROWSER_CHECK_TIMEOUT sets the limit in seconds"
        ) from None
    return time.monotonic() - start


def verdict_marks(page: Page) -> Locator:
    """The reading view's marked claims (elements with data-verdict and data-claim)."""
    return page.locator("[data-verdict][data-claim]")


def reading_view(page: Page) -> Locator:
    """The block of the article's text with the claims marked in it."""
    return page.locator(
        '[data-testid="stMarkdownContainer"]', has=page.locator("[data-verdict][data-claim]")
    ).last
