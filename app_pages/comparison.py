"""The comparison of one claim with its archive passages, side by side: the claim and its
sentence from the article on the left, each passage on the right, with the numbers,
dates and names that differ marked (`chains.differences`), and the model's reason shown
as its explanation, never as evidence."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import VERDICT_COLOURS, html_block, html_text, unmarkdown
from app_pages.review_panel import review_phrase
from chains.models import Stance, Verdict
from chains.render import VERDICT_WORDS, md_literal, web_url
from vectorstore.sentences import sentence_at

if TYPE_CHECKING:
    from chains.models import ClaimCheck, Evidence, Mismatch, Report
    from review.models import Review

STANCE_STYLE: dict[Stance, tuple[str, str]] = {
    Stance.SUPPORTS: ("supports the claim", "green"),
    Stance.CONTRADICTS: ("contradicts the claim", "red"),
    Stance.NEUTRAL: ("neutral", "gray"),
}
NOT_IN_ARCHIVE_NOTE = (
    "Nothing in the archive is close enough to this claim. This is not \u201cfalse\u201d: "
    "our own coverage simply does not speak to it, so check it another way."
)


def describe_mismatch(m: Mismatch) -> str:
    found = ", ".join(m.passage_values) if m.passage_values else "nothing comparable"
    head = "Conflict" if m.conflict else "Not found in the passage"
    note = f" ({m.note})" if m.note else ""
    return f"{head} \u2014 {m.kind}: the claim has \u201c{m.claim_value}\u201d, the passage has {found}{note}"


# --- the comparison ------------------------------------------------------------------------------


def _differences(
    sentence: str, evidence: list[Evidence], claim_date: dt.date | None
) -> tuple[list, list[list]]:
    """Spans that differ: in the claim's sentence (against any passage), and in each
    passage's sentence closest to the claim (one statement against one statement); dates
    without a year read against the article's and each passage's date, as the checks do."""
    from chains.checks import closest_sentence
    from chains.differences import mark_differences

    sentence_spans: dict[tuple, object] = {}
    passage_spans: list[list] = []
    for e in evidence:
        try:
            closest, _ = closest_sentence(sentence, e.text)
            offset = max(0, e.text.find(closest))
            mine, theirs = mark_differences(
                sentence, closest, claim_date=claim_date, passage_date=e.published
            )
            theirs = [
                t.model_copy(update={"start": t.start + offset, "end": t.end + offset})
                for t in theirs
            ]
        except Exception:  # noqa: BLE001 - marking is a reading aid; never fail the page
            mine, theirs = [], []
        for span in mine:
            sentence_spans.setdefault((span.start, span.end, span.kind), span)
        passage_spans.append(theirs)
    return [sentence_spans[k] for k in sorted(sentence_spans)], passage_spans


def marked(text: str, spans: list) -> str:
    from chains.differences import marked_html

    try:
        return html_block(unmarkdown(marked_html(text, spans)))
    except Exception:  # noqa: BLE001
        return html_block(html_text(text))


def render_evidence(e: Evidence, n: int, spans: list) -> None:
    with st.container(border=True):
        st.markdown(f"**{n}. {md_literal(e.title or 'Untitled article')}**")
        date = e.published.isoformat() if e.published else "undated"
        byline = [e.source or "Unknown source", *([f"by {e.author}"] if e.author else []), date]
        st.caption(md_literal(" \u00b7 ".join(byline)))
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
        st.markdown(f":{colour}-badge[{words}] retrieval score {e.score:.2f}{certainty}")
        st.markdown(marked(e.text, spans), unsafe_allow_html=True)
        if spans:
            st.caption("Marked: what differs from the claim, in the sentence closest to it.")
        if e.mismatches:
            st.caption("Differences found by the automatic checks (numbers, dates, names):")
            for m in e.mismatches:
                st.text(describe_mismatch(m))
        if e.reason:
            st.caption("The model's explanation (its own words, not evidence):")
            st.text(e.reason)


def render_comparison(report: Report, n: int, claim: ClaimCheck, review: Review | None) -> None:
    _, _, colour = VERDICT_COLOURS[claim.verdict]
    phrase = review_phrase(review)
    st.markdown(
        f"**Claim {n}** :{colour}-badge[{VERDICT_WORDS[claim.verdict]}]"
        + (f" :violet-badge[{md_literal(phrase)}]" if phrase else "")
    )
    if claim.verdict is Verdict.NOT_IN_ARCHIVE:
        st.info(NOT_IN_ARCHIVE_NOTE)
    if claim.verdict is Verdict.NOT_CHECKED:  # the reason is ours, not the model's
        st.warning(md_literal(claim.reason))
    s, e = sentence_at(report.article.text, claim.start, claim.end)
    sentence = report.article.text[s:e]
    claim_date = report.article.published or report.created.date()
    sentence_spans, passage_spans = _differences(sentence, claim.evidence, claim_date)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**The claim**")
        st.text(claim.text)
        st.markdown(f"**In the article** (characters {claim.start}\u2013{claim.end})")
        st.markdown(marked(sentence, sentence_spans), unsafe_allow_html=True)
        if sentence_spans:
            st.caption("Marked: numbers, dates and names that differ from the archive passages.")
        st.space("small")
        st.markdown("**Why this verdict**")
        st.caption(
            "The model's explanation, in its own words \u2014 not evidence. Read the passages."
        )
        st.text(claim.reason or "(no reason given)")
        if claim.confidence is not None:
            st.caption(f"How confident the model was: {claim.confidence:.0%}")
        else:
            st.caption("The model gave no confidence for this verdict.")
    with right:
        st.markdown(f"**From the archive** ({len(claim.evidence)} passage(s))")
        if not claim.evidence:
            st.caption("No archive passage was close enough to this claim.")
        for i, (ev, spans) in enumerate(zip(claim.evidence, passage_spans, strict=True), 1):
            render_evidence(ev, i, spans)
