"""A Report as Markdown for an editor (CLI output, exports).

`render_memo` is the one memo layout; callers above chains/ (the review exports) add
their own lines through its hooks, so chains/ never needs to know about reviews.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Iterable

from chains.models import ClaimCheck, Evidence, Report, Verdict

VERDICT_WORDS = {
    Verdict.SUPPORTED: "Supported by the archive",
    Verdict.CONTRADICTED: "Contradicted by the archive",
    Verdict.MIXED: "The archive disagrees with itself",
    Verdict.NOT_ENOUGH_INFO: "Related coverage, not enough to settle it",
    Verdict.NOT_IN_ARCHIVE: 'Not in the archive (this is not "false")',
    Verdict.NOT_CHECKED: "Could not be checked (the model's answer was unusable)",
}

# Short forms for places where the long words would not fit (a reviewer's decision, tables).
VERDICT_SHORT = {
    Verdict.SUPPORTED: "Supported",
    Verdict.CONTRADICTED: "Contradicted",
    Verdict.MIXED: "Mixed",
    Verdict.NOT_ENOUGH_INFO: "Not enough info",
    Verdict.NOT_IN_ARCHIVE: "Not in archive",
    Verdict.NOT_CHECKED: "Could not be checked",
}


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# What can start Markdown inside a line of prose (emphasis, code, links, HTML, entities,
# strikethrough, tables, math, headings), and what can only at the start of a line (lists,
# setext lines, "1." or "1)").
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~|$#])")
_MD_LINE_START = re.compile(r"^([-+=]|\d+[.)])")


def md_literal(text: object) -> str:
    """Untrusted text as one line of Markdown that shows literally.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows that for
    all of them), so no emphasis, link, autolink, HTML, LaTeX ($), emoji or colour
    directive (:red[..]) can form. Whitespace, including newlines, becomes single spaces.
    """
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def md_prose(text: object) -> str:
    """Untrusted text as one line of Markdown that shows literally, for files a person reads
    raw as well as rendered (the memo): only characters that could form Markdown are
    escaped, so "March 14, 2023." stays as it is. The app uses `md_literal`, which also
    stops Streamlit's own directives.
    """
    line = _MD_INLINE.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], line)


def web_url(url: str | None) -> str | None:
    """The URL made safe for a Markdown link target if it is http(s) with a host, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Percent-encode what could end or break a Markdown link target.
    return urllib.parse.quote(url, safe=":/?#@!$&'*+,;=%~-._")


def utc(when: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already (as we store them)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def in_article_order(claims: Iterable[ClaimCheck]) -> list[ClaimCheck]:
    """Claims in the order their quotes occur in the article (stable for equal offsets)."""
    return sorted(claims, key=lambda c: (c.start, c.end))


def verdict_counts(claims: Iterable[ClaimCheck]) -> dict[Verdict, int]:
    """Claims per machine verdict, in the Verdict order; verdicts with no claim are left out."""
    verdicts = [c.verdict for c in claims]
    return {v: verdicts.count(v) for v in Verdict if v in verdicts}


def counts_phrase(counts: dict[Verdict, int]) -> str:
    return ", ".join(f"{n} {v.lower().replace('_', ' ')}" for v, n in counts.items()) or "no claims"


# Extra Markdown lines for a claim, placed under its verdict. The caller escapes its own
# untrusted text (with md_prose): these lines are used as given.
ClaimNotes = Callable[[ClaimCheck], list[str]]


def render_memo(report: Report, *, summary: str = "", notes: ClaimNotes | None = None) -> str:
    """The memo for an editor; `summary` (trusted Markdown) ends the counts paragraph."""
    a = report.article
    url = web_url(a.url)
    lines = [
        f"# Fact-check memo: {md_prose(a.display_title(200) or 'Untitled article')}",
        "",
        f"- Source: {md_prose(a.source or 'unknown')}",
    ]
    if a.author:
        lines.append(f"- Author: {md_prose(a.author)}")
    if a.published:
        lines.append(f"- Published: {a.published.isoformat()}")
    if url:
        lines.append(f"- Link: <{url}>")
    lines += [
        f"- Checked: {utc(report.created):%Y-%m-%d %H:%M} UTC",
        f"- Model: {md_prose(report.model or 'unknown')}",
        "",
        f"**{len(report.claims)} claim(s)**: {counts_phrase(verdict_counts(report.claims))}."
        + (f" {summary}" if summary else ""),
    ]
    if report.warnings:
        lines += ["", "Warnings:", ""]
        lines += [f"- {md_prose(w)}" for w in report.warnings]
    for n, c in enumerate(in_article_order(report.claims), 1):
        lines += ["", *_claim_lines(n, c, notes(c) if notes else [])]
    return "\n".join(lines) + "\n"


def _claim_lines(n: int, c: ClaimCheck, notes: list[str]) -> list[str]:
    conf = f" (confidence {c.confidence:.2f})" if c.confidence is not None else ""
    lines = [
        f"## {n}. {md_prose(c.text)}",
        "",
        f'Quote (article, characters {c.start}-{c.end}): "{md_prose(c.quote)}"',
        "",
        f"**Machine verdict: {VERDICT_WORDS[c.verdict]}**{conf}",
    ]
    for note in notes:
        lines += ["", note]
    if c.verdict is Verdict.NOT_CHECKED:  # the pipeline's words on what went wrong
        lines += ["", f"Why it was not checked: {md_prose(c.reason)}"]
    elif c.reason.strip():
        # The model's reason can contradict its own label: never present it as evidence.
        lines += ["", f"Model's explanation (not evidence): {md_prose(c.reason)}"]
    if c.evidence:
        lines += ["", "Archive passages:"]
        for e in c.evidence:
            lines += ["", *_evidence_lines(e)]
    return lines


def _evidence_lines(e: Evidence) -> list[str]:
    date = e.published.isoformat() if e.published else "undated"
    url = web_url(e.url)
    link = f" <{url}>" if url else ""
    where = [e.title or "Untitled article", e.author, e.source or "unknown source"]
    lines = [
        f"- {e.stance.value.lower()} (score {e.score:.2f}): "
        + ", ".join(md_prose(part) for part in where if part)
        + f", {date}{link}",
        f"  > {md_prose(e.text)}",
    ]
    for m in e.mismatches:
        if m.conflict:
            theirs = ", ".join(m.passage_values) or "something else"
            lines.append(
                f"  - Differs ({md_prose(m.kind)}): the claim says {md_prose(m.claim_value)}, "
                f"the passage {md_prose(theirs)}"
            )
    return lines


def to_markdown(report: Report) -> str:
    """The memo without any review (the CLI's `check --format markdown`)."""
    return render_memo(report)
