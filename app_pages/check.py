"""The Check page: an article in (pasted, uploaded or linked), its check queued as a job
that the worker runs (app_pages/job_view.py follows it: place in the queue, progress,
Stop), then the report (app_pages/report_view.py).

Session state: `report`, `reviews` (claim id -> Review), `check_id` (its History id, None
when not saved; every finished check is a History record of its own, owned by the
browser session that queued it, even when the report cache answered it), `origin` (how
the report came to be here), `fetched` (the article read from the Link tab), and the
job's own keys (job_view).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import get_history, page_settings, show_error
from app_pages.job_view import (
    FRESH,
    follow_requested,
    job_panel,
    show_outcome,
    start_job,
)
from app_pages.report_view import render_report
from chains.render import md_literal
from vectorstore.limits import InputLimits, check_limits

if TYPE_CHECKING:
    from settings import Settings
    from vectorstore.models import Article

log = logging.getLogger("factcheck.app")

TABS = ["Paste", "Upload", "Link"]
UPLOAD_TYPES = ["txt", "md", "html", "htm", "pdf", "docx"]
OPENED = "Opened from History"


# --- reading the input -------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Reading the file\u2026")
def _article_from_upload(name: str, data: bytes, limits: InputLimits) -> Article:
    from vectorstore.ingest import IngestError, load_file

    display = Path(name).name or "upload"
    suffix = Path(display).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="factcheck-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            articles = load_file(path, limits=limits)
        except IngestError as e:
            raise IngestError(str(e).replace(str(path), display)) from None
    if len(articles) != 1:
        raise IngestError(f"{display} holds {len(articles)} articles; check one at a time.")
    # A .txt file's source is its folder's name: here that would be the temporary folder.
    source = "" if articles[0].source == Path(tmp).name else articles[0].source
    return articles[0].model_copy(update={"origin": display, "source": source})


def article_facts(article: Article) -> str:
    facts = [f"By {article.author}"] if article.author else []
    facts += [article.source] if article.source else []
    facts += [article.published.isoformat()] if article.published else []
    facts.append(f"{len(article.text):,} characters")
    return " \u00b7 ".join(facts)


def show_preview(article: Article) -> None:
    with st.container(border=True):
        st.markdown(f"**{md_literal(article.title or 'Untitled article')}**")
        st.caption(md_literal(article_facts(article)))
        start = article.text[:600]
        st.text(start + ("\u2026" if len(article.text) > len(start) else ""))


def fetch(url: str, settings: Settings) -> Article | None:
    """The article at `url` (kept for the Link tab), or None after showing why not."""
    from vectorstore.ingest import IngestError
    from vectorstore.web import fetch_article

    st.session_state.pop("fetched", None)
    try:
        with st.spinner("Fetching the article\u2026"):
            article = fetch_article(
                url, allow_private=settings.allow_private_urls, limits=check_limits(settings)
            )
    except IngestError as exc:  # UrlError and a page that holds no article
        st.error(md_literal(str(exc)), icon="\u26a0\ufe0f")
        return None
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback
        show_error(exc, settings, unexpected="The article could not be fetched.")
        return None
    st.session_state["fetched"] = {"url": url, "article": article}
    return article


def input_tabs(settings: Settings) -> dict:
    """The three ways in; what each holds now."""
    paste, upload_tab, link = st.tabs(TABS, key="input_tab", on_change="rerun")
    got: dict = {}
    with paste:
        got["text"] = st.text_area(
            "Article text", height=220, placeholder="Paste the article here", key="paste_text"
        )
        got["title"] = st.text_input("Headline (optional)", key="paste_title")
    with upload_tab:
        upload = st.file_uploader(
            "Article file",
            type=UPLOAD_TYPES,
            help="Plain text, Markdown, a web page saved as HTML, PDF or Word (.docx).",
            key="upload_file",
        )
        got["upload"] = upload
        got["upload_article"] = None
        if upload is not None:
            try:
                got["upload_article"] = _article_from_upload(
                    upload.name, upload.getvalue(), check_limits(settings)
                )
            except Exception as exc:  # noqa: BLE001 - a bad file is a message
                show_error(exc, settings, unexpected="The file could not be read.")
            else:
                st.caption(md_literal(f"The uploaded file {upload.name} will be checked."))
                show_preview(got["upload_article"])
    with link:
        got["url"] = st.text_input(
            "Article link (URL)", placeholder="https://\u2026", key="link_url"
        ).strip()
        if st.button("Fetch article") and got["url"]:
            fetch(got["url"], settings)
        fetched = st.session_state.get("fetched")
        if fetched and fetched["url"] == got["url"]:
            show_preview(fetched["article"])
        elif fetched and got["url"]:
            st.caption("Click Fetch article to read the new link.")
    return got


def chosen_article(got: dict, settings: Settings) -> Article | None:
    """The article in the open tab, or None after saying what is missing."""
    from vectorstore.ingest import IngestError, article_from_text

    tab = st.session_state.get("input_tab") or TABS[0]
    if tab == "Upload":
        if got["upload"] is None:
            st.warning("Choose a file in the Upload tab, then click Check claims.")
        return got["upload_article"]  # None after a read error, already shown
    if tab == "Link":
        if not got["url"]:
            st.warning("Enter the article's link in the Link tab, then click Check claims.")
            return None
        fetched = st.session_state.get("fetched")
        if fetched and fetched["url"] == got["url"]:
            return fetched["article"]
        return fetch(got["url"], settings)
    try:
        return article_from_text(got["text"], got["title"], origin="pasted text")
    except IngestError:  # the only failure here is empty text
        st.warning("Paste an article's text or upload a file, then click Check claims.")
        return None


# --- opening a saved check ---------------------------------------------------------------------


def open_requested(settings: Settings) -> None:
    """A check opened from the History page (?check=ID), or from a claim clicked in the
    reading view (?check=ID&claim=CLAIM_ID: that claim chosen)."""
    check_id = st.query_params.get("check")
    claim_id = st.query_params.get("claim")
    if "claim" in st.query_params:
        del st.query_params["claim"]
    if not check_id:
        return
    del st.query_params["check"]
    try:
        report, reviews = get_history(settings).load(check_id)
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The check could not be opened.")
        return
    st.session_state.update(report=report, reviews=reviews, check_id=check_id, origin=OPENED)
    if claim_id and any(c.id == claim_id for c in report.claims):
        st.session_state["claim_choice"] = claim_id


# --- the page --------------------------------------------------------------------------------


def main() -> None:
    settings = page_settings()
    st.title("Fact-check against the archive")
    st.caption(
        "Paste, upload or link an article. Each checkable claim is compared with what the "
        "newsroom's own archive says about it."
    )
    follow_requested()
    open_requested(settings)
    got = input_tabs(settings)
    if st.button("Check claims", type="primary"):
        for name in ("report", "reviews", "check_id", "origin"):
            st.session_state.pop(name, None)
        article = chosen_article(got, settings)
        if article is not None:
            from chains.pipeline import validate_article

            try:
                validate_article(article, settings)
            except Exception as exc:  # noqa: BLE001
                show_error(exc, settings)
            else:
                start_job(article, settings)  # the worker checks it; the panel follows
    job_panel(settings)
    show_outcome(settings)

    report = st.session_state.get("report")
    if report is not None:
        render_report(
            report,
            st.session_state.setdefault("reviews", {}),
            st.session_state.get("check_id"),
            settings,
            st.session_state.get("origin", FRESH),
        )


main()
