"""The Check page (app.py's default page), exercised with AppTest.

Fast tests use a temporary archive (empty, or a small real Chroma store) and, where a
model is needed, a queued fake patched in for `chains.llm.make_chat_model`. The
integration tests use the real embedded model. The fixtures and helpers here are also
used by tests/test_pages_*.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from chains.llm import forget_models
from chains.models import (
    ArticleInfo,
    ClaimCheck,
    Evidence,
    Mismatch,
    Report,
    StageStats,
    Stance,
    Verdict,
)
from settings import Settings
from tests.fakes import QueuedChatModel
from tests.test_jobs import related_passages

APP = Path(__file__).resolve().parent.parent / "app.py"
FAST_TIMEOUT = 60
MODEL_TIMEOUT = 900  # the embedded model runs at 10-30 tokens/s on a busy 2-core machine

INJECTION = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
BOLD = "**bold**"

ARCHIVE = {
    "2023-03-15-bridge-funds.md": (
        "Council approves bridge repair funds",
        "2023-03-15",
        "https://harborgazette.example/2023/03/15/bridge-funds",
        "The Port Avalon City Council approved $58 million for the Harbour Bridge repairs "
        "on March 14, 2023. The vote was six to one.",
    ),
    "2023-07-02-ferry.md": (
        "Bayline ferry launches",
        "2023-07-02",
        "https://harborgazette.example/2023/07/02/ferry",
        "Port Avalon Transit launched the Bayline ferry service between Pier 4 and Gull "
        "Island on July 1, 2023. Boats leave every 30 minutes.",
    ),
    "2022-07-20-heat.md": (
        "Heat wave sets record",
        "2022-07-20",
        "https://harborgazette.example/2022/07/20/heat",
        "Port Avalon recorded 41 degrees on July 19, 2022, the hottest day since records "
        "began in 1901.",
    ),
}
BRIDGE_CLAIM = (
    "The Port Avalon City Council approved $85 million for the Harbour Bridge repairs "
    "on March 14, 2023."
)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Default settings with a fresh store, cache and history; cached data cleared afterwards."""
    for name in [n for n in os.environ if n.upper().startswith("FACTCHECK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FACTCHECK_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("FACTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()  # stores and histories of this test's folders
    forget_models()


@pytest.fixture
def worker(app_env):
    """The job worker (a real huey consumer on the test's queue file) in a thread of this
    process, so it runs checks with whatever model factory the test patched in."""
    from jobs import queue
    from jobs.worker import make_consumer

    queue._HUEYS.clear()
    queue._STORES.clear()
    consumer = make_consumer(Settings())
    consumer._set_signal_handlers = lambda: None  # signals are the main thread's
    consumer.start()
    job_store(Settings()).heartbeat("test-worker")
    yield consumer
    consumer.stop(graceful=True)
    queue._HUEYS.clear()
    queue._STORES.clear()


def job_store(settings: Settings):
    from jobs.queue import job_store as store

    return store(settings)


def wait_for_job(at: AppTest, timeout: float = FAST_TIMEOUT) -> AppTest:
    """Rerun the page (as its polling fragment does) until the followed job has ended."""
    deadline = time.monotonic() + timeout
    while "job_id" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run(timeout=timeout)
    assert "job_id" not in at.session_state, f"the check did not end within {timeout} s"
    return at


@pytest.fixture
def fake_model(app_env, worker, monkeypatch):
    """Patch the model factory with a queued fake; records how often it was built."""
    monkeypatch.setenv("FACTCHECK_MODEL", f"fake-{app_env.name}")  # its own cache key
    built: list[QueuedChatModel] = []
    model = QueuedChatModel()

    def factory(settings):
        built.append(model)
        return model

    monkeypatch.setattr("chains.llm.make_chat_model", factory)
    return model, built


@pytest.fixture
def archive(app_env):
    """The small archive of ARCHIVE, in the test's store folder."""
    ingest_archive(app_env)
    return app_env


def ingest_archive(folder: Path) -> None:
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    files = folder / "archive-files"
    files.mkdir()
    for name, (title, published, url, body) in ARCHIVE.items():
        (files / name).write_text(
            f'---\ntitle: "{title}"\nsource: "Harbor Gazette"\npublished: {published}\n'
            f"url: {url}\n---\n\n{body}\n",
            encoding="utf-8",
        )
    settings = Settings()  # FACTCHECK_STORE_DIR is already the test's store
    report = ingest([str(files)], open_store(settings), chunk_chars=settings.chunk_chars)
    assert len(report.added) == len(ARCHIVE), report


def history():
    from review.history import History

    return History(Settings().history_file())


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=FAST_TIMEOUT)


def by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r}: {[w.label for w in widgets]}"
    return found[0]


