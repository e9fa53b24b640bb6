"""The History page: checks waiting or running in the worker (open one to follow it), then
finished checks with their reviews; open one, or delete it.

Each check is a record of its own with its own reviews. Signed in, a person sees their
own checks; without sign-in (a one-person tool on localhost) every check is listed, and
those of other browser sessions say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app_pages.auth import current_person
from app_pages.common import (
    get_history,
    page_settings,
    session_owner,
    show_error,
    signed_in_user,
)
from chains.render import VERDICT_SHORT, md_literal, web_url

if TYPE_CHECKING:
    from app_pages.auth import Person
    from jobs.records import Job
    from review.models import CheckSummary
    from settings import Settings

CONFIRM = "history_confirm_delete"  # session state: the check whose deletion awaits a yes


def row_facts(row: CheckSummary, owner: str = "") -> str:
    counts = ", ".join(f"{n} {VERDICT_SHORT[v].lower()}" for v, n in row.counts.items())
    facts = [
        f"{row.created:%Y-%m-%d %H:%M} UTC",
        "checked in this browser session"
        if row.owner == owner
        else ("another session's" if row.owner else "from before sessions were recorded"),
        f"{row.n_claims} claim(s)" + (f" ({counts})" if counts else ""),
        f"{row.n_reviewed} reviewed"
        + (f", {row.n_overruled} overruled" if row.n_overruled else ""),
    ]
    return " \u00b7 ".join(facts)


def render_row(row: CheckSummary, history, owner: str, person: Person) -> None:
    # With sign-in, a check is deleted by the person who ran it or by an editor.
    may_delete = person.editor or (person.signed_in and row.user == person.email)
    with st.container(border=True):
        text, buttons = st.columns([5, 2], vertical_alignment="center")
        with text:
            st.markdown(f"**{md_literal(row.title or 'Untitled article')}**")
            st.caption(md_literal(row_facts(row, owner)))
            if link := web_url(row.url):
                st.markdown(f"[Original article]({link})")
            elif row.url:
                st.text(row.url)
            if row.problem:
                st.warning(md_literal(row.problem))
        with buttons:
            if not row.problem:
                st.page_link(
                    "app_pages/check.py",
                    label="Open",
                    icon=":material/open_in_new:",
                    query_params={"check": row.id},
                )
            if may_delete and st.button("Delete", key=f"delete:{row.id}"):
                st.session_state[CONFIRM] = row.id
        if st.session_state.get(CONFIRM) == row.id:
            st.warning("Delete this check and its reviews? This cannot be undone.")
            yes, no, _ = st.columns([1, 1, 4])
            if yes.button("Yes, delete", key=f"confirm:{row.id}", type="primary"):
                st.session_state.pop(CONFIRM, None)
                history.delete(row.id)
                if st.session_state.get("check_id") == row.id:  # no longer saved: no reviews
                    st.session_state["check_id"] = None
                st.session_state["history_flash"] = f"Deleted \u201c{row.title}\u201d."
                st.rerun()
            if no.button("Cancel", key=f"cancel:{row.id}"):
                st.session_state.pop(CONFIRM, None)
                st.rerun()


def job_facts(job: Job, owner: str) -> str:
    if job.state == "running":
        where = (
            f"running: claim {min(job.done + 1, job.total)} of {job.total}"
            if job.total
            else "running: finding claims"
        )
    else:
        where = "waiting in the queue"
    whose = "queued in this browser session" if job.owner == owner else "another session's"
    return " \u00b7 ".join([f"{job.created:%Y-%m-%d %H:%M} UTC", whose, where])


def render_jobs(settings: Settings, user: str | None, owner: str) -> None:
    """Checks the worker has not finished: a reload or another browser finds them here."""
    from jobs.queue import job_store

    try:
        jobs = job_store(settings).list(user=user, limit=50)  # waiting and running, in order
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The checks in progress could not be read.")
        return
    if not jobs:
        return
    st.subheader("In progress")
    for job in jobs:
        with st.container(border=True):
            text, button = st.columns([5, 2], vertical_alignment="center")
            with text:
                st.markdown(f"**{md_literal(job.title or 'Untitled article')}**")
                st.caption(md_literal(job_facts(job, owner)))
            with button:
                st.page_link(
                    "app_pages/check.py",
                    label="Follow",
                    icon=":material/progress_activity:",
                    query_params={"job": job.id},
                )
    st.subheader("Finished")


def main() -> None:
    settings = page_settings()
    st.title("History")
    user = signed_in_user()
    st.caption(
        "Every finished check is kept here with its own reviews, newest first. "
        "Open one to read it again, review its claims or download it."
        + (
            ""
            if user
            else " Without sign-in, the checks of every session on this computer are listed."
        )
    )
    if flash := st.session_state.pop("history_flash", None):
        st.success(md_literal(flash))
    render_jobs(settings, user, session_owner())
    query = st.text_input("Search history", placeholder="Words from the headline or the link")
    try:
        history = get_history(settings)
        rows = history.list(limit=100, query=query, user=user)  # user None: everyone's
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The history could not be read.")
        return
    if not rows:
        st.info(
            "No checks match." if query.strip() else "No checks yet: checked articles appear here."
        )
    owner = session_owner()
    person = current_person(settings)
    for row in rows:
        render_row(row, history, owner, person)
    if len(rows) == 100:
        st.caption("Showing the newest 100; search to find older checks.")


main()
