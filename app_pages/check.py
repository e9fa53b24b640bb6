"""The Check page: an article in (pasted, uploaded or linked), its claims checked against
the archive with live progress and a Stop button, then the report (pages/report_view.py).

Session state: `report`, `reviews` (claim id -> Review), `check_id` (its History id, None
when not saved; every finished check is a History record of its own, owned by this
browser session, even when the report cache answered it), `origin` (how the report came to be here), `running` (the report being
built while a check runs: left behind when a run is interrupted, so the claims checked
so far are kept), `fetched` (the article read from the Link tab).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import (
    get_history,
    get_model,
    get_store,
    page_settings,
    session_owner,
    show_error,
    signed_in_user,
)
from app_pages.report_view import claim_label, render_report
from chains.render import md_literal
from vectorstore.limits import InputLimits, check_limits

if TYPE_CHECKING:
    from chains.models import Report
    from chains.pipeline import Progress
    from settings import Settings
    from vectorstore.models import Article

log = logging.getLogger("factcheck.app")

TABS = ["Paste", "Upload", "Link"]
UPLOAD_TYPES = ["txt", "md", "html", "htm", "pdf", "docx"]
FRESH = "Checked just now"
CACHED = "From the cache: this article was checked before with the same model and settings"
OPENED = "Opened from History"
STOPPED = "Stopped before the end: a partial result, not saved to History"


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


# --- running a check -----------------------------------------------------------------------------


def _calls(n: int) -> str:
    return f"{n} model call" + ("" if n == 1 else "s")


def done_label(report: Report) -> str:
    seconds = sum(s.seconds for s in report.stages.values())
    calls = sum(s.model_calls for s in report.stages.values())
    if report.cached:
        return f"Done \u00b7 from cache (first checked in {seconds:.0f} s \u00b7 {_calls(calls)})"
    return f"Done in {seconds:.0f} s \u00b7 {_calls(calls)}"


def run_check(article: Article, settings: Settings) -> tuple[Report, str] | None:
    """Check with live progress; (report, cache key), or None after showing an error.

    A click on Stop (or any other widget) makes Streamlit end this run at its next
    update; `running` in the session state then still holds the claims checked so far.
    """
    from chains.pipeline import Prompts, ReportCache, check_article, report_key

    stop = st.empty()
    stop.button("Stop", key="stop", help="End the check; the claims checked so far are kept.")
    status = st.status("Finding claims\u2026", expanded=False)
    # Outside the status box, which the browser may keep collapsed: the bar and the
    # claims as they are finished stay in view.
    bar = st.progress(0.0, text="Starting (the first check also loads the model)\u2026")
    finished = st.empty()
    lines: list[str] = []
    running: dict = {"report": None, "total": 0}

    def progress(p: Progress) -> None:
        if p.report is not None:
            running["report"] = p.report
        if p.stage == "extract":
            label, fraction = "Finding claims\u2026", 0.02
        elif p.stage == "done":
            label, fraction = "Done", 1.0
        else:
            running["total"] = p.total
            label = f"Checking claim {min(p.done + 1, p.total)} of {p.total}"
            fraction = 0.1 + 0.9 * (p.done / p.total if p.total else 1.0)
        status.update(label=label)
        bar.progress(min(1.0, fraction), text=md_literal(p.message))
        if p.claim is not None:
            lines.append(f"- {md_literal(claim_label(p.done, p.claim))}")
            finished.markdown("\n".join(lines))

    try:
        store = get_store(settings)
        model = get_model(settings)
        prompts = Prompts()
        key = report_key(article, model=model, store=store, settings=settings, prompts=prompts)
        st.session_state["running"] = running
        report = check_article(
            article,
            model=model,
            store=store,
            settings=settings,
            prompts=prompts,
            progress=progress,
            cache=ReportCache(settings.cache_dir / "reports"),
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        st.session_state.pop("running", None)
        stop.empty()
        status.update(label="The check did not finish", state="error", expanded=False)
        show_error(exc, settings)
        return None
    st.session_state.pop("running", None)
    for element in (stop, bar, finished):
        element.empty()
    status.update(label=done_label(report), state="complete", expanded=False)
    return report, key


def keep(report: Report, key: str, settings: Settings) -> None:
    """Show this report from now on, and save it in History as a new check of this
    session's: a repeat answered by the cache is a record of its own, with no reviews."""
    st.session_state.update(
        report=report, reviews={}, check_id=None, origin=CACHED if report.cached else FRESH
    )
    try:
        history = get_history(settings)
        check_id = history.save(
            report.model_copy(update={"cached": False}),
            owner=session_owner(),
            user=signed_in_user(),
            cache_key=key,
        )
        reviews: dict = {}
    except Exception:  # noqa: BLE001 - the check itself is fine; say it was not saved
        log.exception("cannot save the check in the history")
        st.warning("This check could not be saved to History; its reviews cannot be kept.")
        return
    st.session_state.update(check_id=check_id, reviews=reviews)


def recover_interrupted() -> None:
    """A run that was stopped: keep the claims it had checked, with a warning."""
    running = st.session_state.pop("running", None)
    if running is None:
        return
    partial = running.get("report")
    if partial is None or not partial.claims:
        st.warning("The check was stopped before any claim was checked.")
        return
    report = partial.model_copy(deep=True)
    report.warnings.insert(
        0,
        f"The check was stopped after {len(report.claims)} of {running.get('total') or '?'} "
        "claims. The claims below are a partial result; check the article again for all.",
    )
    st.session_state.update(report=report, reviews={}, check_id=None, origin=STOPPED)


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
    recover_interrupted()
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
                result = run_check(article, settings)
                if result is not None:
                    keep(*result, settings)

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
