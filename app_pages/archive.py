"""The Archive page: add articles (files or a link), counts by source and year, search,
and open or delete a stored article. Adding and deleting are for editors (app_pages.auth):
a reporter signed in sees neither."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.auth import may_change
from app_pages.common import archive_stats, get_store, page_settings, show_error
from chains.render import md_literal, web_url

if TYPE_CHECKING:
    from settings import Settings
    from vectorstore.ingest import IngestError
    from vectorstore.models import Article, Passage

ARCHIVE_TYPES = ["txt", "md", "markdown", "html", "htm", "json", "jsonl", "csv", "pdf", "docx"]
CONFIRM = "archive_confirm_delete"
FLASH = "archive_flash"
EDITORS_ONLY = (
    "Only editors add articles to the archive or delete them; you can search and read it."
)


# --- adding ----------------------------------------------------------------------------------


def _uploaded_articles(upload) -> list[Article]:
    """The articles in one uploaded file (IngestError when it cannot be read)."""
    from vectorstore.ingest import IngestError, load_file

    display = Path(upload.name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="factcheck-archive-") as tmp:
        path = Path(tmp) / f"upload{Path(display).suffix.lower()}"
        path.write_bytes(upload.getvalue())
        try:
            articles = load_file(path)
        except IngestError as e:
            raise IngestError(str(e).replace(str(path), display)) from None
    fixed = []
    for i, a in enumerate(articles, 1):
        origin = display if len(articles) == 1 else f"{display}#{i}"
        source = "" if a.source == Path(tmp).name else a.source  # a .txt file's folder
        fixed.append(a.model_copy(update={"origin": origin, "source": source}))
    return fixed


def render_add(settings: Settings) -> None:
    from vectorstore.ingest import IngestError, store_loaded

    st.subheader("Add articles")
    with st.form("add_articles", clear_on_submit=True):
        uploads = st.file_uploader(
            "Files to add",
            type=ARCHIVE_TYPES,
            accept_multiple_files=True,
            help="txt, md, html, json/jsonl, csv, pdf or docx; a json, jsonl or csv file may "
            "hold many articles.",
        )
        url = st.text_input("Or a link to add (URL)", placeholder="https://\u2026")
        a, b = st.columns(2)
        source = a.text_input(
            "Source (optional)", help="Replaces the source the files give, e.g. Harbor Gazette."
        )
        published = b.date_input(
            "Date (optional)",
            value=None,
            min_value=dt.date(1800, 1, 1),
            max_value=dt.date(2100, 12, 31),
            help="Replaces the publication date the files give.",
        )
        submitted = st.form_submit_button("Add to archive", type="primary")
    if not submitted:
        return
    if not uploads and not url.strip():
        st.warning("Choose files or enter a link, then click Add to archive.")
        return
    loaded: list[tuple[str, list[Article] | IngestError]] = []
    with st.spinner("Reading and adding\u2026"):
        for upload in uploads or []:
            try:
                loaded.append((upload.name, _uploaded_articles(upload)))
            except IngestError as exc:
                loaded.append((upload.name, exc))
        if url.strip():
            from vectorstore.web import fetch_article

            try:
                loaded.append(
                    (url, [fetch_article(url.strip(), allow_private=settings.allow_private_urls)])
                )
            except IngestError as exc:
                loaded.append((url, exc))
        try:
            before = archive_stats(settings)
            report = store_loaded(
                loaded,
                get_store(settings),
                chunk_chars=settings.chunk_chars,
                source=source,
                published=published,
            )
            after = archive_stats(settings)
        except Exception as exc:  # noqa: BLE001
            show_error(exc, settings, unexpected="The articles could not be added.")
            return
    lines = [
        f"Added {len(report.added)} article(s) ({report.chunks_added} passages). "
        f"The archive now has {after['articles']:,} articles (before: {before['articles']:,})."
    ]
    if report.duplicates:
        lines.append(f"Already in the archive, skipped: {', '.join(report.duplicates)}.")
    st.session_state[FLASH] = (lines, [(r.name, r.reason) for r in report.rejected])
    st.rerun()


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if not flash:
        return
    lines, rejected = flash
    for line in lines:
        st.success(md_literal(line))
    for name, reason in rejected:
        st.error(md_literal(f"Not added: {name}: {reason}"))


# --- counts, search, one article -------------------------------------------------------------


def table(rows: list[dict], empty: str) -> None:
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption(empty)


def render_counts(stats: dict) -> None:
    a, b, c, d = st.columns(4)
    a.metric("Articles in the archive", f"{stats['articles']:,}")
    b.metric("Passages in the archive", f"{stats['chunks']:,}")
    c.metric("Sources", f"{len(stats.get('sources') or {}):,}")
    first, last = stats.get("first_published"), stats.get("last_published")
    d.metric("Published", f"{first[:4]}\u2013{last[:4]}" if first and last else "\u2013")
    left, right = st.columns(2)
    with left:
        st.markdown("**By source**")
        rows = [{"Source": s or "(no source)", "Articles": n} for s, n in stats["sources"].items()]
        table(rows, "None yet.")
    with right:
        st.markdown("**By year**")
        rows = [{"Year": str(y), "Articles": n} for y, n in stats.get("years", {}).items()]
        table(rows, "No dates.")


def render_search(settings: Settings) -> None:
    st.subheader("Search")
    query = st.text_input("Search the archive", placeholder="A claim or a few words")
    if not query.strip():
        return
    passages = get_store(settings).search(query, k=10)
    if not passages:
        st.info("Nothing found.")
    for p in passages:
        render_passage(p)


def render_passage(p: Passage) -> None:
    with st.container(border=True):
        st.markdown(f"**{md_literal(p.title or 'Untitled article')}**")
        date = p.published.isoformat() if p.published else "undated"
        score = f" \u00b7 score {p.score:.2f}" if p.score is not None else ""
        st.caption(md_literal(f"{p.source or 'Unknown source'} \u00b7 {date}{score}"))
        if link := web_url(p.url):
            st.markdown(f"[Open the archived article]({link})")
        st.text(p.text)


def joined(passages: list[Passage]) -> str:
    """An article's text from its passages (which are contiguous, in text order)."""
    out, end = [], None
    for p in passages:
        if end is not None:
            out.append("\n\n" if p.start - end > 1 else " ")
        out.append(p.text)
        end = p.end
    return "".join(out)


