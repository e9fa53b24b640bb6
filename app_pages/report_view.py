"""A checked article on the Check page: its header, the filter and sort controls, the
reading view with every claim marked in place and labelled in words, then the chosen
claim's comparison (comparison.py), its review and the downloads (review_panel.py).

All HTML in these modules is built from `html_text` (escaped, Markdown-inert) and from
`chains.differences.marked_html` (escaped by it); everything else is `st.text` or
Markdown through `md_literal`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import VERDICT_COLOURS, html_block, html_text, shorten
from app_pages.comparison import render_comparison
from app_pages.review_panel import render_exports, render_review, review_phrase
from chains.models import Verdict
from chains.render import VERDICT_SHORT, in_article_order, md_literal, web_url

if TYPE_CHECKING:
    from chains.models import ClaimCheck, Report
    from review.models import Review
    from settings import Settings

SORT_POSITION, SORT_CONFIDENCE = "Position in article", "Confidence"
DIFF_STYLE = (
    "<style>.factcheck-text mark.diff{background:#ffe066;color:#111;font-weight:600;"
    "text-decoration:underline;padding:0 1px;border-radius:2px}</style>"
)


# --- words ---------------------------------------------------------------------------------------


def claim_label(n: int, claim: ClaimCheck) -> str:
    """How a claim is listed: "3. Contradicted — quote…"."""
    return f"{n}. {VERDICT_SHORT[claim.verdict]} \u2014 {shorten(claim.quote, 90)}"


def numbered(report: Report) -> list[tuple[int, ClaimCheck]]:
    """Claims numbered in article order: the numbers the reading view shows."""
    return list(enumerate(in_article_order(report.claims), 1))


def summary_markdown(report: Report) -> str:
    counts = {v: 0 for v in Verdict}
    for c in report.claims:
        counts[c.verdict] += 1
    badges = [
        f":{VERDICT_COLOURS[v][2]}-badge[{n} {VERDICT_SHORT[v].lower()}]"
        for v, n in counts.items()
        if n
    ]
    return f"**{len(report.claims)} claim(s)** " + " ".join(badges)


def run_facts(report: Report) -> str:
    seconds = sum(s.seconds for s in report.stages.values())
    calls = sum(s.model_calls for s in report.stages.values())
    tokens = sum(s.tokens_in + s.tokens_out for s in report.stages.values())
    facts = f"{seconds:.0f} s \u00b7 {calls} model call(s)"
    if tokens:
        facts += f" \u00b7 {tokens:,} tokens"
    return f"Checked {report.created:%Y-%m-%d %H:%M} UTC in {facts} \u00b7 model {report.model}"


# --- the reading view ----------------------------------------------------------------------------


def article_html(
    report: Report,
    shown: list[tuple[int, ClaimCheck]],
    reviews: Mapping[str, Review],
    chosen: str | None,
    check_id: str | None = None,
) -> str:
    """The article's text with each shown claim marked in place and labelled in words.

    For a check saved in History, each mark is a link that reopens the check with that
    claim chosen (raw HTML cannot talk to Streamlit; a link with query parameters can).
    """
    text = report.article.text
    out: list[str] = []
    cursor = 0
    for n, c in sorted(shown, key=lambda nc: (nc[1].start, nc[1].end)):
        start = max(c.start, cursor)
        if c.end <= start:
            continue  # inside a claim already marked; it is still listed under "Claim"
        background, border, _ = VERDICT_COLOURS[c.verdict]
        outline = f"outline:2px solid {border};" if c.id == chosen else ""
        out.append(html_text(text[cursor:start]))
        mark = (
            f'<mark data-claim="{html_text(c.id)}" data-verdict="{c.verdict.value}" '
            f'title="Claim {n}: {html_text(VERDICT_SHORT[c.verdict])}" '
            f'style="background:{background};color:#111;border-bottom:2px solid {border};'
            f'padding:0 2px;border-radius:3px;{outline}">{html_text(text[start : c.end])}</mark>'
        )
        if check_id:
            query = urllib.parse.urlencode({"check": check_id, "claim": c.id})
            mark = (
                f'<a class="claim-link" href="?{html_text(query)}" target="_self" '
                f'style="color:inherit;text-decoration:none">{mark}</a>'
            )
        out.append(
            f'<sup style="color:{border};font-weight:700">{n}</sup>{mark}'
            f'<span class="verdict-tag" style="font-size:0.78em;font-weight:600;'
            f'color:{border};margin-left:2px">[{html_text(VERDICT_SHORT[c.verdict])}]</span>'
        )
        if phrase := review_phrase(reviews.get(c.id)):
            out.append(
                '<span class="review-tag" style="font-size:0.78em;font-style:italic;'
                f'margin-left:2px">[{html_text(phrase)}]</span>'
            )
        cursor = c.end
    out.append(html_text(text[cursor:]))
    return html_block("".join(out))


def visible_claims(report: Report) -> list[tuple[int, ClaimCheck]]:
    """The filter and sort controls; the claims they leave, in the chosen order."""
    a, b = st.columns([5, 2])
    chosen = a.multiselect(
        "Show verdicts",
        list(Verdict),
        default=list(Verdict),
        format_func=VERDICT_SHORT.get,
        key="show_verdicts",
    )
    order = b.radio(
        "Sort by",
        [SORT_POSITION, SORT_CONFIDENCE],
        horizontal=True,
        key="sort_by",
        help="Confidence: the claims the model was surest about first.",
    )
    shown = [(n, c) for n, c in numbered(report) if c.verdict in chosen]
    if order == SORT_CONFIDENCE:
        shown.sort(key=lambda nc: (nc[1].confidence is None, -(nc[1].confidence or 0.0)))
    return shown


# --- the whole report ------------------------------------------------------------------------


def render_header(report: Report, origin: str) -> None:
    a = report.article
    st.markdown(f"### {md_literal(a.display_title() or 'Untitled article')}")
    facts = [f"By {a.author}"] if a.author else []
    facts += [a.source] if a.source else []
    facts += [a.published.isoformat()] if a.published else []
    if facts:
        st.caption(md_literal(" \u00b7 ".join(facts)))
    if link := web_url(a.url):
        st.markdown(f"[Original article]({link})")
    st.markdown(summary_markdown(report))
    st.caption(md_literal(f"{origin}. {run_facts(report)}"))
    for w in report.warnings:
        st.warning(md_literal(w))
    if failed := sum(c.verdict is Verdict.NOT_CHECKED for c in report.claims):
        st.warning(
            f"{failed} claim(s) could not be checked: the model's answers for them were "
            "unusable even when asked again. The other claims were checked; check those by "
            "hand or run the check again."
        )


def render_report(
    report: Report,
    reviews: dict[str, Review],
    check_id: str | None,
    settings: Settings,
    origin: str,
) -> None:
    st.divider()
    render_header(report, origin)
    if flash := st.session_state.pop("flash", None):
        st.success(md_literal(flash))
    if not report.claims:
        st.info(
            "No checkable claims were found. Claims are statements of fact about the past "
            "or present; predictions, opinions and questions are skipped."
        )
        render_exports(report, reviews)
        return
    st.markdown(DIFF_STYLE, unsafe_allow_html=True)
    shown = visible_claims(report)
    labels = {c.id: claim_label(n, c) for n, c in shown}
    chosen = None
    if shown:
        chosen = st.selectbox(
            "Claim",
            list(labels),
            format_func=labels.get,
            key="claim_choice",
            help="The claim to compare with the archive; numbers are as in the article.",
        )
    else:
        st.info("No claim has the verdicts chosen under \u201cShow verdicts\u201d.")
    st.markdown(
        "**The article**, each claim marked in place with its verdict"
        + (" (click a claim to compare it)" if check_id else "")
    )
    text = report.article.text
    lines = len(text) / 100 + text.count("\n")  # about 100 characters a line
    with st.container(height=int(min(480, max(120, 60 + 30 * lines))), border=True):
        st.markdown(article_html(report, shown, reviews, chosen, check_id), unsafe_allow_html=True)
    if chosen is not None:
        n, claim = next((n, c) for n, c in shown if c.id == chosen)
        st.divider()
        render_comparison(report, n, claim, reviews.get(claim.id))
        render_review(claim, reviews.get(claim.id), check_id, reviews, settings)
    st.divider()
    render_exports(report, reviews)
