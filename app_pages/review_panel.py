"""The reviewer's decision on a claim, kept in History, and the downloads of a report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import show_error
from chains.models import Verdict
from chains.render import VERDICT_SHORT, md_literal

if TYPE_CHECKING:
    from chains.models import ClaimCheck, Report
    from review.models import Review
    from settings import Settings

DECISIONS = ["Not reviewed", "Accept", "Overrule"]


def review_phrase(review: Review | None) -> str:
    """The review in words: "Reviewed: accepted" or "Reviewed: overruled → X" ("" if none)."""
    from review.models import Decision

    if review is None:
        return ""
    if review.decision is Decision.ACCEPTED:
        return "Reviewed: accepted"
    return f"Reviewed: overruled \u2192 {VERDICT_SHORT[review.verdict]}"


# --- review ----------------------------------------------------------------------------------


def render_review(
    claim: ClaimCheck,
    review: Review | None,
    check_id: str | None,
    reviews: dict[str, Review],
    settings: Settings,
) -> None:
    from review.models import Decision, Review

    st.markdown("**Review**")
    if check_id is None:
        st.caption("Reviews are kept with finished checks; this one was not saved.")
        return
    phrase = review_phrase(review)
    st.caption(md_literal(phrase or "Not reviewed yet."))
    key = f"{check_id}:{claim.id}"
    current = (
        "Not reviewed"
        if review is None
        else ("Accept" if review.decision is Decision.ACCEPTED else "Overrule")
    )
    a, b = st.columns(2)
    decision = a.selectbox(
        "Reviewer decision", DECISIONS, index=DECISIONS.index(current), key=f"decision:{key}"
    )
    corrected = None
    if decision == "Overrule":
        others = [v for v in Verdict if v is not claim.verdict]
        default = review.verdict if review and review.verdict in others else others[0]
        corrected = b.selectbox(
            "Corrected verdict",
            others,
            index=others.index(default),
            format_func=VERDICT_SHORT.get,
            key=f"corrected:{key}",
        )
    note = st.text_area(
        "Review note", value=review.note if review else "", height=80, key=f"note:{key}"
    )
    if not st.button("Save review", key=f"save:{key}"):
        return
    from app_pages.common import get_history

    try:
        history = get_history(settings)
        if decision == "Not reviewed":
            history.clear_review(check_id, claim.id)
            reviews.pop(claim.id, None)
        else:
            saved = (
                Review.accept(claim, note)
                if decision == "Accept"
                else Review.overrule(claim, corrected, note)
            )
            history.set_review(check_id, saved)
            reviews[claim.id] = saved
    except Exception as exc:  # noqa: BLE001 - a message, not a traceback
        show_error(exc, settings, unexpected="The review could not be saved.")
        return
    st.session_state["reviews"] = reviews
    st.session_state["flash"] = (
        f"Review of claim saved: {review_phrase(reviews.get(claim.id)) or 'not reviewed'}."
    )
    st.rerun()


# --- downloads -------------------------------------------------------------------------------


def render_exports(report: Report, reviews: Mapping[str, Review]) -> None:
    from review.exports import (
        RATINGS,
        claimreview_jsonld,
        claims_csv,
        memo_markdown,
        report_json,
    )

    ids = {c.id for c in report.claims}
    rated = any(r.verdict in RATINGS for k, r in reviews.items() if k in ids)
    name = f"factcheck-{report.article.sha256[:12]}"
    st.markdown("**Download**")
    a, b, c, d = st.columns(4)
    a.download_button(
        "Download memo (Markdown)",
        memo_markdown(report, reviews),
        file_name=f"{name}.md",
        mime="text/markdown",
        on_click="ignore",
    )
    b.download_button(
        "Download JSON",
        report_json(report, reviews),
        file_name=f"{name}.json",
        mime="application/json",
        on_click="ignore",
    )
    c.download_button(
        "Download claims (CSV)",
        claims_csv(report, reviews),
        file_name=f"{name}-claims.csv",
        mime="text/csv",
        on_click="ignore",
    )
    d.download_button(
        "Download ClaimReview (JSON-LD)",
        claimreview_jsonld(report, reviews) if rated else "[]\n",
        file_name=f"{name}-claimreview.jsonld",
        mime="application/ld+json",
        on_click="ignore",
        disabled=not rated,
        help=(
            "schema.org ClaimReview markup for the claims a person confirmed."
            if rated
            else "Available once a reviewer has accepted or overruled a claim with a "
            "rated verdict (Supported, Mixed or Contradicted)."
        ),
    )
