"""Streamlit UI for the fact-check assistant: widgets, state and rendering only.

Run with `streamlit run app.py`. Everything it shows comes from the packages: the
article is read by `vectorstore.ingest`, checked by `chains.pipeline.check_article`
and rendered here. Article, archive and model text is untrusted: it is shown with
`st.text` or as Markdown with every punctuation character escaped, never as HTML.
Nothing heavy is imported, opened or loaded until it is needed.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from chains.models import Stance, Verdict
from chains.render import VERDICT_WORDS, md_literal, to_markdown, web_url
from settings import Settings

if TYPE_CHECKING:
    from chains.models import ClaimCheck, Evidence, Mismatch, Report
    from chains.pipeline import Progress
    from vectorstore.models import Article

log = logging.getLogger("factcheck.app")

UPLOAD_TYPES = ["txt", "md", "html", "htm", "pdf", "docx"]

VERDICT_STYLE: dict[Verdict, tuple[str, str, str]] = {  # short word, badge colour, icon
    Verdict.SUPPORTED: ("supported", "green", "✅"),
    Verdict.CONTRADICTED: ("contradicted", "red", "❌"),
    Verdict.MIXED: ("mixed", "orange", "⚖️"),
    Verdict.NOT_ENOUGH_INFO: ("not enough information", "blue", "❔"),
    Verdict.NOT_IN_ARCHIVE: ("not in the archive", "gray", "📭"),
}
STANCE_STYLE: dict[Stance, tuple[str, str]] = {
    Stance.SUPPORTS: ("supports the claim", "green"),
    Stance.CONTRADICTS: ("contradicts the claim", "red"),
    Stance.NEUTRAL: ("neutral", "gray"),
}
NOT_IN_ARCHIVE_NOTE = (
    "Nothing in the archive is close enough to this claim. This is not \u201cfalse\u201d: "
    "our own coverage simply does not speak to it, so check it another way."
)


# --- safe text ---------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def public_endpoint(base_url: str | None) -> str:
    """Scheme, host and port of an endpoint, without any user:password part or path."""
    if not base_url:
        return ""
    try:
        parts = urllib.parse.urlsplit(base_url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable address)"
    return f"{parts.scheme}://{host}{port}" if host else "(unreadable address)"


# --- collaborators, cached -------------------------------------------------------------------


def store_key(settings: Settings) -> tuple:
    return (
        str(settings.store_dir),
        settings.chroma_host,
        settings.chroma_port,
        settings.collection,
    )


def model_key(settings: Settings) -> tuple:
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return (
        settings.provider,
        settings.model,
        settings.base_url,
        # The packaged model is looked up in cache_dir; an explicit file makes that moot.
        str(settings.model_path) if settings.model_path else f"cache:{settings.cache_dir}",
        settings.n_ctx,
        settings.n_threads,
        settings.request_timeout,
        hashlib.sha256(key.encode()).hexdigest()[:16],  # a changed key builds a new client
    )


@st.cache_resource(show_spinner="Opening the archive\u2026")
def _cached_store(_settings: Settings, key: tuple):
    from vectorstore.store import open_store

    return open_store(_settings)


@st.cache_resource(show_spinner="Preparing the language model\u2026")
def _cached_model(_settings: Settings, key: tuple):
    from chains.llm import make_chat_model

    return make_chat_model(_settings)


def get_store(settings: Settings):
    return _cached_store(settings, store_key(settings))


def get_model(settings: Settings):
    return _cached_model(settings, model_key(settings))


@st.cache_data(ttl=60, show_spinner=False)
def _archive_stats(_store, key: tuple, chunks: int) -> dict[str, Any]:
    return _store.stats()


# --- errors ----------------------------------------------------------------------------------


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _optional_types(module: str, names: tuple[str, ...]) -> tuple[type, ...]:
    try:
        mod = __import__(module, fromlist=list(names))
    except ImportError:
        return ()
    return tuple(t for n in names if isinstance(t := getattr(mod, n, None), type))


def friendly_error(exc: BaseException, settings: Settings) -> str | None:
    """A sentence a reporter understands, or None when the error is unexpected."""
    from chains.embedded import ContextTooLongError
    from chains.llm import ModelOutputError, ModelUnavailableError
    from chains.model_file import ModelFileError
    from chains.pipeline import ArticleError
    from vectorstore.ingest import IngestError

    if settings.provider == "embedded":
        service = "the built-in language model"
    elif settings.base_url:
        service = f"the model server at {public_endpoint(settings.base_url)}"
    else:
        service = "the OpenAI service"
    auth = _optional_types("openai", ("AuthenticationError", "PermissionDeniedError"))
    not_found = _optional_types("openai", ("NotFoundError",))
    rate = _optional_types("openai", ("RateLimitError",))
    connection = (
        ConnectionError,
        TimeoutError,
        *_optional_types("openai", ("APIConnectionError", "APITimeoutError")),
        *_optional_types("httpx", ("TransportError",)),
    )
    for e in _chain(exc):
        if isinstance(e, ArticleError | IngestError):
            return str(e)
        if isinstance(e, ContextTooLongError):
            return (
                "Part of this article is too long for the language model to read at once. "
                "Check the article in shorter parts."
            )
        if isinstance(e, ModelOutputError):
            return (
                "The language model gave an answer that could not be read. This happens now "
                "and then with small models: try again, or check the article in shorter parts."
            )
        if isinstance(e, ModelFileError):
            return f"The built-in language model is not ready: {e}"
        if isinstance(e, ModelUnavailableError):
            return (
                f"The language model is not available: {e}. "
                "Ask whoever runs this tool to check its model settings."
            )
        if auth and isinstance(e, auth):
            return f"{service.capitalize()} refused the API key. Ask whoever runs this tool to check it."
        if not_found and isinstance(e, not_found):
            return (
                f"{service.capitalize()} does not offer the model "
                f"\u201c{settings.model}\u201d. Ask whoever runs this tool to check the model name."
            )
        if rate and isinstance(e, rate):
            return f"{service.capitalize()} is busy or over its quota. Wait a minute and try again."
        if isinstance(e, connection):
            return (
                f"Could not reach {service}. Check that it is running and reachable, "
                "then try again."
            )
        if isinstance(e, MemoryError):
            return (
                "The computer ran out of memory while checking. Check the article in shorter parts."
            )
    return None


def show_error(exc: BaseException, settings: Settings, where=st) -> None:
    message = friendly_error(exc, settings)
    if message is not None:
        where.error(md_literal(message), icon="\u26a0\ufe0f")
        return
    log.exception("unexpected error in the app")  # the traceback goes to the server log only
    where.error(
        "Something went wrong while checking the article. The archive was not changed. "
        "Try again; if it happens again, send the details below to whoever maintains this tool.",
        icon="\u26a0\ufe0f",
    )
    with where.expander("Details for the maintainers", expanded=False):
        st.text(f"{type(exc).__name__}: {shorten(str(exc), 2000)}")


# --- sidebar ---------------------------------------------------------------------------------


def render_sidebar(settings: Settings) -> int:
    """Archive size, model, top-k. Returns the top-k chosen for this session."""
    sb = st.sidebar
    sb.header("Archive")
    try:
        store = get_store(settings)
        stats = _archive_stats(store, store_key(settings), store.count())
    except Exception as exc:  # noqa: BLE001 - shown as a message, never a traceback
        log.exception("cannot open the archive")
        sb.error(
            "The archive could not be opened. Ask whoever runs this tool to check the "
            "store settings (FACTCHECK_STORE_DIR or FACTCHECK_CHROMA_HOST)."
        )
        with sb.expander("Details", expanded=False):
            st.text(f"{type(exc).__name__}: {shorten(str(exc), 500)}")
    else:
        a, b = sb.columns(2)
        a.metric("Articles", f"{stats['articles']:,}")
        b.metric("Passages", f"{stats['chunks']:,}")
        first, last = stats.get("first_published"), stats.get("last_published")
        if first and last:
            sb.caption(md_literal(f"Published {first} to {last}"))
        sources = stats.get("sources") or {}
        if sources:
            sb.caption(f"{len(sources)} source(s)")
            sb.text("\n".join(f"{name or '(no source)'}: {n}" for name, n in sources.items()))
        if not stats["articles"]:
            sb.warning(
                "The archive is empty, so every claim will read \u201cnot in the archive\u201d. "
                "Add articles with `python cli.py ingest PATH`."
            )
    sb.header("Model")
    where = f" at {public_endpoint(settings.base_url)}" if settings.base_url else ""
    sb.text(f"{settings.provider}: {settings.model}{where}")
    if settings.provider == "embedded":
        sb.caption("Runs on this computer; nothing is sent anywhere.")
    sb.header("Checking")
    return sb.slider(
        "Archive passages per claim (top-k)",
        min_value=1,
        max_value=20,
        value=settings.top_k,
        help="How many of the closest archive passages are compared with each claim.",
    )


# --- input -----------------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Reading the file\u2026")
def _article_from_upload(name: str, data: bytes) -> Article:
    from vectorstore.ingest import IngestError, load_file

    display = Path(name).name or "upload"
    suffix = Path(display).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="factcheck-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            articles = load_file(path)
        except IngestError as e:
            raise IngestError(str(e).replace(str(path), display)) from None
    if len(articles) != 1:
        raise IngestError(f"{display} holds {len(articles)} articles; check one at a time.")
    # A .txt file's source is its folder's name: here that would be the temporary folder.
    return articles[0].model_copy(update={"origin": display, "source": ""})


def read_input(text: str, title: str, upload) -> Article:
    """The article to check: the uploaded file when there is one, else the pasted text."""
    from vectorstore.ingest import article_from_text

    if upload is not None:
        article = _article_from_upload(upload.name, upload.getvalue())
        if title.strip():
            article = article.model_copy(update={"title": " ".join(title.split())})
        return article
    return article_from_text(text, title, origin="pasted text")


# --- running a check -------------------------------------------------------------------------


def run_check(article: Article, settings: Settings) -> Report | None:
    """Check the article with live progress; the report, or None after showing an error."""
    from chains.pipeline import ReportCache, check_article

    status = st.status("Checking the article\u2026", expanded=True)
    bar = status.progress(0.0, text="Starting\u2026")
    live = st.empty()
    box = live.container()
    shown = 0
    started = time.perf_counter()

    def progress(p: Progress) -> None:
        nonlocal shown
        if p.stage == "extract":
            fraction, text = 0.02, "Finding checkable claims (the first check also loads the model)"
        elif p.stage == "done":
            fraction, text = 1.0, p.message
        else:
            fraction = 0.1 + 0.9 * (p.done / p.total if p.total else 1.0)
            text = p.message
        bar.progress(min(1.0, fraction), text=md_literal(f"{p.stage}: {text}"))
        status.update(label=md_literal(f"Checking the article: {text}"))
        if p.claim is not None:
            shown += 1
            with box:
                render_claim(p.claim, shown)

    try:
        store = get_store(settings)
        model = get_model(settings)
        report = check_article(
            article,
            model=model,
            store=store,
            settings=settings,
            progress=progress,
            cache=ReportCache(settings.cache_dir / "reports"),
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        status.update(label="The check did not finish", state="error", expanded=False)
        if shown:
            box.caption(f"The {shown} claim(s) above were checked before the error; not saved.")
        show_error(exc, settings)
        return None
    live.empty()  # the full report is rendered below, from the session state
    calls = sum(s.model_calls for s in report.stages.values())
    if report.cached:
        label = "Found an earlier check of this article with the same model and settings"
    else:
        label = (
            f"Checked {len(report.claims)} claim(s) in {time.perf_counter() - started:.0f} s "
            f"with {calls} model call(s)"
        )
    status.update(label=label, state="complete", expanded=False)
    return report


# --- rendering a report ----------------------------------------------------------------------


def summary_markdown(report: Report) -> str:
    counts = {v: 0 for v in Verdict}
    for c in report.claims:
        counts[c.verdict] += 1
    badges = [
        f":{VERDICT_STYLE[v][1]}-badge[{n} {VERDICT_STYLE[v][0]}]" for v, n in counts.items() if n
    ]
    return f"**{len(report.claims)} claim(s)** " + " ".join(badges)


def run_facts(report: Report) -> str:
    seconds = sum(s.seconds for s in report.stages.values())
    calls = sum(s.model_calls for s in report.stages.values())
    tokens = sum(s.tokens_in + s.tokens_out for s in report.stages.values())
    stages = ", ".join(f"{name} {s.seconds:.1f} s" for name, s in report.stages.items())
    facts = f"{seconds:.1f} s ({stages}); {calls} model call(s)"
    if tokens:
        facts += f", {tokens:,} tokens"
    facts += f"; model {report.model}"
    return ("From the cache. The original check took " if report.cached else "Took ") + facts


def describe_mismatch(m: Mismatch) -> str:
    found = ", ".join(m.passage_values) if m.passage_values else "nothing comparable"
    head = "Conflict" if m.conflict else "Not found in the passage"
    note = f" ({m.note})" if m.note else ""
    return f"{head} \u2014 {m.kind}: the claim has \u201c{m.claim_value}\u201d, the passage has {found}{note}"


def render_evidence(e: Evidence, n: int) -> None:
    with st.container(border=True):
        st.markdown(f"**{n}. {md_literal(e.title or 'Untitled article')}**")
        date = e.published.isoformat() if e.published else "undated"
        st.caption(md_literal(f"{e.source or 'Unknown source'} \u00b7 {date}"))
        link = web_url(e.url)
        if link:
            st.markdown(f"[Open the archived article]({link})")
        elif e.url:
            st.caption("Link (not a web address, so shown as text):")
            st.text(e.url)
        words, colour = STANCE_STYLE[e.stance]
        certainty = (
            f" \u00b7 model certainty {e.stance_confidence:.0%}"
            if e.stance_confidence is not None
            else ""
        )
        st.markdown(f":{colour}-badge[{words}] similarity score {e.score:.2f}{certainty}")
        st.text(e.text)
        if e.mismatches:
            st.caption("Differences found by the automatic checks (numbers, dates, names):")
            for m in e.mismatches:
                st.text(describe_mismatch(m))
        if e.reason:
            st.caption("The model's explanation (its own words, not evidence):")
            st.text(e.reason)


def render_claim(c: ClaimCheck, n: int) -> None:
    short, colour, icon = VERDICT_STYLE[c.verdict]
    label = f"{n}. {VERDICT_WORDS[c.verdict]} \u2014 {md_literal(shorten(c.text, 100))}"
    with st.expander(label, expanded=c.verdict is not Verdict.SUPPORTED, icon=icon):
        st.badge(VERDICT_WORDS[c.verdict], color=colour)
        if c.verdict is Verdict.NOT_IN_ARCHIVE:
            st.info(NOT_IN_ARCHIVE_NOTE)
        left, right = st.columns(2, gap="medium")
        with left:
            st.markdown("**Claim**")
            st.text(c.text)
            st.markdown(f"**In the article** (characters {c.start}\u2013{c.end})")
            st.text(c.quote)
            st.markdown("**Why this verdict**")
            st.text(c.reason or "(no reason given)")
            if c.confidence is not None:
                st.caption(f"Confidence {c.confidence:.0%}")
        with right:
            st.markdown(f"**From the archive** ({len(c.evidence)} passage(s))")
            if not c.evidence:
                st.caption("No archive passage was close enough to this claim.")
            for i, e in enumerate(c.evidence, 1):
                render_evidence(e, i)


def render_report(report: Report) -> None:
    st.divider()
    st.subheader("Results")
    st.caption(md_literal(f"Article: {report.article.title or 'untitled'}"))
    st.markdown(summary_markdown(report))
    st.caption(md_literal(run_facts(report)))
    for w in report.warnings:
        st.warning(md_literal(w))
    if not report.claims:
        st.info(
            "No checkable claims were found. Claims are statements of fact about the past "
            "or present; predictions, opinions and questions are skipped."
        )
    for n, c in enumerate(report.claims, 1):
        render_claim(c, n)
    with st.expander("The article as checked", expanded=False):
        st.text(report.article.text)
    name = f"factcheck-{report.article.sha256[:12]}"
    a, b = st.columns(2)
    a.download_button(
        "Download the memo (Markdown)",
        to_markdown(report),
        file_name=f"{name}.md",
        mime="text/markdown",
        on_click="ignore",
    )
    b.download_button(
        "Download the report (JSON)",
        report.model_dump_json(indent=2),
        file_name=f"{name}.json",
        mime="application/json",
        on_click="ignore",
    )


# --- the page --------------------------------------------------------------------------------


def load_settings() -> Settings | None:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, err["loc"])) for err in exc.errors())
        st.error(
            md_literal(
                f"The tool's configuration is invalid ({fields}). Ask whoever runs it "
                "to check the FACTCHECK_ settings."
            )
        )
        return None


def main() -> None:
    st.set_page_config(page_title="Fact-check against the archive", page_icon="🔎", layout="wide")
    st.title("Fact-check against the archive")
    st.caption(
        "Paste or upload an article. Each checkable claim is compared with what the "
        "newsroom's own archive says about it."
    )
    settings = load_settings()
    if settings is None:
        return
    top_k = render_sidebar(settings)
    if top_k != settings.top_k:
        settings = settings.model_copy(update={"top_k": top_k})

    text = st.text_area("Article text", height=220, placeholder="Paste the article here")
    title = st.text_input("Title (optional)")
    upload = st.file_uploader(
        "Or upload a file",
        type=UPLOAD_TYPES,
        help="Plain text, Markdown, a web page saved as HTML, PDF or Word (.docx).",
    )
    article = None
    if upload is not None:
        try:
            article = read_input(text, title, upload)
        except Exception as exc:  # noqa: BLE001 - a bad file is a message
            show_error(exc, settings)
        else:
            st.caption(
                md_literal(
                    f"The uploaded file {upload.name} will be checked "
                    f"({len(article.text):,} characters)"
                    + (": remove it to check the pasted text instead." if text.strip() else ".")
                )
            )

    if st.button("Check article", type="primary"):
        st.session_state.pop("report", None)
        if upload is None:
            try:
                article = read_input(text, title, None)
            except Exception:  # noqa: BLE001 - the only failure here is empty text
                article = None
                st.warning("Paste an article's text or upload a file, then click Check article.")
        if article is not None:
            from chains.pipeline import validate_article

            try:
                validate_article(article, settings)
            except Exception as exc:  # noqa: BLE001
                show_error(exc, settings)
            else:
                report = run_check(article, settings)
                if report is not None:
                    st.session_state["report"] = report

    report = st.session_state.get("report")
    if report is not None:
        render_report(report)


if __name__ == "__main__":
    main()
