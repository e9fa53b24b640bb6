"""What every page shares: settings for this session, the archive, the model and the
history (opened once and cached), errors in a reporter's words, safe text, the sidebar.

Article, archive and model text is untrusted. It is shown with `st.text`, as Markdown
escaped with `md_literal`, or as HTML built only from `html_text` (escaped, and with the
characters Markdown would act on turned into entities). Nothing here runs at import time.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import streamlit as st

from chains.models import Verdict
from chains.render import md_literal
from settings import Settings
from vectorstore.urls import public_url

log = logging.getLogger("factcheck.app")

OVERRIDES = "settings_overrides"  # session state: Settings fields changed on the Settings page

# Background, border and badge colour per verdict. Colour is never the only cue: every
# mark also carries the verdict in words.
VERDICT_COLOURS: dict[Verdict, tuple[str, str, str]] = {
    Verdict.SUPPORTED: ("#d4f5dd", "#1e8a3a", "green"),
    Verdict.CONTRADICTED: ("#fbd9d9", "#c0262d", "red"),
    Verdict.MIXED: ("#ffe8c4", "#c46a00", "orange"),
    Verdict.NOT_ENOUGH_INFO: ("#dce8fb", "#2b5fb3", "blue"),
    Verdict.NOT_IN_ARCHIVE: ("#e8e8e8", "#6b6b6b", "gray"),
    Verdict.NOT_CHECKED: ("#ffffff", "#444444", "gray"),  # blank: no verdict was reached
}


# --- safe text ---------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


# Characters Markdown (and Streamlit's directives: :red[..], $math$) could act on.
_MARKDOWN_SPECIALS = re.compile(r"[*_`$:\[\]~\\|]")


def unmarkdown(escaped_html: str) -> str:
    """HTML text (already escaped, tags only of our own) with Markdown's characters as
    entities, so `st.markdown(..., unsafe_allow_html=True)` shows them literally."""
    return _MARKDOWN_SPECIALS.sub(lambda m: f"&#{ord(m.group())};", escaped_html)


def html_text(text: str) -> str:
    """Untrusted text as HTML that shows literally: escaped, Markdown-inert."""
    return unmarkdown(html.escape(text, quote=True))


def html_block(inner: str, css: str = "") -> str:
    """One line of HTML (a blank line would end the HTML block and let Markdown back in)."""
    body = inner.replace("\r", "").replace("\n", "<br>")
    return f'<div class="factcheck-text" style="line-height:1.7;{css}">{body}</div>'


# --- settings for this session -------------------------------------------------------------------


def overrides() -> dict[str, Any]:
    """Settings changed on the Settings page: in this browser session only, never on disk."""
    return st.session_state.setdefault(OVERRIDES, {})


def load_settings(show_error: bool = True) -> Settings | None:
    """The environment's settings with this session's changes; None after showing why not."""
    from pydantic import ValidationError

    try:
        from app_pages.auth import may_change

        # The server's key stays with the server's endpoint; pinned model settings win;
        # a reporter (with sign-in) gets the server's settings as they are.
        return Settings.for_session(overrides() if may_change(Settings()) else {})
    except ValidationError as exc:
        if not show_error:
            return None
        fields = ", ".join(".".join(map(str, err["loc"])) for err in exc.errors())
        st.error(
            md_literal(
                f"The tool's configuration is invalid ({fields}). Ask whoever runs it "
                "to check the FACTCHECK_ settings, or reset them on the Settings page."
            )
        )
        return None


def page_settings() -> Settings:
    """For a page script: the settings, or the page stops after the error message."""
    settings = load_settings()
    if settings is None:
        st.stop()
    return settings


# --- who is checking -------------------------------------------------------------------------

OWNER = "owner_id"  # session state: this browser session's id, the owner of its checks


def session_owner() -> str:
    """This browser session's id: its checks in History are its own, with their reviews."""
    import uuid

    return st.session_state.setdefault(OWNER, uuid.uuid4().hex)


def signed_in_user() -> str | None:
    """The signed-in person (Streamlit's OIDC sign-in), or None without sign-in."""
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return str(user.get("email") or user.get("sub") or "") or None
    except Exception:  # noqa: BLE001 - no sign-in configured, or no runtime (tests)
        return None


# --- collaborators, cached -------------------------------------------------------------------


