"""A reviewed check as files: a Markdown memo, JSON, CSV of claims, ClaimReview JSON-LD.

`reviews` maps claim id to Review and may be empty (nothing reviewed yet). Reviews of
claims the report does not have are ignored everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from chains.models import ClaimCheck, Evidence, Report, Verdict
from chains.render import (
    VERDICT_SHORT,
    in_article_order,
    md_prose,
    render_memo,
    utc,
    web_url,
)
from review.models import Decision, Review

Reviews = Mapping[str, Review]


def _relevant(report: Report, reviews: Reviews) -> dict[str, Review]:
    ids = {c.id for c in report.claims}
    return {k: r for k, r in reviews.items() if k in ids}


# -- Markdown memo ----------------------------------------------------------------------


def memo_markdown(report: Report, reviews: Reviews) -> str:
    """The memo for an editor, with each claim's review (or that it has none yet)."""
    done = _relevant(report, reviews)
    overruled = sum(r.decision is Decision.OVERRULED for r in done.values())
    summary = f"Reviewed by a person: {len(done)} of {len(report.claims)}, {overruled} overruled."
    return render_memo(report, summary=summary, notes=lambda c: _review_lines(done.get(c.id)))


def _review_lines(review: Review | None) -> list[str]:
    if review is None:
        return ["_Not reviewed by a person yet._"]
    decision = "accepted" if review.decision is Decision.ACCEPTED else "overruled"
    note = f" \u2014 {md_prose(review.note)}" if review.note.strip() else ""
    when = f"{utc(review.reviewed_at):%Y-%m-%d %H:%M} UTC"
    return [f"**Reviewer: {decision} \u2192 {VERDICT_SHORT[review.verdict]}**{note} ({when})"]


# -- JSON ---------------------------------------------------------------------------------


def report_json(report: Report, reviews: Reviews) -> str:
    """The report's own JSON (the CLI's contract) plus `reviews` by claim id; sorted keys."""
    data = report.model_dump(mode="json")
    data["reviews"] = {
        k: r.model_dump(mode="json") for k, r in sorted(_relevant(report, reviews).items())
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "n", "claim", "quote", "start", "end", "verdict", "confidence", "reason",
    "review_decision", "review_verdict", "review_note", "reviewed_at",
    "top_title", "top_source", "top_published", "top_url", "top_score",
]  # fmt: skip

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a formula start gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def claims_csv(report: Report, reviews: Reviews) -> str:
    """One row per claim, in article order, with its review and its best archive passage."""
    done = _relevant(report, reviews)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for n, c in enumerate(in_article_order(report.claims), 1):
        r = done.get(c.id)
        top = _top_passage(c)
        row = [
            n, c.text, c.quote, c.start, c.end, c.verdict.value, _number(c.confidence), c.reason,
            r.decision.value if r else "", r.verdict.value if r else "", r.note if r else "",
            utc(r.reviewed_at).isoformat(timespec="seconds") if r else "",
            top.title if top else "", top.source if top else "",
            top.published.isoformat() if top and top.published else "",
            (top.url or "") if top else "", _number(top.score) if top else "",
        ]  # fmt: skip
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _top_passage(claim: ClaimCheck) -> Evidence | None:
    return max(claim.evidence, key=lambda e: e.score, default=None)


# -- ClaimReview JSON-LD ------------------------------------------------------------------

# (ratingValue on a 1-5 scale, alternateName: the text search engines show)
RATINGS: dict[Verdict, tuple[int, str]] = {
    Verdict.SUPPORTED: (5, "Supported by our archive"),
    Verdict.MIXED: (3, "Mixed"),
    Verdict.CONTRADICTED: (1, "Contradicted by our archive"),
}


def claimreview_jsonld(
    report: Report,
    reviews: Reviews,
    *,
    publisher: str = "",
    article_url: str | None = None,
) -> str:
    """schema.org ClaimReview objects (a JSON list) for the claims a person confirmed.

    Only claims with a review (accepted or overruled) whose confirmed verdict is a
    rating are included: SUPPORTED, MIXED and CONTRADICTED. NOT_ENOUGH_INFO and
    NOT_IN_ARCHIVE are not ratings of the claim (they say the archive does not settle
    it), nor is NOT_CHECKED (the model's answer was unusable), so they are never
    published as one; nor is anything only the machine said.
    Reviewers' notes are internal and are left out.

    `article_url` is the public URL of the page that will carry the markup and where
    the claims appear (default: the report's article URL; only http(s) is used).
    firstAppearance is not given: where a claim first appeared is not known here.
    The output escapes <, > and & so it can sit inside a <script> tag unchanged.
    """
    url = web_url(article_url or report.article.url)
    done = _relevant(report, reviews)
    items = []
    for claim in in_article_order(report.claims):
        review = done.get(claim.id)
        if review is None or review.verdict not in RATINGS:
            continue
        items.append(_claim_review(report, claim, review, url=url, publisher=publisher))
    text = json.dumps(items, indent=2, ensure_ascii=False)
    # Inside strings only, so the JSON is unchanged, but "</script>" cannot end the tag.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def _claim_review(
    report: Report, claim: ClaimCheck, review: Review, *, url: str | None, publisher: str
) -> dict:
    value, words = RATINGS[review.verdict]
    a = report.article
    appearance: dict = {"@type": "CreativeWork"}
    if url:
        appearance["url"] = url
    if a.title.strip():
        appearance["headline"] = " ".join(a.title.split())
    if a.published:
        appearance["datePublished"] = a.published.isoformat()
    if a.author.strip():
        appearance["author"] = {"@type": "Person", "name": a.author.strip()}
    if a.source.strip():
        appearance["publisher"] = {"@type": "Organization", "name": a.source.strip()}
    item: dict = {"@type": "Claim", "appearance": [appearance]}
    if a.published:
        item["datePublished"] = a.published.isoformat()
    data: dict = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": " ".join(claim.text.split()),
        "datePublished": utc(review.reviewed_at).date().isoformat(),
        "itemReviewed": item,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": words,
        },
    }
    if url:
        data["url"] = url
    if publisher.strip():
        org = {"@type": "Organization", "name": publisher.strip()}
        data["author"] = org
        data["publisher"] = dict(org)
    return data