def render_article(settings: Settings, editor: bool) -> None:
    st.subheader("Articles")
    store = get_store(settings)
    articles = store.list_articles()
    if not articles:
        st.caption("The archive is empty.")
        return
    by_id = {a["article_id"]: a for a in articles}

    def label(aid: str) -> str:
        a = by_id[aid]
        return " \u00b7 ".join(
            [a["title"] or "Untitled", a["source"] or "no source", a["published"] or "undated"]
        )

    chosen = st.selectbox(
        "Open an article", list(by_id), index=None, format_func=label, placeholder="Choose one"
    )
    if chosen is None:
        return
    info = by_id[chosen]
    passages = store.get_article_passages(chosen)
    st.markdown(f"**{md_literal(info['title'] or 'Untitled article')}**")
    facts = [info.get("author") and f"By {info['author']}", info["source"], info["published"]]
    facts.append(f"{info['chunks']} passage(s)")
    st.caption(md_literal(" \u00b7 ".join(f for f in facts if f)))
    if link := web_url(info["url"]):
        st.markdown(f"[Original article]({link})")
    with st.container(height=300, border=True):
        st.text(joined(passages))
    if not editor:
        return
    if st.button("Delete this article", key=f"delete:{chosen}"):
        st.session_state[CONFIRM] = chosen
    if st.session_state.get(CONFIRM) == chosen:
        st.warning("Delete this article from the archive? This cannot be undone.")
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button("Yes, delete it", type="primary"):
            before = archive_stats(settings)
            removed = store.delete_article(chosen)
            after = archive_stats(settings)
            st.session_state.pop(CONFIRM, None)
            st.session_state[FLASH] = (
                [
                    f"Deleted \u201c{info['title'] or 'Untitled article'}\u201d ({removed} "
                    f"passages). The archive now has {after['articles']:,} articles and "
                    f"{after['chunks']:,} passages (before: {before['articles']:,} and "
                    f"{before['chunks']:,})."
                ],
                [],
            )
            st.rerun()
        if no.button("Cancel"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def main() -> None:
    settings = page_settings()
    st.title("Archive")
    st.caption("The newsroom's prior articles that claims are checked against.")
    try:
        stats = archive_stats(settings)
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The archive could not be opened.")
        return
    show_flash()
    render_counts(stats)
    editor = may_change(settings)
    if editor:
        render_add(settings)
    else:
        st.info(EDITORS_ONLY)
    render_search(settings)
    render_article(settings, editor)


main()
