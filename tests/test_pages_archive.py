"""The Archive page, exercised with AppTest on a small real Chroma store."""

from __future__ import annotations

import datetime as dt

from settings import Settings
from tests import test_app
from tests.test_app import (
    ARCHIVE,
    assert_no_traceback,
    by_label,
    click,
    errors,
    new_app,
    shown,
)

app_env = test_app.app_env  # a fixture, shared
archive = test_app.archive  # a fixture, shared


def archive_page():
    at = new_app().run()
    return at.switch_page("app_pages/archive.py").run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.main.get("metric")}


def tables(at) -> list[dict]:
    return [dict(zip(*[list(df[c]) for c in df.columns], strict=True)) for df in tables_raw(at)]


def tables_raw(at):
    return [d.value for d in at.dataframe]


def stored_articles() -> list[dict]:
    from vectorstore.store import open_store

    return open_store(Settings()).list_articles()


def test_counts_by_source_and_year(archive):
    at = archive_page()
    assert_no_traceback(at)
    assert metrics(at)["Articles in the archive"] == "3"
    assert metrics(at)["Sources"] == "1"
    by_source, by_year = tables(at)
    assert by_source == {"Harbor Gazette": 3}
    assert by_year == {"2022": 1, "2023": 2}


def test_an_empty_archive_says_so(app_env):
    at = archive_page()
    assert_no_traceback(at)
    assert metrics(at)["Articles in the archive"] == "0"
    assert any("archive is empty" in c.value for c in at.caption)


def test_adding_files_with_a_source_and_date_that_override_theirs(archive):
    at = archive_page()
    by_label(at.file_uploader, "Files to add").set_value(
        [
            ("tram.txt", b"Tram line opens\n\nThe tram line opened with 12 stops.\n", "text/plain"),
            (
                "port.md",
                b'---\ntitle: "Port expands"\nsource: "Other Paper"\npublished: 2019-05-01\n---\n\n'
                b"The port added two berths.\n",
                "text/markdown",
            ),
            ("broken.pdf", b"not a pdf", "application/pdf"),
        ]
    )
    by_label(at.text_input, "Source (optional)").input("Bay Courier")
    at.date_input[0].set_value(dt.date(2020, 1, 2))
    click(at, "Add to archive")
    assert_no_traceback(at)
    assert any("Added 2 article(s)" in shown(s.value) for s in at.success), at.success
    assert any("now has 5 articles (before: 3)" in shown(s.value) for s in at.success)
    assert any(
        m.startswith("Not added: broken.pdf: broken.pdf: not a readable PDF") for m in errors(at)
    )
    assert metrics(at)["Articles in the archive"] == "5"
    added = {a["title"]: a for a in stored_articles()}
    assert added["Tram line opens"]["source"] == "Bay Courier"
    assert added["Port expands"]["source"] == "Bay Courier"
    assert added["Port expands"]["published"] == "2020-01-02"
    by_source, by_year = tables(at)
    assert by_source == {"Bay Courier": 2, "Harbor Gazette": 3}
    assert by_year["2020"] == 2

    # The same file again is a duplicate, and nothing changes.
    by_label(at.file_uploader, "Files to add").set_value(
        ("tram.txt", b"Tram line opens\n\nThe tram line opened with 12 stops.\n", "text/plain")
    )
    by_label(at.text_input, "Source (optional)").input("Bay Courier")
    at.date_input[0].set_value(dt.date(2020, 1, 2))
    click(at, "Add to archive")
    assert any("Already in the archive" in shown(s.value) for s in at.success)
    assert metrics(at)["Articles in the archive"] == "5"


def test_adding_an_unreachable_link_says_why(archive):
    at = archive_page()
    by_label(at.text_input, "Or a link to add (URL)").input("http://nowhere.invalid/story")
    click(at, "Add to archive")
    assert_no_traceback(at)
    assert any("nowhere.invalid was not found" in m for m in errors(at)), errors(at)
    assert metrics(at)["Articles in the archive"] == "3"


def test_nothing_to_add_is_a_message(archive):
    at = click(archive_page(), "Add to archive")
    assert any("Choose files or enter a link" in w.value for w in at.warning)


def test_search_the_archive(archive):
    at = archive_page()
    by_label(at.text_input, "Search the archive").input("ferry between Pier 4 and Gull Island")
    at.run()
    assert_no_traceback(at)
    known = {f"**{title}**" for title, *_ in ARCHIVE.values()}
    titles = [shown(m.value) for m in at.markdown if shown(m.value) in known]
    assert titles[0] == "**Bayline ferry launches**"
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "Harbor Gazette \u00b7 2023-07-02 \u00b7 score 0." in captions
    assert any("Gull Island" in t.value for t in at.text)


def test_open_and_delete_an_article(archive):
    at = archive_page()
    bridge = next(a for a in stored_articles() if a["title"].startswith("Council"))
    by_label(at.selectbox, "Open an article").set_value(bridge["article_id"]).run()
    assert_no_traceback(at)
    assert any("$58 million" in t.value for t in at.text)
    click(at, "Delete this article")
    assert any("cannot be undone" in w.value for w in at.warning)
    click(at, "Cancel")
    assert len(stored_articles()) == 3

    by_label(at.selectbox, "Open an article").set_value(bridge["article_id"]).run()
    click(at, "Delete this article")
    click(at, "Yes, delete it")
    assert_no_traceback(at)
    message = " ".join(shown(s.value) for s in at.success)
    assert "Deleted \u201cCouncil approves bridge repair funds\u201d" in message
    assert "now has 2 articles and 2 passages (before: 3 and 3)" in message
    assert metrics(at)["Articles in the archive"] == "2"
    assert {m.label: m.value for m in at.sidebar.metric}["Articles"] == "2"
    assert [a["title"] for a in stored_articles()] == [
        "Bayline ferry launches",
        "Heat wave sets record",
    ]
