"""A check's job on the Check page: its place in the queue, then its progress, then its
outcome, polled by a fragment (`st.fragment(run_every=...)`). The job runs in the worker
process, so a click, a page switch or a reload never touches it: the page finds it again
by `?job=ID` in its address (also the History page's link to a running check).

Session state: `job_id` (the job this page follows), `job_outcome` (set once when the job
ends: a done label, or an error, shown by the next full run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import (
    get_history,
    overrides,
    session_owner,
    show_error,
    signed_in_user,
)
from app_pages.report_view import claim_label
from chains.render import md_literal

if TYPE_CHECKING:
    from jobs.records import Job
    from settings import Settings
    from vectorstore.models import Article

JOB = "job_id"
OUTCOME = "job_outcome"
POLL_SECONDS = 1.5
FRESH = "Checked just now"
CACHED = "From the cache: this article was checked before with the same model and settings"
STOPPED = "Stopped before the end: a partial result, not saved to History"


def _calls(n: int) -> str:
    return f"{n} model call" + ("" if n == 1 else "s")


def done_label(report) -> str:
    seconds = sum(s.seconds for s in report.stages.values())
    calls = sum(s.model_calls for s in report.stages.values())
    if report.cached:
        return f"Done \u00b7 from cache (first checked in {seconds:.0f} s \u00b7 {_calls(calls)})"
    return f"Done in {seconds:.0f} s \u00b7 {_calls(calls)}"


def start_job(article: Article, settings: Settings) -> None:
    """Queue a check of `article` for this session; the page follows it from now on."""
    from jobs.queue import submit

    try:
        job_id = submit(
            article, settings, overrides(), owner=session_owner(), user=signed_in_user()
        )
    except Exception as exc:  # noqa: BLE001 - a refusal or an unusable queue: a message
        show_error(exc, settings, unexpected="The check could not be queued.")
        return
    st.session_state[JOB] = job_id
    st.query_params["job"] = job_id


def follow_requested() -> None:
    """A job named in the address (a reload, or a running check opened from History)."""
    job_id = st.query_params.get("job")
    if job_id and st.session_state.get(JOB) != job_id:
        for name in ("report", "reviews", "check_id", "origin"):
            st.session_state.pop(name, None)
        st.session_state[JOB] = job_id


def _forget() -> None:
    st.session_state.pop(JOB, None)
    if "job" in st.query_params:
        del st.query_params["job"]


def conclude(job: Job, settings: Settings) -> None:
    """A finished job becomes the page's report (or its error); the page stops following."""
    from jobs.records import CANCELLED, DONE
    from jobs.records import STOPPED as STOPPED_STATE
    from jobs.runner import load_error

    _forget()
    if job.state == DONE and job.check_id:
        try:
            report, reviews = get_history(settings).load(job.check_id)
        except Exception as exc:  # noqa: BLE001 - deleted meanwhile, or unreadable
            st.session_state[OUTCOME] = ("error", exc)
            return
        shown = report.model_copy(update={"cached": job.cached})
        st.session_state.update(
            report=shown, reviews=reviews, check_id=job.check_id,
            origin=CACHED if job.cached else FRESH,
        )  # fmt: skip
        st.session_state[OUTCOME] = ("done", done_label(shown))
    elif job.state == STOPPED_STATE:
        partial = job.partial
        if partial is None or not partial.claims:
            st.session_state[OUTCOME] = (
                "warning",
                "The check was stopped before any claim was checked.",
            )
            return
        report = partial.model_copy(deep=True)
        report.warnings.insert(
            0,
            f"The check was stopped after {len(report.claims)} of {job.total or '?'} claims. "
            "The claims below are a partial result; check the article again for all.",
        )
        st.session_state.update(report=report, reviews={}, check_id=None, origin=STOPPED)
        st.session_state[OUTCOME] = ("stopped", "Stopped")
    elif job.state == CANCELLED:
        st.session_state[OUTCOME] = ("warning", "The check was cancelled before it started.")
    else:
        error = load_error(job.error) if job.error else RuntimeError("the check failed")
        st.session_state[OUTCOME] = ("error", error)


def show_outcome(settings: Settings) -> None:
    """What the job that just ended left to say, once."""
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is None:
        return
    kind, value = outcome
    if kind == "done":
        st.status(value, state="complete", expanded=False)
    elif kind == "stopped":
        st.status("Stopped: the claims checked so far are below", state="complete", expanded=False)
    elif kind == "warning":
        st.warning(md_literal(value))
    else:
        st.status("The check did not finish", state="error", expanded=False)
        show_error(value, settings)


def _progress(job: Job) -> tuple[str, float]:
    if job.stage in ("", "extract"):
        return "Finding claims (the first check also loads the model)\u2026", 0.02
    if job.stage == "done" or not job.total:
        return "Finishing\u2026", 1.0
    fraction = 0.1 + 0.9 * job.done / job.total
    return f"Checking claim {min(job.done + 1, job.total)} of {job.total}", min(1.0, fraction)


@st.fragment(run_every=POLL_SECONDS)
def job_panel(settings: Settings) -> None:
    """The followed job's place in the queue or its progress, with Stop; reruns the whole
    page once the job has ended."""
    from jobs.queue import cancel, status
    from jobs.records import QUEUED

    job_id = st.session_state.get(JOB)
    if not job_id:
        return
    if st.query_params.get("job") != job_id:
        st.query_params["job"] = job_id  # back from another page: a reload still finds it
    try:
        state = status(settings, job_id)
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The check's state could not be read.")
        return
    if state is None:
        _forget()
        st.warning("That check is not known here (it may belong to another installation).")
        return
    job = state.job
    if job.finished:
        conclude(job, settings)
        st.rerun()
    if st.button("Stop", key="stop", help="End the check; the claims checked so far are kept."):
        cancel(settings, job_id)
        job = status(settings, job_id).job
        if job.finished:
            conclude(job, settings)
            st.rerun()
    if job.state == QUEUED:
        ahead = state.ahead
        st.info(
            f"Waiting: {ahead} check{'s' if ahead != 1 else ''} ahead of yours."
            if ahead
            else "Waiting: yours is next."
        )
        if not state.workers:
            st.warning(
                "No worker is running, so no check starts. Start the app with "
                "`bash scripts/run_app.sh`, or run `python cli.py worker` beside it."
            )
        return
    label, fraction = _progress(job)
    if job.cancel:
        label = "Stopping after the claim being checked\u2026"
    st.progress(
        fraction, text=md_literal(f"{label} \u00b7 {job.message}" if job.message else label)
    )
    if job.partial is not None and job.partial.claims:
        lines = [f"- {md_literal(claim_label(i, c))}" for i, c in enumerate(job.partial.claims, 1)]
        st.markdown("\n".join(lines))
