"""Reviews, the History page and the downloads, exercised with AppTest."""

from __future__ import annotations

import csv
import html
import io
import json

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from chains.models import Verdict
from review.models import Decision, Review
from tests import test_app
from tests.test_app import (
    assert_no_traceback,
    by_label,
    click,
    everything,
    history,
    new_app,
    paste_and_check,
    reading_view,
    sample_report,
    shown,
)

app_env = test_app.app_env  # fixtures, shared
fake_model = test_app.fake_model
archive = test_app.archive
worker = test_app.worker

KEY = "k" * 32
NOTE = "Called the council clerk: the minutes say $85 million. <b>not bold</b>"


@pytest.fixture
def saved(app_env):
    """The sample report, saved in the test's History; (history, check id)."""
    h = history()
    return h, h.save(sample_report(), owner="an-earlier-session", cache_key=KEY)


@pytest.fixture
def downloads(monkeypatch):
    """What the page offers for download, by file name (recorded as Streamlit stores it)."""
    files: dict[str, str] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        data = path_or_data.decode() if isinstance(path_or_data, bytes) else path_or_data
        files[filename] = data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def open_check(check_id: str, claim: str | None = None):
    """The app opened at ?check=ID (from History), or ?check=ID&claim=CID (a clicked claim)."""
    at = new_app()
    at.query_params["check"] = check_id
    if claim is not None:
        at.query_params["claim"] = claim
    return at.run()


def test_a_claim_clicked_in_the_reading_view_opens_its_comparison(saved):
    _, check_id = saved
    at = open_check(check_id)
    view = reading_view(at)
    # Each mark links to the saved check with its claim (the ids are escaped for HTML).
    for cid in ("c1", "c2", "c3"):
        link = f'href="?check={check_id}&amp;claim={cid}" target="_self"'
        assert link in view, view[:2000]
    # Following the link: a new session opens the check with that claim chosen.
    at = open_check(check_id, claim="c3")
    assert_no_traceback(at)
    assert by_label(at.selectbox, "Claim").value == "c3"
    assert "claim" not in at.query_params and "check" not in at.query_params
    at = open_check(check_id, claim="no-such-claim")
    assert_no_traceback(at)
    assert by_label(at.selectbox, "Claim").value == "c1"


def test_an_unsaved_report_has_no_claim_links(app_env):
    at = test_app.show_report(new_app(), sample_report())
    assert 'class="claim-link"' not in reading_view(at)


def review(at, decision: str, corrected: Verdict | None = None, note: str = ""):
    by_label(at.selectbox, "Reviewer decision").set_value(decision).run()
    if corrected is not None:
        by_label(at.selectbox, "Corrected verdict").set_value(corrected).run()
    by_label(at.text_area, "Review note").input(note).run()
    return click(at, "Save review")


def download(files: dict[str, str], suffix: str) -> str:
    [name] = [n for n in files if n.endswith(suffix)]
    return files[name]


def test_a_check_opened_from_history_can_be_reviewed(saved):
    h, check_id = saved
    at = open_check(check_id)
    assert_no_traceback(at)
    assert at.session_state["check_id"] == check_id
    assert any("Opened from History" in shown(c.value) for c in at.caption)
    assert "check" not in at.query_params  # a later rerun does not reopen it

    by_label(at.selectbox, "Reviewer decision").set_value("Overrule").run()
    corrected = by_label(at.selectbox, "Corrected verdict")
    assert "Contradicted" not in corrected.options  # the machine's own verdict
    assert "Not enough info" in corrected.options
    review(at, "Overrule", Verdict.SUPPORTED, NOTE)
    assert_no_traceback(at)

    _, reviews = h.load(check_id)
    assert reviews["c1"].decision is Decision.OVERRULED
    assert reviews["c1"].verdict is Verdict.SUPPORTED
    assert reviews["c1"].note == NOTE
    assert any("Reviewed: overruled \u2192 Supported" in shown(s.value) for s in at.success)
    assert "[Reviewed: overruled \u2192 Supported]" in html.unescape(reading_view(at))
    assert any("Reviewed: overruled \u2192 Supported" in shown(m.value) for m in at.markdown)
    assert "<b>not bold</b>" not in " ".join(m.value for m in at.markdown)

    # Accepting another claim, then taking a decision back.
    by_label(at.selectbox, "Claim").set_value("c3").run()
    review(at, "Accept")
    assert h.load(check_id)[1]["c3"].decision is Decision.ACCEPTED
    assert "[Reviewed: accepted]" in html.unescape(reading_view(at))
    review(at, "Not reviewed")
    assert "c3" not in h.load(check_id)[1]
    assert "c1" in h.load(check_id)[1]


