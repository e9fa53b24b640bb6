"""The Streamlit page, exercised with AppTest.

Fast tests use a temporary empty archive and, where a model is needed, a queued fake
patched in for `chains.llm.make_chat_model`. The integration tests use a real Chroma
store and the real embedded model.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

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
from chains.render import VERDICT_WORDS
from settings import Settings
from tests.fakes import QueuedChatModel

APP = Path(__file__).resolve().parent.parent / "app.py"
FAST_TIMEOUT = 60
MODEL_TIMEOUT = 900  # the embedded model runs at 10-30 tokens/s on a busy 2-core machine

INJECTION = "<script>alert(1)</script>"
BOLD = "**bold**"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Default settings with a fresh store and cache folder; cached data cleared afterwards."""
    for name in [n for n in os.environ if n.upper().startswith("FACTCHECK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FACTCHECK_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("FACTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path
    st.cache_data.clear()


@pytest.fixture
def fake_model(app_env, monkeypatch):
    """Patch the model factory with a queued fake; records how often it was built."""
    monkeypatch.setenv("FACTCHECK_MODEL", f"fake-{app_env.name}")  # its own cache key
    built: list[QueuedChatModel] = []
    model = QueuedChatModel()

    def factory(settings):
        built.append(model)
        return model

    monkeypatch.setattr("chains.llm.make_chat_model", factory)
    yield model, built
    st.cache_resource.clear()  # the fake must not outlive the test


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=FAST_TIMEOUT)


def markdown_strings(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown (where an injection could take effect)."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    out += [e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)]
    out += [x.label for x in at.expander] + [s.label for s in at.status]
    out += [m.value for m in at.sidebar.markdown]
    return out


def shown(markdown: str) -> str:
    """What escaped Markdown looks like on the page: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def plain_strings(at: AppTest) -> list[str]:
    return [t.value for t in at.text] + [c.value for c in at.code]


def assert_no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def sample_report() -> Report:
    text = f"The council approved {BOLD} $85 million {INJECTION} for the bridge. It rained."
    quote = "The council approved"
    return Report(
        article=ArticleInfo(text=text, title=f"Budget {INJECTION}", sha256="ab" * 32),
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
                        text=f"{INJECTION} {BOLD} $x$ :red[red] https://evil.example",
                        score=0.5,
                        stance=Stance.NEUTRAL,
                    ),
                ],
            ),
            ClaimCheck(
                id="c2",
                text="It rained.",
                quote="It rained.",
                start=text.index("It rained."),
                end=len(text),
                verdict=Verdict.NOT_IN_ARCHIVE,
                reason="No archive passage is close enough to this claim.",
            ),
        ],
    )


# --- fast tests ----------------------------------------------------------------------------------


def test_empty_input_gives_a_message_and_loads_no_model(fake_model):
    _, built = fake_model
    at = new_app().run()
    assert_no_traceback(at)
    assert at.text_area[0].label == "Article text"
    at.button[0].click().run()
    assert_no_traceback(at)
    messages = [w.value for w in at.warning] + [e.value for e in at.error]
    assert any("Paste an article" in m for m in messages)
    assert not at.expander  # no results
    assert "report" not in at.session_state
    assert not built  # no model was even built


def test_whitespace_only_input_is_treated_as_empty(fake_model):
    _, built = fake_model
    at = new_app().run()
    at.text_area[0].input("   \n\n  ").run()
    at.button[0].click().run()
    assert_no_traceback(at)
    assert any("Paste an article" in w.value for w in at.warning)
    assert not built


def test_too_long_article_is_refused_before_the_model(fake_model, monkeypatch):
    _, built = fake_model
    monkeypatch.setenv("FACTCHECK_MAX_ARTICLE_CHARS", "50")
    at = new_app().run()
    at.text_area[0].input("A sentence that is long enough. " * 5).run()
    at.button[0].click().run()
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
    assert at.sidebar.slider[0].value == Settings().top_k
    everything = " ".join(plain_strings(at) + markdown_strings(at))
    assert "sk-secret" not in everything


def test_a_bad_upload_gives_the_ingest_message(fake_model):
    _, built = fake_model
    at = new_app().run()
    at.file_uploader[0].set_value(("notes.pdf", b"this is not a pdf", "application/pdf")).run()
    assert_no_traceback(at)
    messages = errors(at)
    assert any(m.startswith("notes.pdf: not a readable PDF") for m in messages), messages
    assert not any("factcheck-upload-" in m for m in messages)  # the temp path is not shown
    at.button[0].click().run()
    assert_no_traceback(at)
    assert not built and not at.expander


def test_an_uploaded_text_file_is_the_article(fake_model):
    model, built = fake_model
    body = "The ferry carried 400,000 riders in its first year."
    model.responses.append(json.dumps({"claims": [{"quote": body, "claim": body}]}))
    at = new_app().run()
    at.file_uploader[0].set_value(("ferry.txt", f"Ferry year\n\n{body}\n".encode(), "text/plain"))
    at.run()
    assert any("ferry.txt will be checked" in shown(c.value) for c in at.caption)
    at.button[0].click().run()
    assert_no_traceback(at)
    report = at.session_state["report"]
    assert report.article.title == "Ferry year"
    assert report.article.source == ""  # not the temporary folder's name
    assert [c.quote for c in report.claims] == [body]


def test_a_stored_report_renders_side_by_side_and_safely(app_env):
    at = new_app()
    at.session_state["report"] = sample_report()
    at.run()
    assert_no_traceback(at)

    # Summary, warnings, one expander per claim headed by the verdict in words.
    summary = " ".join(m.value for m in at.markdown)
    assert "2 claim(s)" in summary and "1 contradicted" in summary
    assert "1 not in the archive" in summary
    assert len(at.warning) >= 1
    labels = [x.label for x in at.expander]
    assert labels[0].startswith("1. " + VERDICT_WORDS[Verdict.CONTRADICTED])
    assert labels[1].startswith("2. " + VERDICT_WORDS[Verdict.NOT_IN_ARCHIVE])
    assert 'this is not "false"' in labels[1]
    assert any("This is not \u201cfalse\u201d" in i.value for i in at.info)

    # Claim on the left, passages on the right.
    claim_box = at.expander[0]
    left, right = claim_box.columns[0], claim_box.columns[1]
    left_text = [t.value for t in left.text]
    assert "The council approved" in left_text  # the quote
    assert f"The council approved {BOLD} $85 million" in left_text  # the claim, literally
    right_md = " ".join(m.value for m in right.markdown)
    assert "Council approves bridge repair funds" in right_md
    assert "[Open the archived article](https://harborgazette.example/2023/bridge)" in right_md
    assert "similarity score 0.82" in right_md and "contradicts the claim" in right_md
    right_captions = " ".join(c.value for c in right.caption)
    assert "Harbor Gazette" in right_captions and "2023" in right_captions
    assert "model's explanation" in right_captions
    right_text = [t.value for t in right.text]
    assert "The amounts differ." in right_text
    assert any("Conflict" in t and "$58 million" in t for t in right_text)

    # Only http(s) URLs become links; the javascript: one is shown as text.
    assert "javascript:alert(1)" in right_text
    assert not any("](javascript" in s for s in markdown_strings(at))

    # Untrusted text is shown literally and never reaches Markdown unescaped.
    assert any(INJECTION in s for s in plain_strings(at))
    assert any(BOLD in s for s in plain_strings(at))
    for s in markdown_strings(at):
        assert INJECTION not in s and BOLD not in s and ":red[" not in s and "$x$" not in s, s
    assert not at.get("html")

    # Downloads: the Markdown memo and the JSON report.
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == [
        "Download the memo (Markdown)",
        "Download the report (JSON)",
    ]


def test_every_verdict_has_its_words_and_badge(app_env):
    text = "One. Two. Three. Four. Five."
    claims = [
        ClaimCheck(id=f"c{i}", text=f"Claim {i}", quote=text[:4], start=0, end=4, verdict=v)
        for i, v in enumerate(Verdict, 1)
    ]
    report = Report(article=ArticleInfo(text=text, sha256="cd" * 32), claims=claims)
    at = new_app()
    at.session_state["report"] = report
    at.run()
    assert_no_traceback(at)
    labels = [x.label for x in at.expander]
    for i, verdict in enumerate(Verdict, 1):
        assert labels[i - 1].startswith(f"{i}. {VERDICT_WORDS[verdict]}")
    assert any("5 claim(s)" in m.value for m in at.markdown)


def test_a_check_with_a_fake_model_renders_and_then_comes_from_the_cache(fake_model):
    model, built = fake_model
    article = "The mayor opened the new library on May 3, 2024. It has 40,000 books."
    quote = "The mayor opened the new library on May 3, 2024."
    model.responses.append(json.dumps({"claims": [{"quote": quote, "claim": quote}]}))
    at = new_app().run()
    at.text_area[0].input(article).run()
    at.button[0].click().run()
    assert_no_traceback(at)
    assert at.status[0].state == "complete"
    assert "1 model call" in at.status[0].label
    assert any(quote == t.value for t in at.text)
    assert at.expander[0].label.startswith("1. " + VERDICT_WORDS[Verdict.NOT_IN_ARCHIVE])
    assert any("1 model call" in c.value for c in at.caption)

    # A rerun re-renders from the session state without checking again.
    at.run()
    assert_no_traceback(at)
    assert not at.status and at.expander and len(model.calls) == 1

    # Checking the same article again is answered by the report cache.
    at.button[0].click().run()
    assert_no_traceback(at)
    assert "earlier check" in at.status[0].label
    assert any(c.value.startswith("From the cache") for c in at.caption)
    assert len(model.calls) == 1


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

    def fail(_messages):
        raise exc

    model.responses.extend([fail] * 6)  # every fallback and retry fails the same way
    at = new_app().run()
    at.text_area[0].input("The bridge reopened on November 15, 2024, after 14 months.").run()
    at.button[0].click().run()
    assert_no_traceback(at)
    assert any(expected in m for m in errors(at)), errors(at)
    assert at.status[0].state == "error"
    assert "report" not in at.session_state


def test_an_unexpected_error_is_friendly_with_details_collapsed(fake_model):
    model, _ = fake_model

    def fail(_messages):
        raise RuntimeError("internal detail 42")

    model.responses.extend([fail] * 6)
    at = new_app().run()
    at.text_area[0].input("The bridge reopened on November 15, 2024, after 14 months.").run()
    at.button[0].click().run()
    assert_no_traceback(at)
    assert any("Something went wrong" in m for m in errors(at))
    details = [x for x in at.expander if x.label == "Details for the maintainers"]
    assert details and not details[0].proto.expanded
    assert any("internal detail 42" in t.value for t in details[0].text)
    assert not any("Traceback" in s for s in plain_strings(at) + markdown_strings(at))


# --- integration: the real store and the real embedded model ----------------------------------

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


@pytest.fixture
def real_model_env(app_env, monkeypatch):
    """The real embedded model, found where `python -m chains.model_file` prepared it.

    FACTCHECK_CACHE_DIR points into tmp_path (a fresh report cache), so the model file
    is named explicitly rather than looked up under the cache folder.
    """
    from chains.model_file import ModelFileError, model_path

    try:
        path = model_path(Settings(cache_dir=Path.home() / ".cache" / "factcheck"))
    except ModelFileError as exc:
        pytest.skip(f"the embedded model is not prepared: {exc}")
    monkeypatch.setenv("FACTCHECK_MODEL_PATH", str(path))
    monkeypatch.delenv("FACTCHECK_MODEL", raising=False)
    return app_env


def ingest_archive(folder: Path) -> None:
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    archive = folder / "archive"
    archive.mkdir()
    for name, (title, published, url, body) in ARCHIVE.items():
        (archive / name).write_text(
            f'---\ntitle: "{title}"\nsource: "Harbor Gazette"\npublished: {published}\n'
            f"url: {url}\n---\n\n{body}\n",
            encoding="utf-8",
        )
    settings = Settings()  # FACTCHECK_STORE_DIR is already the test's store
    report = ingest([str(archive)], open_store(settings), chunk_chars=settings.chunk_chars)
    assert len(report.added) == len(ARCHIVE), report


@pytest.mark.integration
def test_checking_an_article_against_a_real_archive(real_model_env):
    ingest_archive(real_model_env)
    article = (
        "Port Avalon Transit launched the Bayline ferry service between Pier 4 and Gull "
        "Island on July 1, 2023. The Port Avalon City Council approved $85 million for the "
        "Harbour Bridge repairs on March 14, 2023."
    )
    at = AppTest.from_file(str(APP), default_timeout=MODEL_TIMEOUT).run()
    assert_no_traceback(at)
    assert {m.label: m.value for m in at.sidebar.metric}["Articles"] == "3"
    at.text_area[0].input(article)
    at.text_input[0].input("Bridge and ferry")
    at.button[0].click().run(timeout=MODEL_TIMEOUT)
    assert_no_traceback(at)
    assert not at.error, errors(at)
    assert at.status[0].state == "complete"

    report = at.session_state["report"]
    assert report.claims, "the model found no claims"
    assert not report.cached
    labels = [x.label for x in at.expander]
    for n, claim in enumerate(report.claims, 1):
        assert labels[n - 1].startswith(f"{n}. {VERDICT_WORDS[claim.verdict]}")
    texts = [t.value for t in at.text]
    for claim in report.claims:
        assert claim.quote in texts  # the quote, from the article
        assert article[claim.start : claim.end] == claim.quote
    # At least one claim was compared with a passage, and its title is on the page.
    evidence = [e for c in report.claims for e in c.evidence]
    assert evidence, "no archive passage was retrieved"
    titles = {title for title, *_ in ARCHIVE.values()}
    shown = " ".join(m.value for m in at.markdown)
    assert any(e.title in titles and e.title in shown for e in evidence)
    assert any(e.text in texts for e in evidence)  # the passage, side by side
    assert len(at.get("download_button")) == 2


@pytest.mark.integration
def test_markup_in_an_article_is_shown_literally(real_model_env):
    # The empty archive: every claim is NOT_IN_ARCHIVE, so only extraction runs the model.
    article = (
        f"The council approved a {BOLD} budget of $12 million on May 3, 2024. "
        f"{INJECTION} The library opened on June 1, 2023."
    )
    at = AppTest.from_file(str(APP), default_timeout=MODEL_TIMEOUT).run()
    at.text_area[0].input(article)
    at.text_input[0].input(f"Title {INJECTION}")
    at.button[0].click().run(timeout=MODEL_TIMEOUT)
    assert_no_traceback(at)
    assert not at.error, errors(at)
    report = at.session_state["report"]
    assert all(c.verdict is Verdict.NOT_IN_ARCHIVE for c in report.claims)

    plain = plain_strings(at)
    assert any(INJECTION in s for s in plain)  # at least the article as checked
    assert any(BOLD in s for s in plain)
    for s in markdown_strings(at):
        assert INJECTION not in s and BOLD not in s, s
        assert "<script" not in s.replace("\\<script", ""), s
    assert not at.get("html")
    if report.claims:
        assert any(VERDICT_WORDS[Verdict.NOT_IN_ARCHIVE] in x.label for x in at.expander)
        assert any("This is not \u201cfalse\u201d" in i.value for i in at.info)