def click(at: AppTest, label: str, wait: bool = True) -> AppTest:
    """Click a button; after Check claims, wait (unless told not to) for the job to end."""
    by_label(at.button, label).click().run()
    return wait_for_job(at) if wait and label == "Check claims" else at


def paste_and_check(at: AppTest, text: str, headline: str = "", wait: bool = True) -> AppTest:
    at.text_area(key="paste_text").input(text)
    if headline:
        at.text_input(key="paste_title").input(headline)
    return click(at, "Check claims", wait=wait)


def markdown_strings(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown (where an injection could take effect)."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    out += [e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)]
    out += [x.label for x in at.expander] + [s.label for s in at.status]
    out += [m.value for m in at.sidebar.markdown]
    return out


def html_strings(at: AppTest) -> list[str]:
    """The Markdown elements that carry HTML (the reading view, marked sentences)."""
    return [m.value for m in at.markdown if m.value.startswith("<div")]


def reading_view(at: AppTest) -> str:
    views = [h for h in html_strings(at) if "data-claim=" in h]
    assert len(views) == 1, views
    return views[0]


def shown(markdown: str) -> str:
    """What escaped Markdown looks like on the page: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def warnings(at: AppTest) -> list[str]:
    return [shown(w.value) for w in at.warning]


def plain_strings(at: AppTest) -> list[str]:
    return [t.value for t in at.text] + [c.value for c in at.code]


def everything(at: AppTest) -> str:
    widgets = [w.value for kind in ("text_input", "text_area") for w in at.get(kind)]
    return " ".join(plain_strings(at) + markdown_strings(at) + [str(v) for v in widgets])


def assert_no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def sample_report() -> Report:
    text = (
        f"The council approved {BOLD} $85 million {INJECTION} for the bridge. "
        f"It rained {IMG}. The ferry carried 400,000 riders."
    )
    quote = "The council approved"
    rained = "It rained"
    ferry = "The ferry carried 400,000 riders."
    return Report(
        article=ArticleInfo(
            text=text,
            title=f"Budget {INJECTION}",
            author="Lena Brandt",
            published=dt.date(2024, 5, 3),
            sha256="ab" * 32,
        ),
        model="fake-model",
        stages={
            "extract": StageStats(seconds=1.5, model_calls=1),
            "retrieve": StageStats(seconds=0.1),
            "compare": StageStats(seconds=2.0, model_calls=2),
        },
        warnings=[f"dropped a claim whose quote is not in the article: '{INJECTION}'"],
        claims=[
            ClaimCheck(
                id="c1",
                text=f"The council approved {BOLD} $85 million",
                quote=quote,
                start=0,
                end=len(quote),
                verdict=Verdict.CONTRADICTED,
                confidence=0.8,
                reason="Contradicted by Council approves bridge repair funds.",
                evidence=[
                    Evidence(
                        passage_id="p1:0",
                        article_id="p1",
                        title="Council approves bridge repair funds",
                        source="Harbor Gazette",
                        published=dt.date(2023, 3, 15),
                        url="https://harborgazette.example/2023/bridge",
                        text="The council approved $58 million for the repairs.",
                        score=0.82,
                        stance=Stance.CONTRADICTS,
                        stance_confidence=0.9,
                        reason="The amounts differ.",
                        mismatches=[
                            Mismatch(
                                kind="number",
                                claim_value="$85 million",
                                passage_values=["$58 million"],
                                conflict=True,
                            )
                        ],
                    ),
                    Evidence(
                        passage_id="p2:0",
                        article_id="p2",
                        title=f"Evil [click](javascript:alert(1)) {INJECTION}",
                        source="Unknown",
                        url="javascript:alert(1)",
                        text=f"{INJECTION} {IMG} {BOLD} $x$ :red[red] https://evil.example",
                        score=0.5,
                        stance=Stance.NEUTRAL,
                    ),
                ],
            ),
            ClaimCheck(
                id="c2",
                text="It rained.",
                quote=rained,
                start=text.index(rained),
                end=text.index(rained) + len(rained),
                verdict=Verdict.NOT_IN_ARCHIVE,
                reason="No archive passage is close enough to this claim.",
            ),
            ClaimCheck(
                id="c3",
                text=ferry,
                quote=ferry,
                start=text.index(ferry),
                end=text.index(ferry) + len(ferry),
                verdict=Verdict.SUPPORTED,
                confidence=0.95,
                reason="Supported by the ferry story.",
            ),
        ],
    )


def show_report(at: AppTest, report: Report) -> AppTest:
    at.session_state["report"] = report
    at.session_state["reviews"] = {}
    at.session_state["check_id"] = None
    return at.run()


def claim_options(at: AppTest) -> list[str]:
    return list(by_label(at.selectbox, "Claim").options)


# --- input ---------------------------------------------------------------------------------------


def test_the_check_page_has_its_inputs_and_the_pages(fake_model):
    _, built = fake_model
    at = new_app().run()
    assert_no_traceback(at)
    assert [t.label for t in at.tabs] == ["Paste", "Upload", "Link"]
    assert [w.label for w in at.text_area] == ["Article text"]
    assert [w.label for w in at.text_input] == ["Headline (optional)", "Article link (URL)"]
    assert [w.label for w in at.file_uploader] == ["Article file"]
    assert {"Fetch article", "Check claims"} <= {b.label for b in at.button}
    assert by_label(at.button, "Check claims").proto.type == "primary"
    assert not built


def test_empty_input_gives_a_message_and_loads_no_model(fake_model):
    _, built = fake_model
    at = click(new_app().run(), "Check claims")
    assert_no_traceback(at)
    assert any("Paste an article" in m for m in warnings(at))
    assert "report" not in at.session_state
    assert not built  # no model was even built


def test_whitespace_only_input_is_treated_as_empty(fake_model):
    _, built = fake_model
    at = paste_and_check(new_app().run(), "   \n\n  ")
    assert_no_traceback(at)
    assert any("Paste an article" in m for m in warnings(at))
    assert not built


def test_too_long_article_is_refused_before_the_model(fake_model, monkeypatch):
    _, built = fake_model
    monkeypatch.setenv("FACTCHECK_MAX_ARTICLE_CHARS", "50")
    at = paste_and_check(new_app().run(), "A sentence that is long enough. " * 5)
    assert_no_traceback(at)
    assert any("the limit is 50" in m for m in errors(at)), errors(at)
    assert not built


def test_sidebar_shows_the_archive_and_model_but_never_the_key(app_env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_API_KEY", "sk-secret-value-123")
    at = new_app().run()
    assert_no_traceback(at)
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics == {"Articles": "0", "Passages": "0"}
    assert any("archive is empty" in w.value for w in at.sidebar.warning)
    assert any("qwen2.5-coder" in t.value for t in at.sidebar.text)
    assert "sk-secret" not in everything(at)


def test_a_bad_upload_gives_the_ingest_message(fake_model):
    _, built = fake_model
    at = new_app()
    at.session_state["input_tab"] = "Upload"
    at.run()
    at.file_uploader[0].set_value(("notes.pdf", b"this is not a pdf", "application/pdf")).run()
    assert_no_traceback(at)
    messages = errors(at)
    assert any(m.startswith("notes.pdf: not a readable PDF") for m in messages), messages
    assert not any("factcheck-upload-" in m for m in messages)  # the temp path is not shown
    click(at, "Check claims")
    assert_no_traceback(at)
    assert not built and "report" not in at.session_state


def test_the_upload_tab_without_a_file_says_so(fake_model):
    _, built = fake_model
    at = new_app()
    at.session_state["input_tab"] = "Upload"
    at.run()
    at.text_area(key="paste_text").input("Text in the other tab is not what is checked.")
    click(at, "Check claims")
    assert any("Choose a file" in m for m in warnings(at))
    assert not built


def test_an_uploaded_text_file_is_the_article(fake_model):
    model, _ = fake_model
    body = "The ferry carried 400,000 riders in its first year."
    at = new_app()
    at.session_state["input_tab"] = "Upload"
    at.run()
    at.file_uploader[0].set_value(("ferry.txt", f"Ferry year\n\n{body}\n".encode(), "text/plain"))
    at.run()
    assert any("ferry.txt will be checked" in shown(c.value) for c in at.caption)
    assert any(body in t.value for t in at.text)  # the preview
    click(at, "Check claims")
    assert_no_traceback(at)
    report = at.session_state["report"]
    assert report.article.title == "Ferry year"
    assert report.article.source == ""  # not the temporary folder's name
    assert [c.quote for c in report.claims] == [body]


def test_an_upload_over_the_checks_length_stops_being_read(fake_model, monkeypatch):
    _, built = fake_model
    monkeypatch.setenv("FACTCHECK_MAX_ARTICLE_CHARS", "1000")
    at = new_app()
    at.session_state["input_tab"] = "Upload"
    at.run()
    long = ("A sentence about the harbour. " * 100).encode()  # 3,000 characters
    at.file_uploader[0].set_value(("long.txt", long, "text/plain")).run()
    assert_no_traceback(at)
    assert any("long.txt: article too long" in m for m in errors(at)), errors(at)
    assert not built


def test_an_unreachable_link_gives_the_fetch_message(fake_model):
    _, built = fake_model
    at = new_app()
    at.session_state["input_tab"] = "Link"
    at.run()
    at.text_input(key="link_url").input("http://nowhere.invalid/story").run()
    click(at, "Fetch article")
    assert_no_traceback(at)
    assert any("nowhere.invalid was not found" in m for m in errors(at)), errors(at)
    # "Check claims" on the Link tab tries the link again and checks nothing.
    click(at, "Check claims")
    assert any("nowhere.invalid was not found" in m for m in errors(at)), errors(at)
    assert not built and "report" not in at.session_state


def test_a_fetched_article_is_previewed_and_checked(fake_model, monkeypatch):
    from vectorstore.models import Article

    model, _ = fake_model
    body = "The ferry carried 400,000 riders in its first year. It runs every 30 minutes."
    fetched = Article(
        text=body,
        title=f"Ferry {INJECTION}",
        author="Lena Brandt",
        source="harborgazette.example",
        published=dt.date(2024, 7, 1),
        url="https://harborgazette.example/ferry",
    )
    calls = []

    def fake_fetch(url, *, allow_private, limits):
        calls.append((url, allow_private, limits.max_article_chars))
        return fetched

    monkeypatch.setattr("vectorstore.web.fetch_article", fake_fetch)
    model.not_checkable = ["every 30 minutes"]
    at = new_app()
    at.session_state["input_tab"] = "Link"
    at.run()
    at.text_input(key="link_url").input("https://harborgazette.example/ferry").run()
    click(at, "Fetch article")
    assert_no_traceback(at)
    # the check's own length limit bounds the fetch
    assert calls == [("https://harborgazette.example/ferry", False, Settings().max_article_chars)]
    page = " ".join(shown(s) for s in markdown_strings(at))
    assert f"Ferry {INJECTION}" in page and "By Lena Brandt" in page and "2024-07-01" in page
    assert any(body[:40] in t.value for t in at.text)
    for s in markdown_strings(at):
        assert INJECTION not in s
    click(at, "Check claims")
    assert_no_traceback(at)
    assert len(calls) == 1  # the fetched article is used, not fetched again
    report = at.session_state["report"]
    assert report.article.author == "Lena Brandt"
    assert report.article.published == dt.date(2024, 7, 1)
    assert report.article.url == "https://harborgazette.example/ferry"


# --- checking --------------------------------------------------------------------------------


def judge_contradicts(_messages):
    return json.dumps({"label": "CONTRADICTS", "reason": "The amounts differ."})


def test_paste_check_shows_the_verdict_saves_it_and_then_comes_from_the_cache(fake_model, archive):
    model, _ = fake_model
    article = f"{BRIDGE_CLAIM} The vote was six to one."
    model.not_checkable = ["six to one"]
    model.responses += [judge_contradicts] * 5
    at = paste_and_check(new_app().run(), article, headline="Bridge money")
    assert_no_traceback(at)
    assert not at.error, errors(at)
    status = at.status[0]
    assert status.state == "complete"
    assert re.fullmatch(r"Done in \d+ s \u00b7 \d+ model calls?", status.label), status.label
    assert not any(b.label == "Stop" for b in at.button)  # gone once the run ended

    report = at.session_state["report"]
    assert [c.verdict for c in report.claims] == [Verdict.CONTRADICTED]
    view = reading_view(at)
    assert 'data-claim="c1"' in view and 'data-verdict="CONTRADICTED"' in view
    assert "[Contradicted]" in view  # the verdict in words, not colour alone
    [option] = claim_options(at)
    assert option.startswith("1. Contradicted \u2014 The Port Avalon City Council approved $85")

    # The comparison: the claim's sentence and the archive passage, differences marked.
    left, right = at.columns[2], at.columns[3]
    assert BRIDGE_CLAIM in [t.value for t in left.text]
    left_html = " ".join(m.value for m in left.markdown)
    assert "85 million</mark>" in left_html
    right_md = " ".join(m.value for m in right.markdown)
    assert "Council approves bridge repair funds" in shown(right_md)
    assert "58 million</mark>" in right_md
    assert "[Open the archived article](https://harborgazette.example/2023/03/15/bridge-funds)" in (
        right_md
    )
    assert "retrieval score" in right_md and "contradicts the claim" in right_md
    right_captions = shown(" ".join(c.value for c in right.caption))
    assert "Harbor Gazette" in right_captions and "2023-03-15" in right_captions
    left_captions = " ".join(c.value for c in left.caption)
    assert "not evidence" in left_captions and "confiden" in left_captions

    # Saved in History as this session's check.
    rows = history().list()
    assert [r.id for r in rows] == [at.session_state["check_id"]]
    assert rows[0].title == "Bridge money" and rows[0].n_claims == 1

    # A rerun re-renders from the session state without checking again.
    calls = len(model.calls)
    at.run()
    assert_no_traceback(at)
    assert not at.status and len(model.calls) == calls

    # Checking the same article again is answered by the report cache, at once.
    click(at, "Check claims")
    assert_no_traceback(at)
    assert "from cache" in at.status[0].label
    assert any("From the cache" in shown(c.value) for c in at.caption)
    assert len(model.calls) == calls
    # A record of its own (its own reviews) that shares the cached report.
    first, second = history().list()
    assert second.id != first.id == at.session_state["check_id"]
    assert first.cache_key == second.cache_key and first.owner == second.owner


def test_stop_ends_the_job_and_keeps_the_claims_checked_so_far(fake_model, monkeypatch):
    quotes = ["The bridge reopened on May 3, 2024.", "The ferry carried 400,000 riders."]
    judging, stopped = threading.Event(), threading.Event()
    archive = related_passages(quotes)  # one passage each that the model must judge
    monkeypatch.setattr(
        "chains.pipeline.retrieve_with", lambda store, claim, *a, **k: archive.search(claim.text, 4)
    )

    def first_answer(messages):
        judging.set()
        stopped.wait(30)  # the worker is on the first claim until Stop has been clicked
        return '{"label": "NEUTRAL", "reason": "x"}'

    model, _ = fake_model
    model.responses = [first_answer, '{"label": "NEUTRAL", "reason": "x"}']
    at = paste_and_check(new_app().run(), " ".join(quotes), wait=False)
    assert judging.wait(30), "the worker never started the check"
    at.run()  # the page's poll: the job runs, with a Stop button
    assert_no_traceback(at)
    assert any(b.label == "Stop" for b in at.button)
    click(at, "Stop")
    stopped.set()
    wait_for_job(at)
    assert_no_traceback(at)
    report = at.session_state["report"]
    assert [c.quote for c in report.claims] == quotes[:1]
    assert any("stopped after 1 of 2 claims" in w for w in warnings(at)), warnings(at)
    assert at.session_state["check_id"] is None and not history().list()
    assert any("not saved" in shown(c.value) for c in at.caption)
    assert not any(b.label == "Stop" for b in at.button)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("unavailable", "language model is not available"),
        ("context", "too long for the language model"),
        ("output", "could not be read"),
        ("connection", "Could not reach"),
    ],
)
def test_model_errors_become_sentences(fake_model, error, expected):
    from chains.embedded import ContextTooLongError
    from chains.llm import ModelOutputError, ModelUnavailableError

    model, _ = fake_model
    exc = {
        "unavailable": ModelUnavailableError("provider 'openai' needs FACTCHECK_API_KEY"),
        "context": ContextTooLongError("prompt of 5000 tokens"),
        "output": ModelOutputError("no JSON object"),
        "connection": ConnectionError("refused"),
    }[error]

    model.raises = exc  # every fallback and retry fails the same way
    at = paste_and_check(new_app().run(), "The bridge reopened on November 15, 2024.")
    assert_no_traceback(at)
    assert any(expected in m for m in errors(at)), errors(at)
    assert at.status[0].state == "error"
    assert "report" not in at.session_state and "job_id" not in at.session_state


def test_a_missing_model_file_says_what_to_do(app_env, worker, monkeypatch):
    monkeypatch.setenv("FACTCHECK_MODEL_PATH", str(app_env / "missing.gguf"))
    at = paste_and_check(new_app().run(), "The bridge reopened on November 15, 2024.")
    assert_no_traceback(at)
    assert any(
        "built-in language model is not ready" in m and "FACTCHECK_MODEL_PATH" in m
        for m in errors(at)
    ), errors(at)


def test_an_unexpected_error_is_friendly_with_details_collapsed(fake_model):
    model, _ = fake_model

    model.raises = RuntimeError("internal detail 42")
    at = paste_and_check(new_app().run(), "The bridge reopened on November 15, 2024.")
    assert_no_traceback(at)
    assert any("Something went wrong" in m for m in errors(at))
    details = [x for x in at.expander if x.label == "Details for the maintainers"]
    assert details and not details[0].proto.expanded
    assert any("internal detail 42" in t.value for t in details[0].text)
    assert not any("Traceback" in s for s in plain_strings(at) + markdown_strings(at))


# --- the report ------------------------------------------------------------------------------


def test_a_report_renders_safely_with_marks_comparison_and_provenance(app_env):
    at = show_report(new_app(), sample_report())
    assert_no_traceback(at)

    page = " ".join(shown(s) for s in markdown_strings(at))
    assert f"Budget {INJECTION}" in page and "By Lena Brandt" in page and "2024-05-03" in page
    assert "3 claim(s)" in page and "1 contradicted" in page and "1 not in archive" in page
    assert any("dropped a claim" in w for w in warnings(at))

    # Every claim is marked in place, with its verdict as an attribute and in words.
    view = reading_view(at)
    for cid, verdict, words in [
        ("c1", "CONTRADICTED", "Contradicted"),
        ("c2", "NOT_IN_ARCHIVE", "Not in archive"),
        ("c3", "SUPPORTED", "Supported"),
    ]:
        assert f'data-claim="{cid}" data-verdict="{verdict}"' in view
        assert f"[{words}]" in view
    assert claim_options(at)[0] == "1. Contradicted \u2014 The council approved"

    # The first claim is chosen: its passages, with only http(s) links clickable.
    right = at.columns[3]
    right_md = " ".join(m.value for m in right.markdown)
    assert "[Open the archived article](https://harborgazette.example/2023/bridge)" in right_md
    assert "javascript:alert(1)" in [t.value for t in right.text]
    assert not any("](javascript" in s for s in markdown_strings(at))
    right_text = [t.value for t in right.text]
    assert "The amounts differ." in right_text
    assert any("Conflict" in t and "$58 million" in t for t in right_text)
    assert any("model's explanation" in c.value for c in right.caption)

    # Untrusted text never reaches Markdown or HTML unescaped, and nothing can run.
    assert any(BOLD in s for s in plain_strings(at))
    for s in markdown_strings(at):
        for bad in (INJECTION, IMG, BOLD, ":red[", "$x$"):
            assert bad not in s, (bad, s)
        assert "<script" not in s.replace("\\<", ""), s  # "\<" is Markdown for a literal <
    for s in html_strings(at):
        assert "<script" not in s and "<img" not in s, s
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view
    assert "&lt;img src=x onerror=alert(2)&gt;" in view
    assert not at.get("html")


def test_filter_and_sort_the_claims(app_env):
    at = show_report(new_app(), sample_report())
    assert [o[:2] for o in claim_options(at)] == ["1.", "2.", "3."]

    at.radio(key="sort_by").set_value("Confidence").run()
    assert_no_traceback(at)
    assert [o[:2] for o in claim_options(at)] == ["3.", "1.", "2."]  # 0.95, 0.8, none

    at.multiselect(key="show_verdicts").set_value([Verdict.CONTRADICTED, Verdict.SUPPORTED])
    at.run()
    assert_no_traceback(at)
    assert [o[:2] for o in claim_options(at)] == ["3.", "1."]
    view = reading_view(at)
    assert 'data-claim="c2"' not in view and "It rained" in view  # unmarked, still there

    at.multiselect(key="show_verdicts").set_value([]).run()
    assert_no_traceback(at)
    assert not [s for s in at.selectbox if s.label == "Claim"]
    assert any("No claim has the verdicts" in shown(i.value) for i in at.info)


def test_choosing_a_claim_shows_its_comparison(app_env):
    at = show_report(new_app(), sample_report())
    by_label(at.selectbox, "Claim").set_value("c2").run()
    assert_no_traceback(at)
    assert any("This is not \u201cfalse\u201d" in i.value for i in at.info)
    assert any("No archive passage was close enough" in c.value for c in at.caption)
    assert "outline:2px solid" in reading_view(at).split('data-claim="c2"')[1].split(">")[0]


def test_an_unsaved_report_cannot_be_reviewed_but_downloads(app_env):
    at = show_report(new_app(), sample_report())
    assert not [s for s in at.selectbox if s.label == "Reviewer decision"]
    assert any("not saved" in c.value for c in at.caption)
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [
        "Download memo (Markdown)",
        "Download JSON",
        "Download claims (CSV)",
        "Download ClaimReview (JSON-LD)",
    ]


# --- integration: the real embedded model ----------------------------------------------------


@pytest.fixture
def real_model_env(app_env, monkeypatch):
    """The real embedded model, found where `python -m chains.model_file` prepared it."""
    yield from _real_model(app_env, monkeypatch)


@pytest.fixture
def real_model_worker(real_model_env, worker):
    """The real model in the job worker (a consumer thread of this process)."""
    return real_model_env


def _real_model(app_env, monkeypatch):
    """The real embedded model, found where `python -m chains.model_file` prepared it."""
    from chains.model_file import ModelFileError, model_path

    try:
        path = model_path(Settings(cache_dir=Path.home() / ".cache" / "factcheck"))
    except ModelFileError as exc:
        pytest.skip(f"the embedded model is not prepared: {exc}")
    monkeypatch.setenv("FACTCHECK_MODEL_PATH", str(path))
    monkeypatch.delenv("FACTCHECK_MODEL", raising=False)
    yield app_env


@pytest.mark.integration
def test_checking_an_article_against_a_real_archive(real_model_worker):
    real_model_env = real_model_worker
    ingest_archive(real_model_env)
    article = (
        "Port Avalon Transit launched the Bayline ferry service between Pier 4 and Gull "
        f"Island on July 1, 2023. {BRIDGE_CLAIM}"
    )
    at = AppTest.from_file(str(APP), default_timeout=MODEL_TIMEOUT).run()
    assert_no_traceback(at)
    assert {m.label: m.value for m in at.sidebar.metric}["Articles"] == "3"
    at.text_area(key="paste_text").input(article)
    at.text_input(key="paste_title").input("Bridge and ferry")
    wait_for_job(by_label(at.button, "Check claims").click().run(), MODEL_TIMEOUT)
    assert_no_traceback(at)
    assert not at.error, errors(at)
    assert at.status[0].state == "complete"

    report = at.session_state["report"]
    assert report.claims, "the model found no claims"
    assert not report.cached
    view = reading_view(at)
    for claim in report.claims:
        assert f'data-claim="{claim.id}" data-verdict="{claim.verdict.value}"' in view
        assert article[claim.start : claim.end] == claim.quote
    evidence = [e for c in report.claims for e in c.evidence]
    assert evidence, "no archive passage was retrieved"
    assert len(at.get("download_button")) == 4
    assert history().list()


@pytest.mark.integration
def test_markup_in_an_article_is_shown_literally(real_model_worker):
    article = (
        f"The council approved a {BOLD} budget of $12 million on May 3, 2024. "
        f"{INJECTION} The library opened on June 1, 2023."
    )
    at = AppTest.from_file(str(APP), default_timeout=MODEL_TIMEOUT).run()
    at.text_area(key="paste_text").input(article)
    at.text_input(key="paste_title").input(f"Title {INJECTION}")
    wait_for_job(by_label(at.button, "Check claims").click().run(), MODEL_TIMEOUT)
    assert_no_traceback(at)
    assert not at.error, errors(at)
    report = at.session_state["report"]
    assert all(c.verdict is Verdict.NOT_IN_ARCHIVE for c in report.claims)
    for s in markdown_strings(at):
        assert INJECTION not in s and BOLD not in s, s
    assert not at.get("html")