def store_key(settings: Settings) -> tuple:
    return (
        str(settings.store_dir),
        settings.chroma_host,
        settings.chroma_port,
        settings.collection,
    )


@st.cache_resource(show_spinner="Opening the archive\u2026")
def _cached_store(_settings: Settings, key: tuple):
    from vectorstore.store import open_store

    return open_store(_settings)


@st.cache_resource(show_spinner=False)
def _cached_history(path: str):
    from review.history import History

    return History(path)


def get_store(settings: Settings):
    return _cached_store(settings, store_key(settings))


def get_model(settings: Settings):
    """The process's one model for these settings (chains.llm.shared_chat_model): a
    session's timeout or limits never load another copy."""
    from chains.llm import shared_chat_model

    with st.spinner("Preparing the language model\u2026"):
        return shared_chat_model(settings)


def get_history(settings: Settings):
    return _cached_history(str(settings.history_file()))


@st.cache_data(ttl=60, show_spinner=False)
def _archive_stats(_store, key: tuple, chunks: int) -> dict[str, Any]:
    return _store.stats()


def archive_stats(settings: Settings) -> dict[str, Any]:
    """Counts of the archive; recomputed whenever its number of passages changes."""
    store = get_store(settings)
    return _archive_stats(store, store_key(settings), store.count())


# --- errors ----------------------------------------------------------------------------------


def _optional_types(module: str, names: tuple[str, ...]) -> tuple[type, ...]:
    try:
        mod = __import__(module, fromlist=list(names))
    except ImportError:
        return ()
    return tuple(t for n in names if isinstance(t := getattr(mod, n, None), type))


def service_name(settings: Settings) -> str:
    if settings.provider == "embedded":
        return "the built-in language model"
    if settings.base_url:
        return f"the model server at {public_url(settings.base_url, origin_only=True)}"
    return "the OpenAI service"


def friendly_error(exc: BaseException, settings: Settings) -> str | None:
    """A sentence a reporter understands, or None when the error is unexpected."""
    from chains.embedded import ContextTooLongError
    from chains.llm import ModelOutputError, ModelUnavailableError
    from chains.model_file import ModelFileError
    from chains.pipeline import ArticleError
    from review.history import HistoryError
    from review.models import ReviewError
    from vectorstore.ingest import IngestError

    service = service_name(settings)
    auth = _optional_types("openai", ("AuthenticationError", "PermissionDeniedError"))
    not_found = _optional_types("openai", ("NotFoundError",))
    rate = _optional_types("openai", ("RateLimitError",))
    connection = (
        ConnectionError,
        TimeoutError,
        *_optional_types("openai", ("APIConnectionError", "APITimeoutError")),
        *_optional_types("httpx", ("TransportError",)),
    )
    from jobs.runner import exception_chain  # the worker walks its errors the same way

    for e in exception_chain(exc):
        if isinstance(e, ArticleError | IngestError | ReviewError | HistoryError):
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


def show_error(
    exc: BaseException,
    settings: Settings,
    where=st,
    unexpected: str = "Something went wrong while checking the article. The archive was not changed.",
) -> None:
    message = friendly_error(exc, settings)
    if message is not None:
        where.error(md_literal(message), icon="\u26a0\ufe0f")
        return
    log.exception("unexpected error in the app")  # the traceback goes to the server log only
    where.error(
        f"{unexpected} Try again; if it happens again, send the details below to whoever "
        "maintains this tool.",
        icon="\u26a0\ufe0f",
    )
    with where.expander("Details for the maintainers", expanded=False):
        st.text(f"{type(exc).__name__}: {shorten(str(exc), 2000)}")


# --- sidebar ---------------------------------------------------------------------------------


def render_sidebar(settings: Settings) -> None:
    """Archive size and the model in use, on every page."""
    sb = st.sidebar
    sb.header("Archive")
    try:
        stats = archive_stats(settings)
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
                "Add articles on the Archive page or with `python cli.py ingest PATH`."
            )
    sb.header("Model")
    where = f" at {public_url(settings.base_url, origin_only=True)}" if settings.base_url else ""
    sb.text(f"{settings.provider}: {settings.model}{where}")
    if settings.provider == "embedded":
        sb.caption("Runs on this computer; nothing is sent anywhere.")
    if overrides():
        sb.caption("Settings changed for this session (see Settings).")