def test_reopening_a_check_shows_its_reviews(saved):
    h, check_id = saved
    h.set_review(check_id, Review.overrule(sample_report().claims[0], Verdict.MIXED, NOTE))
    at = open_check(check_id)
    assert_no_traceback(at)
    assert by_label(at.selectbox, "Reviewer decision").value == "Overrule"
    assert by_label(at.selectbox, "Corrected verdict").value == Verdict.MIXED
    assert by_label(at.text_area, "Review note").value == NOTE
    assert "[Reviewed: overruled \u2192 Mixed]" in html.unescape(reading_view(at))


def test_the_history_page_lists_checks_with_a_link_to_open_them(saved):
    h, check_id = saved
    h.set_review(check_id, Review.accept(sample_report().claims[2]))
    at = new_app().run()
    at.switch_page("app_pages/history.py").run()
    assert_no_traceback(at)
    page = " ".join(shown(c.value) for c in at.caption) + " ".join(
        shown(m.value) for m in at.markdown
    )
    assert "Budget <script>alert(1)</script>" in page  # the title, escaped
    assert "3 claim(s)" in page and "1 reviewed" in page
    assert "1 contradicted" in page
    [link] = at.get("page_link")
    assert link.value == "Open" and check_id in link.proto.query_string
    for m in at.markdown:
        assert "<script" not in m.value.replace("\\<", "")

    by_label(at.text_input, "Search history").input("no such headline").run()
    assert any("No checks match" in i.value for i in at.info)
    by_label(at.text_input, "Search history").input("budget").run()
    assert at.get("page_link")


def test_deleting_a_check_asks_first(saved):
    h, check_id = saved
    at = new_app().run()
    at.switch_page("app_pages/history.py").run()
    click(at, "Delete")
    assert any("cannot be undone" in w.value for w in at.main.warning)
    click(at, "Cancel")
    assert not at.main.warning and len(h.list()) == 1
    click(at, "Delete")
    click(at, "Yes, delete")
    assert_no_traceback(at)
    assert h.list() == []
    assert any("Deleted" in shown(s.value) for s in at.success)
    assert any("No checks yet" in i.value for i in at.info)


def test_the_downloads_carry_the_reviews(saved, downloads):
    h, check_id = saved
    at = open_check(check_id)
    [claimreview] = [
        d for d in at.get("download_button") if d.proto.label == "Download ClaimReview (JSON-LD)"
    ]
    assert claimreview.proto.disabled and "rated verdict" in claimreview.proto.help

    review(at, "Accept", note=NOTE)  # claim 1: CONTRADICTED, a rated verdict
    assert_no_traceback(at)
    labels = {d.proto.label: d for d in at.get("download_button")}
    assert not labels["Download ClaimReview (JSON-LD)"].proto.disabled

    memo = download(downloads, ".md")
    assert "accepted" in memo and "clerk" in memo and "Machine verdict" in memo
    data = json.loads(download(downloads, ".json"))
    assert data["reviews"]["c1"]["decision"] == "ACCEPTED"
    assert [c["id"] for c in data["claims"]] == ["c1", "c2", "c3"]
    rows = list(csv.DictReader(io.StringIO(download(downloads, "-claims.csv"))))
    assert [r["verdict"] for r in rows] == ["CONTRADICTED", "NOT_IN_ARCHIVE", "SUPPORTED"]
    assert rows[0]["review_decision"] == "ACCEPTED" and rows[0]["review_note"] == NOTE
    [item] = json.loads(download(downloads, "-claimreview.jsonld"))
    assert item["@type"] == "ClaimReview" and item["reviewRating"]["ratingValue"] == 1
    assert "<script" not in everything(at).replace("\\<", "")


def test_two_sessions_checking_the_same_article_each_get_their_own_check(fake_model, archive):
    """The second check is answered by the report cache, but it is a History record of
    its own: a review in one session is never a review of the other's check."""
    model, _ = fake_model
    model.not_checkable = ["six to one"]
    model.responses += [test_app.judge_contradicts] * 5
    article = f"{test_app.BRIDGE_CLAIM} The vote was six to one."
    first = paste_and_check(new_app().run(), article)
    second = paste_and_check(new_app().run(), article)
    assert_no_traceback(second)
    assert second.session_state["report"].cached
    mine, yours = first.session_state["check_id"], second.session_state["check_id"]
    assert mine and yours and mine != yours
    assert first.session_state["owner_id"] != second.session_state["owner_id"]

    review(first, "Overrule", Verdict.SUPPORTED, NOTE)
    assert_no_traceback(first)
    h = history()
    assert h.load(mine)[1]["c1"].note == NOTE
    assert h.load(yours)[1] == {}
    review(second, "Accept")
    assert h.load(yours)[1]["c1"].decision is Decision.ACCEPTED
    assert h.load(mine)[1]["c1"].decision is Decision.OVERRULED

    # Without sign-in every check is listed; each says whose session it came from.
    second.switch_page("app_pages/history.py").run()
    assert_no_traceback(second)
    captions = [shown(c.value) for c in second.caption]
    assert sum("checked in this browser session" in c for c in captions) == 1
    assert sum("another session's" in c for c in captions) == 1
    assert any("1 reviewed, 1 overruled" in c for c in captions)
