"""Sign-in against a real OIDC provider, in the real app and browser.

The test starts an OpenID Connect provider (oidc-provider-mock: discovery, authorization,
token and userinfo endpoints, signed ID tokens) with two people, writes Streamlit's secrets
with scripts/oidc_secrets.py as run_app.sh does, and starts the app with one of them named
editor. A reporter signs in and finds the archive and the settings closed to changes; the
editor signs in and adds an article to the archive. No model is needed: nothing is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import _free_port, _stop, _tail
from tests.browser.driver import goto_page, main_text, open_app, wait_idle

ROOT = Path(__file__).resolve().parents[2]
EDITOR = "editor@newsroom.example"
REPORTER = "reporter@newsroom.example"
STORY = "Harbour ferry timetable\n\nThe Bayline ferry now leaves Pier 4 every 20 minutes.\n"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    people = [User(sub=who.split("@")[0], claims={"email": who}) for who in (EDITOR, REPORTER)]
    with run_server_in_thread(port=_free_port(), user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_app(provider, tmp_path_factory, results_dir) -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from oidc_secrets import secrets_file

    root = tmp_path_factory.mktemp("sign-in")
    port = _free_port()
    url = f"http://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FACTCHECK_")}
    secrets = secrets_file(
        {
            "FACTCHECK_OIDC_METADATA_URL": f"{provider}/.well-known/openid-configuration",
            "FACTCHECK_OIDC_CLIENT_ID": "factcheck-test",
            "FACTCHECK_OIDC_CLIENT_SECRET": "not-a-real-secret",
            "FACTCHECK_OIDC_REDIRECT_URI": f"{url}/oauth2callback",
        },
        root / "cache",
    )
    assert secrets is not None and oct(secrets.stat().st_mode & 0o777) == "0o600"
    env.update(
        FACTCHECK_STORE_DIR=str(root / "store"),
        FACTCHECK_CACHE_DIR=str(root / "cache"),
        FACTCHECK_HISTORY_PATH=str(root / "history.sqlite3"),
        FACTCHECK_EDITORS=f" {EDITOR.upper()} , someone@else.example",
        PYTHONUNBUFFERED="1",
    )
    log_path = results_dir / "streamlit-sign-in.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        import time
        import urllib.request

        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, _tail(log_path)
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, _tail(log_path)
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)


def sign_in(page, url: str, who: str) -> None:
    open_app(page, url)
    assert "Sign in with your newsroom account" in main_text(page)
    assert not page.locator('[data-testid="stSidebarNav"]').count()  # no pages before
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")  # the provider's own page
    page.get_by_role("button", name=who.split("@")[0], exact=True).click()
    page.wait_for_url(f"{url}/**")
    page.wait_for_selector('[data-testid="stSidebarNav"]')
    wait_idle(page)


def sidebar(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def test_a_reporter_may_not_change_the_archive_or_the_settings(page, signed_app):
    sign_in(page, signed_app, REPORTER)
    assert f"Signed in as {REPORTER} (reporter)" in sidebar(page)
    goto_page(page, "Archive")
    text = main_text(page)
    assert "Only editors add articles to the archive" in text, text[:2000]
    assert page.get_by_role("button", name="Add to archive").count() == 0
    assert "Files to add" not in text
    goto_page(page, "Settings")
    text = main_text(page)
    assert "Only editors change the settings" in text, text[:2000]
    assert page.get_by_role("button", name="Save settings").count() == 0


def test_an_editor_adds_to_the_archive_and_signs_out(page, signed_app, tmp_path):
    sign_in(page, signed_app, EDITOR)
    assert f"Signed in as {EDITOR} (editor)" in sidebar(page)
    goto_page(page, "Archive")
    story = tmp_path / "ferry.txt"
    story.write_text(STORY)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Files to add")
    uploader.locator('input[type="file"]').set_input_files(str(story))
    wait_idle(page)
    page.get_by_role("button", name="Add to archive").click()
    wait_idle(page)
    text = main_text(page)
    assert "Added 1 article(s)" in text, text[:2000]
    goto_page(page, "Settings")
    assert page.get_by_role("button", name="Save settings").count() == 1
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")  # the provider ends its session too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{signed_app}/**")
    page.get_by_text("Sign in with your newsroom account").wait_for()
    page.get_by_role("button", name="Sign in").wait_for()  # rendered after the text
    assert page.get_by_role("button", name="Sign in").count() == 1
